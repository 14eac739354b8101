"""Writes ``bench/RESULTS.md`` from the saved results (``bench/results/*.json``) and ``bench/FINDINGS.md``."""
from __future__ import annotations

from bench.core import BENCH_DIR, load_results, verdict

ORDER = ["rerating", "api", "aging", "dashboard", "pdf", "ecl"]


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


def _aging(r) -> list[str]:
    return ["| figure | value |", "| --- | --- |",
            f"| invoices | {r.get('invoices', 0):,} |",
            f"| customers with open invoices | {r.get('customers_with_open_invoices', 0):,} |",
            f"| report (aging_by_customer page of 50 + count + aging_portfolio) | {r.get('report_ms')} ms |",
            f"| hand-written SQL (same buckets, page, count, totals) | {r.get('sql_ms')} ms |",
            f"| **ratio** | **{r.get('ratio')}×** |",
            f"| same first page as the hand-written SQL | {r.get('same_first_page')} |"]


def _dashboard(r) -> list[str]:
    return ["| figure | value |", "| --- | --- |",
            f"| user | {r.get('user')} |",
            f"| **median** | **{r.get('median_ms')} ms** |",
            f"| runs (ms) | {r.get('times_ms')} |",
            f"| queries | {r.get('queries')} |"]


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


RENDER = {"rerating": _rerating, "api": _api, "aging": _aging, "dashboard": _dashboard, "pdf": _pdf, "ecl": _ecl}


def write() -> str:
    results = load_results()
    out = ["# Benchmark results", "",
           "Written by `python -m bench` (see `bench/README.md`); each section says the size and the time it was "
           "measured. Ratios are against a baseline measured in the same run on the same data. Absolute times "
           "depend on the machine and on whatever else it runs: read the ratios.", ""]
    machines = {r["machine"]["date"]: r["machine"] for r in results.values() if "machine" in r}
    if machines:
        latest = machines[max(machines)]
        out += ["## Machine", "", *_machine_block(latest), ""]
    summary = ["## Targets", "", "| benchmark | target | result |", "| --- | --- | --- |"]
    for name in ORDER:
        r = results.get(name)
        if not r:
            continue
        for target, met in r.get("targets", {}).items():
            summary.append(f"| {name} | {target} | {verdict(met)} |")
        if r.get("error"):
            summary.append(f"| {name} | (did not run) | error: {r['error']} |")
    out += summary + [""]
    for name in ORDER:
        r = results.get(name)
        if not r:
            continue
        out += [f"## {r.get('title', name)} (`{name}`)", "",
                f"Size `{r.get('size')}`, portfolio {r.get('portfolio')}, measured {r.get('machine', {}).get('date')} "
                f"(load average {r.get('machine', {}).get('load_average')}), took {r.get('elapsed_seconds')} s.", ""]
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
