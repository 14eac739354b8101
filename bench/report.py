"""Writes ``bench/RESULTS.md`` from the saved results (``bench/results/*.json``) and ``bench/FINDINGS.md``."""
from __future__ import annotations

from bench.core import BENCH_DIR, SIZE_ORDER, load_results, verdict

ORDER = ["rerating", "scaleout", "api", "pages", "aging", "dashboard", "pdf", "ecl"]
GROWTH_TARGET = 1.3  # cost per unit from full (100k) to huge (1M): at most this factor (issue 25)


def cost(name: str, r: dict) -> tuple[float, str] | None:
    """(cost per unit, unit) of one result: what the growth table compares from one size to the next. Work
    over the whole portfolio is per customer or per invoice; a page or a list of 20 is per request (it should
    not grow with the portfolio at all)."""
    if r.get("error"):
        return None
    invoices = (r.get("portfolio") or {}).get("invoices") or 0
    customers = (r.get("portfolio") or {}).get("customers") or 0
    try:
        if name == "rerating":
            return r["batch_ms_per_customer"], "ms per rated customer (first night, Celery)"
        if name == "api":
            return r["load"]["customers@20"]["p50_ms"], "ms per request (customer list page 20, p50 under load)"
        if name == "pages":
            return r["median_p50_ms"], "ms per page request (median of the pages' p50)"
        if name == "aging":
            return round(r["report_ms"] * 1000 / invoices, 3), "µs per invoice"
        if name == "dashboard":
            return round(r["median_ms"] * 1000 / invoices, 3), "µs per invoice"
        if name == "ecl":
            return round(r["run_s"] * 1000 / customers, 4), "ms per customer"
        if name == "pdf":
            return r["report_ms"], "ms per report (one customer's)"
    except (KeyError, TypeError, ZeroDivisionError):
        return None
    return None


def growth_rows(results: dict) -> list[str]:
    """The cost per unit at each size that has a result, and the factor from one size to the next."""
    lines = ["| benchmark | unit | " + " | ".join(SIZE_ORDER) + " | small → full | full → huge (target "
             f"≤ {GROWTH_TARGET}×) |", "| --- | --- |" + " --- |" * (len(SIZE_ORDER) + 2)]
    for name in ORDER:
        sizes = results.get(name) or {}
        costs = {size: cost(name, r) for size, r in sizes.items()}
        costs = {size: c for size, c in costs.items() if c}
        if not costs:
            continue
        unit = next(iter(costs.values()))[1]
        cells = [f"{costs[size][0]:g}" if size in costs else "–" for size in SIZE_ORDER]
        factors = []
        for before, after in zip(SIZE_ORDER, SIZE_ORDER[1:]):
            if before in costs and after in costs and costs[before][0]:
                factor = costs[after][0] / costs[before][0]
                mark = "" if after != "huge" else (" (met)" if factor <= GROWTH_TARGET else " (**missed**)")
                factors.append(f"{factor:.2f}×{mark}")
            else:
                factors.append("–")
        lines.append(f"| {name} | {unit} | " + " | ".join(cells) + " | " + " | ".join(factors) + " |")
    return lines


def _machine_block(machine: dict) -> list[str]:
    return [
        f"- date: {machine.get('date')}",
        f"- CPU: {machine.get('cpu')}, {machine.get('cores')} cores; memory {machine.get('memory_gb')} GB; "
        f"load average at the start: {machine.get('load_average')} (the machine is shared with other work)",
        f"- {machine.get('postgresql')}; Redis {machine.get('redis')}; Python {machine.get('python')}, "
        f"Django {machine.get('django')}; {machine.get('wrk')}",
        f"- database `{machine.get('database')}`; Celery broker `{machine.get('broker')}`",
    ]


def _targets(result) -> list[str]:
    return [f"| {name} | {verdict(met)} |" for name, met in result.get("targets", {}).items()]


