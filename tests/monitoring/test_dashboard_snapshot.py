"""The dashboard's snapshot: a reader of every customer is served the figures from the cache (a flat request
whatever the portfolio), equal to the live computation; the page says when they were computed (English and
Chinese) and "Refresh now" recomputes them (refused to other roles and to GET); the beat entry on the batch
queue; another period computed correctly; a relationship manager's figures stay their own scope."""
import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from config.celery import app
from creditportal.core import clock
from monitoring import selectors, services

from .conftest import TODAY

pytestmark = pytest.mark.django_db

VOLATILE = ("computed_at", "snapshot", "missing_rates")


def _portfolio(build, system, n, *, rm=None):
    group = build.group()
    customers = []
    for i in range(n):
        customer = build.customer(group=group if i % 3 == 0 else None, industry="CFG"[i % 3], rm=rm)
        build.invoice(customer, str(1000 + i), days_past_due=(i * 37) % 400)
        build.rating(customer, ["A", "BBB", "BB", "B"][i % 4], approved_on=TODAY - dt.timedelta(days=10 + i))
        customers.append(customer)
    services.alerts_evaluate(actor=system)
    return customers


def _figures(data):
    return {key: value for key, value in data.items() if key not in VOLATILE}


def _invoice_queries(captured):
    return [q["sql"] for q in captured if "collection_invoice" in q["sql"]]


def test_page_is_served_from_the_snapshot_in_constant_queries(build, system, users, client_for,
                                                              django_assert_max_num_queries):
    _portfolio(build, system, 3)
    services.provision_run(actor=system, period=TODAY)
    client = client_for(users["riskadmin"])
    client.get(reverse("monitoring:dashboard"))  # the warm-up: computed live and stored
    with django_assert_max_num_queries(10) as small:
        response = client.get(reverse("monitoring:dashboard"))
    assert response.status_code == 200 and response.context["data"]["snapshot"]
    assert not _invoice_queries(small.captured_queries)  # no figure computed: read from the cache
    assert _figures(response.context["data"]) == _figures(selectors.dashboard(users["riskadmin"]))

    _portfolio(build, system, 30)
    selectors.dashboard_snapshot_refresh()  # what beat does every few minutes
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        response = client.get(reverse("monitoring:dashboard"))
    assert not _invoice_queries(large.captured_queries)
    data = response.context["data"]
    live = selectors.dashboard(users["riskadmin"])
    assert _figures(data) == _figures(live)
    assert len(data["top_customers"]) == 10 and data["total_exposure"] == live["total_exposure"] > 0
    # the API reads the same snapshot
    api_data = client.get("/api/v1/dashboard/").json()
    assert api_data["total_exposure"] == str(live["total_exposure"]) and "computed_at" in api_data


def test_a_stale_snapshot_is_served_until_refreshed(build, system, users, client_for):
    _portfolio(build, system, 2)
    client = client_for(users["auditor"])
    before = client.get(reverse("monitoring:dashboard")).context["data"]["total_exposure"]
    _portfolio(build, system, 2)
    assert client.get(reverse("monitoring:dashboard")).context["data"]["total_exposure"] == before
    selectors.dashboard_snapshot_refresh()
    after = client.get(reverse("monitoring:dashboard")).context["data"]["total_exposure"]
    assert after > before and after == selectors.dashboard(users["auditor"])["total_exposure"]


