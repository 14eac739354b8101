"""The portfolio dashboard page (``monitoring:dashboard``): median time of a full GET (view, selectors,
template) as the risk admin, through Django's test client with the benchmark settings, and its query
count. Target: ≤ 500 ms median on the full portfolio."""
from __future__ import annotations

import statistics

from bench.core import timed

NAME = "dashboard"
USERNAMES = ["riskadmin", "auditor", "analyst"]


def get(client, url):
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: HTTP {response.status_code}")
    return response


def run(ctx) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from bench.core import QueryCounter
    from django.urls import reverse

    url = reverse("monitoring:dashboard")
    client, user = None, None
    for username in USERNAMES:
        candidate = Client()
        candidate.force_login(get_user_model().objects.get(username=username))
        if candidate.get(url).status_code == 200:
            client, user = candidate, username
            break
    if client is None:
        raise RuntimeError(f"none of {USERNAMES} may open {url}")
    with QueryCounter() as queries:
        seconds, response = timed(get, client, url)
    ctx.log(f"  {url} as {user}: {seconds * 1000:.0f} ms (first), {queries.count} queries, "
            f"{len(response.content):,} bytes")
    if ctx.smoke:
        return {"title": "Dashboard page", "queries": queries.count, "targets": {}}
    times = [timed(get, client, url)[0] for _ in range(max(5, ctx.repeat * 2))]
    median = statistics.median(times)
    ctx.log(f"  median {median * 1000:.0f} ms over {len(times)} ({', '.join(f'{t * 1000:.0f}' for t in times)})")
    return {
        "title": "Dashboard page",
        "user": user,
        "queries": queries.count,
        "median_ms": round(median * 1000, 1),
        "times_ms": [round(t * 1000, 1) for t in times],
        "targets": {"≤ 500 ms median": median <= 0.5},
    }
