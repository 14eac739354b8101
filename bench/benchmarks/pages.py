"""Every page of every role through gunicorn: p50 and p95 per page against the bare Django view.

Each demo role (``ROLES``, the generator's demo logins) signs in through the login form of the production
server (gunicorn, 2 sync workers, ``bench.wsgi``: every production middleware) with a ``requests`` session,
then requests every page its menu reaches (``demo.pages.pages_of``, the pages the CI page sweep walks):
home, each menu entry (lists, forms, the dashboard, the audit trail), and the detail pages of a typical
customer (the median number of invoices) and of the largest (the most invoices): the customer, its
application, facility, rating, invoice and collection case. Each page is requested ``REQUESTS`` times in a
row, one at a time, after one untimed request; p50 and p95 of the client-side times are reported. The bare
view (``/bench/baseline/``, a minimal Django JSON view on the same server through the same middleware) is
timed in the same run, ``BARE_REQUESTS`` times before each role's pages, as the machine's yardstick.

In this process (Django's test client, same settings) each page is requested once more to count its
queries, their time and the slowest statement: the cause of a slow page is read from these.
Target: every page answers 200, and its p95 ≤ ``TARGET_MULTIPLE``× the bare view's p50 (300 ms where the bare
view answers in 3 ms).
"""
from __future__ import annotations

import re
import os
import statistics
import time

from bench.core import percentile

NAME = "pages"
ROLES = ["rm", "analyst", "approver1", "collector", "riskadmin", "auditor"]  # one demo login per role
REQUESTS = {"small": 10, "full": 20, "huge": 10, "smoke": 1}  # huge: 10 to keep the sweep within the hour
BARE_REQUESTS = 50
TARGET_MULTIPLE = 100
STATEMENT_TIMEOUT_MS = 20_000
SLOWEST = 10


def pages_for(user) -> list[tuple[str, str]]:
    """Every page of ``user``: the menu, and the detail pages of the typical and of the largest customer."""
    from demo.pages import largest_customer_id, pages_of, typical_customer_id

    from django.utils import translation

    customers = []
    for customer_id in (typical_customer_id(user), largest_customer_id(user)):
        if customer_id is not None and customer_id not in customers:
            customers.append(customer_id)
    with translation.override("en"):  # the labels of the report
        return [(str(label), url) for label, url in pages_of(user, customer_ids=customers or [None])]


def in_process(client, url, warm: bool = True) -> dict:
    """Status, queries, SQL time and the slowest statement of one GET in this process through ``client`` (a
    signed-in test client), after one warm-up request (as the timed requests are) unless ``warm`` is false."""
    from bench.core import QueryCounter

    if warm:
        client.get(url)
    t0 = time.perf_counter()
    with QueryCounter() as queries:
        response = client.get(url)
    total = time.perf_counter() - t0
    slow_s, slow_sql = queries.slowest
    return {"status": response.status_code, "queries": queries.count, "bytes": len(response.content),
            "in_process_ms": round(total * 1000, 1), "sql_ms": round(queries.seconds * 1000, 1),
            "slowest_sql_ms": round(slow_s * 1000, 1), "slowest_sql": " ".join(slow_sql.split())[:300]}


def login(base: str, username: str, password: str):
    """A ``requests`` session signed in through the portal's login form (CSRF token and all)."""
    import requests
    from django.urls import reverse

    session = requests.Session()
    url = base + reverse("accounts:login")
    form = session.get(url, timeout=60)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    if form.status_code != 200 or token is None:
        raise RuntimeError(f"login page of {username}: HTTP {form.status_code}")
    answer = session.post(url, data={"username": username, "password": password,
                                     "csrfmiddlewaretoken": token.group(1)},
                          headers={"Referer": url}, allow_redirects=False, timeout=60)
    if answer.status_code != 302:
        raise RuntimeError(f"{username} could not sign in: HTTP {answer.status_code}")
    return session


def timed_gets(session, url: str, n: int) -> tuple[list[float], list[int]]:
    """Seconds of ``n`` GETs in a row (after one untimed), and every status seen."""
    statuses = [session.get(url, allow_redirects=False, timeout=120).status_code]
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        response = session.get(url, allow_redirects=False, timeout=120)
        times.append(time.perf_counter() - t0)
        statuses.append(response.status_code)
    return times, statuses


def _figures(times) -> dict:
    return {"p50_ms": round(statistics.median(times) * 1000, 2), "p95_ms": round(percentile(times, 95) * 1000, 2)}