def _rerating(r) -> list[str]:
    lines = [
        "| figure | value |", "| --- | --- |",
        f"| customers with a current rating | {r['customers']:,} |",
        f"| batch ({r['mode']}) | {r['batch_seconds']} s ({r['batch_ms_per_customer']} ms/customer) |",
        f"| projected to 100,000 customers | {r['batch_projected_100k_seconds']} s |",
        f"| floor: plain SQL reads of the same inputs | {r['floor_seconds']} s |",
        f"| **ratio batch / floor** | **{r['ratio_to_floor']}×** |",
        f"| per-customer ORM loop ({r['orm_loop_sample']:,} sample) | {r['orm_loop_seconds']} s "
        f"({r['orm_loop_ms_per_customer']} ms/customer) |",
        f"| **speed-up per customer vs the loop** | **{r['speedup_vs_orm_loop']}×** |",
        f"| batch counters | {r['batch']} |",
    ]
    return lines


def _api(r) -> list[str]:
    rounds = r.get("rounds") or []
    lines = [f"Server: {r['server']}; user `{r['user']}`; wrk with {r['connections']} connections, 2 threads."]
    if rounds:
        lines.append(f"Page size 20 in {len(rounds)} rounds (a baseline window, then each list; each ratio to its "
                     "round's baseline); the round with the median ratio is shown, every round's ratio in the last "
                     "column. Page size 500 once, against the median baseline.")
    lines += ["", "| endpoint | page size | req/s | ratio to baseline | p50 ms | p99 ms | non-2xx | queries | bytes "
                  "| ratio per round |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    load = r.get("load", {})
    counts = r.get("query_counts", {})
    for label in ["baseline", "baseline (again)"]:
        if label in load:
            f = load[label]
            per_round = ", ".join(f"{x['baseline']['requests_per_s']:.0f}" for x in rounds) if label == "baseline" else ""
            lines.append(f"| {label} (minimal Django JSON view) | – | {f['requests_per_s']:.0f} | 1 | {f['p50_ms']} | "
                         f"{f['p99_ms']} | {f['non_2xx']} | {counts.get('baseline', {}).get('queries', '')} | | "
                         f"{per_round + ' req/s' if per_round else ''} |")
    for label, c in counts.items():
        if label == "baseline":
            continue
        name, size = label.split("@")
        f = load.get(label, {})
        lines.append(f"| {name} | {size} | {f.get('requests_per_s', '–')} | {f.get('ratio_to_baseline', '–')} | "
                     f"{f.get('p50_ms', '–')} | {f.get('p99_ms', '–')} | {f.get('non_2xx', '–')} | {c['queries']} | "
                     f"{c.get('bytes', ''):,} | {', '.join(str(x) for x in f.get('round_ratios', []))} |")
    return lines


def _scaleout(r) -> list[str]:
    lines = [f"{r.get('customers', 0):,} customers with a current rating, chunks of {r.get('chunk_size')} (the split "
             "in the benchmark's process, the chunks rated by the workers).", "",
             "| layout | processes | instances | seconds | of which the split | ms per customer | batch |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for layout in r.get("layouts", []):
        lines.append(f"| {layout['layout']} | {layout['processes']} | {layout['instances']} | {layout['seconds']} | "
                     f"{layout.get('split_seconds', '–')} | {layout['ms_per_customer']} | {layout['batch']} |")
    lines += ["", f"Speed-up of two processes: **{r.get('speedup_two_processes')}×**; of two instances: "
                  f"**{r.get('speedup_two_instances')}×**. Serial part s = {r.get('serial_seconds')} s, parallel part "
                  f"p = {r.get('parallel_seconds')} s (T(1) = s + p, T(2) = s + p/2).", "",
              "N processes on each of M machines: T(N·M) = s + p / (N·M), while PostgreSQL has a core for each "
              "session (then the database is the limit):", "",
              "| N·M processes | seconds at this size | scaled to 1,000,000 customers |", "| --- | --- | --- |"]
    for row in r.get("projection", []):
        lines.append(f"| {row['processes']} | {row['seconds']} | {row['seconds_1m']} |")
    if r.get("projection_from_measured_split"):
        lines += ["", f"The split timed directly (it runs in the benchmark's process): s = {r.get('split_seconds')} s "
                      "(median of the three layouts), p = T(1) − s; projected:", "",
                  "| N·M processes | seconds at this size | scaled to 1,000,000 customers |", "| --- | --- | --- |"]
        for row in r["projection_from_measured_split"]:
            lines.append(f"| {row['processes']} | {row['seconds']} | {row['seconds_1m']} |")
    return lines


def _pages(r) -> list[str]:
    bare = r.get("bare", {})
    lines = [f"Server: {r.get('server')}; roles {', '.join(r.get('roles', []))}; each page "
             f"{r.get('requests_per_page')} requests in a row (after one untimed). Bare view (`/bench/baseline/`, "
             f"same server, same middleware, {bare.get('requests')} requests spread over the run): "
             f"**p50 {bare.get('p50_ms')} ms, p95 {bare.get('p95_ms')} ms**.", "",
             f"{len(r.get('pages', []))} pages; median p50 {r.get('median_p50_ms')} ms; worst p95 "
             f"{r.get('worst_p95_ms')} ms; pages over the target: {r.get('over_target')}.", "",
             "The slowest ten (p95), with their query count, SQL time and slowest statement in one in-process "
             "request (Django's test client, same settings):", "",
             "| role | page | p50 ms | p95 ms | p95 / bare p50 | queries | SQL ms / in-process ms | slowest statement |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for p in r.get("slowest", []):
        sql = p["slowest_sql"][:120].replace("|", "\\|")
        lines.append(f"| {p['role']} | {p['label']} `{p['url']}` | {p['p50_ms']} | {p['p95_ms']} | "
                     f"{p['p95_over_bare_p50']}× | {p['queries']} | {p['sql_ms']} / {p['in_process_ms']} | "
                     f"{p['slowest_sql_ms']} ms: `{sql}` |")
    lines += ["", "<details><summary>Every page</summary>", "",
              "| role | page | status | p50 ms | p95 ms | p95 / bare p50 | p95 / bare p95 | queries |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for p in r.get("pages", []):
        lines.append(f"| {p['role']} | {p['label']} `{p['url']}` | {p.get('statuses', p.get('status'))} | "
                     f"{p.get('p50_ms', '–')} | {p.get('p95_ms', '–')} | {p.get('p95_over_bare_p50', '–')} | "
                     f"{p.get('p95_over_bare_p95', '–')} | {p['queries']} |")
    return lines + ["", "</details>"]


def _aging(r) -> list[str]:
    return ["| figure | value |", "| --- | --- |",
            f"| invoices | {r.get('invoices', 0):,} |",
            f"| customers with open invoices | {r.get('customers_with_open_invoices', 0):,} |",
            f"| report (aging_by_customer page of 50 + count + aging_portfolio) | {r.get('report_ms')} ms |",
            f"| hand-written SQL (same buckets, page, count, totals) | {r.get('sql_ms')} ms |",
            f"| **ratio** | **{r.get('ratio')}×** |",
            f"| same first page as the hand-written SQL | {r.get('same_first_page')} |"]


def _dashboard(r) -> list[str]:
    lines = ["| figure | value |", "| --- | --- |",
             f"| user | {r.get('user')} |",
             f"| page (view, selectors, template), median | {r.get('median_ms')} ms |"]
    if r.get("sql_ms") is not None:
        lines += [f"| hand-written SQL of the same aggregates, median | {r.get('sql_ms')} ms |",
                  f"| **ratio** | **{r.get('ratio')}×** |",
                  f"| same figures as the hand-written SQL | {r.get('same_figures_as_sql')} |"]
    return lines + [f"| runs (ms) | {r.get('times_ms', '–')} |", f"| queries | {r.get('queries')} |"]


def _pdf(r) -> list[str]:
    return ["| figure | value |", "| --- | --- |",
            f"| rating | {r.get('rating_id')} ({r.get('pdf_bytes', 0):,} bytes of PDF) |",
            f"| rating_report_pdf (context + template + WeasyPrint) | {r.get('report_ms')} ms |",
            f"| WeasyPrint alone on the same HTML | {r.get('weasyprint_ms')} ms |",
            f"| **ratio** | **{r.get('ratio')}×** |"]


def _ecl(r) -> list[str]:
    loaded = r.get("snapshots_loaded") or {}
    return ["| figure | value |", "| --- | --- |",
            f"| month-end snapshots | {r.get('snapshots')} (loaded set-wise in this run: {loaded.get('loaded', 0)}, "
            f"of which {loaded.get('replayed', 0)} replayed; {r.get('snapshots_s')} s, not part of the ratio) |",
            f"| look-back | {r.get('lookback')} months |",
            f"| `ecl_run_propose` (rates, every customer's lines, movement, five-tier comparison), median | "
            f"{r.get('run_s')} s |",
            f"| hand-written SQL of the same roll rates, median | {r.get('sql_ms')} ms |",
            f"| **ratio** | **{r.get('ratio')}×** |",
            f"| same simple-mean band loss rates as the hand-written SQL | {r.get('same_rates')} |"]


RENDER = {"rerating": _rerating, "scaleout": _scaleout, "api": _api, "pages": _pages, "aging": _aging, "dashboard": _dashboard, "pdf": _pdf, "ecl": _ecl}


def write() -> str:
    results = load_results()
    out = ["# Benchmark results", "",
           "Written by `python -m bench` (see `bench/README.md`); results are kept per size "
           "(`bench/results/<name>-<size>.json`) and each section says the size and the time it was measured. "
           "Ratios are against a baseline measured in the same run on the same data. Absolute times depend on "
           "the machine and on whatever else it runs: read the ratios.", ""]
    machines = {r["machine"]["date"]: r["machine"] for sizes in results.values() for r in sizes.values()
                if "machine" in r}
    if machines:
        latest = machines[max(machines)]
        out += ["## Machine (the latest run)", "", *_machine_block(latest), ""]
    summary = ["## Targets", "", "| benchmark | size | measured | target | result |", "| --- | --- | --- | --- | --- |"]
    for name in ORDER:
        for size in SIZE_ORDER:
            r = (results.get(name) or {}).get(size)
            if not r:
                continue
            when = (r.get("machine") or {}).get("date", "")
            for target, met in r.get("targets", {}).items():
                summary.append(f"| {name} | {size} | {when} | {target} | {verdict(met)} |")
            if r.get("error"):
                summary.append(f"| {name} | {size} | {when} | (did not run) | error: {r['error']} |")
    out += summary + [""]
    out += ["## Growth: cost per unit at each size", "",
            "Each benchmark's cost per customer, per invoice or per request at every size that has results, and "
            "the factor from one size to the next (small = 2,000 customers, full = 100,000, huge = 1,000,000). "
            "Compare sizes measured on the same machine only (see each section's date and load average).", "",
            *growth_rows(results), ""]
    for name in ORDER:
        for size in SIZE_ORDER:
            r = (results.get(name) or {}).get(size)
            if not r:
                continue
            out += [f"## {r.get('title', name)} (`{name}`, {size})", "",
                    f"Size `{r.get('size')}`, portfolio {r.get('portfolio')}, measured "
                    f"{r.get('machine', {}).get('date')} (load average {r.get('machine', {}).get('load_average')}), "
                    f"took {r.get('elapsed_seconds')} s.", ""]
            if r.get("error"):
                out += [f"Error: `{r['error']}`", ""]
                continue
            out += RENDER[name](r) + [""]
    findings = BENCH_DIR / "FINDINGS.md"
    if findings.exists():
        out += [findings.read_text().rstrip(), ""]
    path = BENCH_DIR / "RESULTS.md"
    path.write_text("\n".join(out))
    return str(path)