def test_the_page_says_when_its_figures_were_computed_in_both_languages(build, system, users, client_for):
    _portfolio(build, system, 2)
    clock.set_instant(dt.datetime(2026, 6, 30, 12, 15, tzinfo=dt.timezone.utc))  # 20:15 in Shanghai
    with translation.override("en"):
        selectors.dashboard_snapshot_refresh()  # computed in one language, served in both
    clock.set_instant(dt.datetime(2026, 6, 30, 12, 40, tzinfo=dt.timezone.utc))
    client = client_for(users["riskadmin"])
    english = client.get(reverse("monitoring:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Figures as of 20:15" in english and "Refresh now" in english
    chinese = client.get(reverse("monitoring:dashboard"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = chinese.content.decode()
    assert "数据截至 20:15" in html and "立即刷新" in html
    assert [r["label"] for r in chinese.context["data"]["aging"]][0] == "未到期"  # labels in the reader's language


def test_refresh_now_recomputes_for_the_risk_admin(build, system, users, client_for,
                                                   django_capture_on_commit_callbacks):
    _portfolio(build, system, 2)
    client = client_for(users["riskadmin"])
    clock.set_instant(dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.timezone.utc))
    client.get(reverse("monitoring:dashboard"))  # stored at 20:00
    _portfolio(build, system, 2)
    clock.set_instant(dt.datetime(2026, 6, 30, 12, 5, tzinfo=dt.timezone.utc))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("monitoring:dashboard_refresh"))
    assert response.status_code == 302 and response.url == reverse("monitoring:dashboard")
    page = client.get(reverse("monitoring:dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Figures as of 20:05" in page.content.decode()
    assert page.context["data"]["total_exposure"] == selectors.dashboard(users["riskadmin"])["total_exposure"]

    # another period: its own snapshot, and back to it
    start, end = TODAY - dt.timedelta(days=90), TODAY - dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("monitoring:dashboard_refresh"), {"start": start.isoformat(),
                                                                          "end": end.isoformat()})
    assert response.status_code == 302
    assert response.url == reverse("monitoring:dashboard") + f"?start={start.isoformat()}&end={end.isoformat()}"


def test_refresh_now_is_refused_without_dashboard_access_get_or_csrf(users, client_for):
    assert client_for(users["rm"]).post(reverse("monitoring:dashboard_refresh")).status_code == 403
    assert client_for(users["riskadmin"]).get(reverse("monitoring:dashboard_refresh")).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(users["riskadmin"])
    assert strict.post(reverse("monitoring:dashboard_refresh")).status_code == 403
    assert Client().post(reverse("monitoring:dashboard_refresh")).status_code == 302  # to the login page
    from creditportal.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        services.dashboard_refresh_request(actor=users["rm"])


def test_the_beat_entry_names_the_task_and_it_runs_on_the_batch_queue():
    app.loader.import_default_modules()
    entries = [e for e in app.conf.beat_schedule.values() if e["task"] == "monitoring.refresh_dashboard_snapshot"]
    assert len(entries) == 1
    assert entries[0]["schedule"] == settings.DASHBOARD_SNAPSHOT_REFRESH_SECONDS < settings.DASHBOARD_SNAPSHOT_TTL
    assert "monitoring.refresh_dashboard_snapshot" in app.tasks
    assert app.amqp.router.route({}, "monitoring.refresh_dashboard_snapshot")["queue"].name == "batch"


def test_the_task_stores_the_default_period_once_a_minute(build, system, users):
    from django.core.cache import cache

    from monitoring import tasks
    from monitoring.selectors.dashboard_snapshot import ALL, snapshot_key
    from creditportal.core.money import RateTable

    _portfolio(build, system, 2)
    assert tasks.refresh_dashboard_snapshot.apply().get() is True
    start, end = selectors.dashboard_range(today=TODAY)
    stored = cache.get(snapshot_key(ALL, start, end, RateTable(TODAY)))
    assert stored["total_exposure"] == selectors.dashboard(users["riskadmin"])["total_exposure"] > 0
    assert tasks.refresh_dashboard_snapshot.apply().get() is False  # a second beat's copy


def test_another_period_gives_its_own_correct_figures(build, system, users, client_for):
    _portfolio(build, system, 6)
    selectors.dashboard_snapshot_refresh()  # the default period's snapshot
    client = client_for(users["riskadmin"])
    start, end = TODAY - dt.timedelta(days=12), TODAY - dt.timedelta(days=1)
    for _ in range(2):  # computed live on the miss, then from its own snapshot
        data = client.get(reverse("monitoring:dashboard"), {"start": start.isoformat(),
                                                            "end": end.isoformat()}).context["data"]
        live = selectors.dashboard(users["riskadmin"], start=start, end=end)
        assert (data["start"], data["end"]) == (start, end)
        assert _figures(data) == _figures(live)
    default = client.get(reverse("monitoring:dashboard")).context["data"]
    assert default["migration"] != data["migration"]  # the two periods were not mixed up
    assert _figures(default) == _figures(selectors.dashboard(users["riskadmin"]))


def test_a_relationship_manager_keeps_their_own_scope(build, system, users, client_for):
    _portfolio(build, system, 4)
    own = _portfolio(build, system, 2, rm=users["rm2"])
    selectors.dashboard_snapshot_refresh()
    assert selectors.snapshot_scope(users["rm2"]) is None and selectors.snapshot_scope(users["riskadmin"]) == "all"
    for _ in range(2):
        data = selectors.dashboard_for(users["rm2"])
        assert not data["snapshot"]
        assert _figures(data) == _figures(selectors.dashboard(users["rm2"]))
        assert {r["id"] for r in data["top_customers"]} == {c.pk for c in own}
    assert data["total_exposure"] < selectors.dashboard_for(users["riskadmin"])["total_exposure"]
    assert client_for(users["rm2"]).get(reverse("monitoring:dashboard")).status_code == 403