def run(ctx) -> dict:
    from django.conf import settings
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.filter(username__in=ROLES)}
    missing = [name for name in ROLES if name not in users]
    if missing:
        raise RuntimeError(f"demo logins missing: {missing} (generate the portfolio first)")
    from django.db import connection
    from django.test import Client

    if not ctx.smoke:
        # what the nightly 05:00 job leaves (audit.check_chain): the auditor's chain page checks only the events
        # appended since the kept check, not the whole trail the generator wrote
        from audit.services import chain_check_run

        chain_check_run()
    # a page stuck for minutes at this size fails (500, named in the results) instead of holding the sweep
    os.environ["BENCH_STATEMENT_TIMEOUT_MS"] = str(STATEMENT_TIMEOUT_MS)
    if connection.vendor == "postgresql" and not ctx.smoke:
        with connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
    pages = []
    for role in ROLES:
        client = Client(raise_request_exception=False)  # a page that fails is a 500 in the results
        client.force_login(users[role])
        for label, url in pages_for(users[role]):
            pages.append({"role": role, "label": label, "url": url, **in_process(client, url, warm=not ctx.smoke)})
    ctx.log(f"  {len(pages)} pages of {len(ROLES)} roles; in process: "
            f"{sum(p['status'] == 200 for p in pages)} answered 200, at most "
            f"{max(p['queries'] for p in pages)} queries")
    result = {"title": "Every page of every role", "roles": ROLES, "pages": pages,
              "server": "gunicorn, 2 sync workers, bench.wsgi (production middleware, session login)"}
    every_200 = all(p["status"] == 200 for p in pages)
    if ctx.smoke:
        result["targets"] = {"every page 200": every_200}
        return result

    from bench.benchmarks.api import start_server, stop_server

    n = REQUESTS.get(ctx.size, 20)
    server = start_server(ctx.port)
    base = f"http://127.0.0.1:{ctx.port}"
    bare_times = []
    try:
        import requests

        bare = requests.Session()
        timed_gets(bare, f"{base}/bench/baseline/", BARE_REQUESTS)  # warm both workers
        for role in ROLES:
            times, _statuses = timed_gets(bare, f"{base}/bench/baseline/", BARE_REQUESTS)
            bare_times += times
            session = login(base, role, settings.DEMO_PASSWORD)
            for page in (p for p in pages if p["role"] == role):
                times, statuses = timed_gets(session, base + page["url"], n)
                page.update(_figures(times), statuses=sorted(set(statuses)),
                            server_errors=sum(s >= 500 for s in statuses))
                ctx.log(f"  {role:>10} {page['url'][:60]:<60} p50 {page['p50_ms']:7.1f} ms  p95 "
                        f"{page['p95_ms']:7.1f} ms  {page['queries']:3d} queries")
        times, _statuses = timed_gets(bare, f"{base}/bench/baseline/", BARE_REQUESTS)
        bare_times += times
    finally:
        stop_server(server)
    bare_figures = _figures(bare_times)
    for page in pages:
        page["p95_over_bare_p50"] = round(page["p95_ms"] / bare_figures["p50_ms"], 1)
        page["p95_over_bare_p95"] = round(page["p95_ms"] / bare_figures["p95_ms"], 1)
        page["ok"] = page["statuses"] == [200] and page["p95_over_bare_p50"] <= TARGET_MULTIPLE
    slowest = sorted(pages, key=lambda p: -p["p95_ms"])[:SLOWEST]
    over = [p for p in pages if p["p95_over_bare_p50"] > TARGET_MULTIPLE]
    result.update({
        "requests_per_page": n,
        "bare": {**bare_figures, "requests": len(bare_times)},
        "median_p50_ms": round(statistics.median(p["p50_ms"] for p in pages), 2),
        "worst_p95_ms": slowest[0]["p95_ms"] if slowest else None,
        "slowest": [{k: p[k] for k in ("role", "label", "url", "p50_ms", "p95_ms", "p95_over_bare_p50", "queries",
                                       "sql_ms", "in_process_ms", "slowest_sql_ms", "slowest_sql")}
                    for p in slowest],
        "over_target": len(over),
        "targets": {
            "every page 200 (no 5xx, no refusal)": every_200 and all(p["statuses"] == [200] for p in pages),
            f"every page p95 ≤ {TARGET_MULTIPLE}× the bare view's p50 (300 ms where it answers in 3 ms)": not over,
        },
    })
    ctx.log(f"  bare view p50 {bare_figures['p50_ms']} ms, p95 {bare_figures['p95_ms']} ms; "
            f"{len(over)} of {len(pages)} pages over {TARGET_MULTIPLE}× the bare p50")
    return result
