"""Issue 21: the demo looks like a real credit department — about 200 customers over ≥8 industries and regions
with 24 months of history (ratings that move both ways, a month end of classification, provisions and aging for
each), queues whose items wait for days and weeks, the trends page and the dashboard showing the 24 months; and
``load_demo`` run twice changes nothing the second time."""
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum
from django.urls import reverse

from creditportal.core import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def department(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    call_command("load_demo", stdout=io.StringIO())


def _users():
    from django.contrib.auth import get_user_model

    return {u.username: u for u in get_user_model().objects.all()}


def _month_ends():
    from monitoring.services._common import default_period
    from provisions.selectors import month_ends_back

    return month_ends_back(default_period(clock.today()), 24)


def _fingerprint():
    """What the demo wrote: row counts and amounts of every kind of record it makes (the nightly rules' re-seen
    alerts and their audit aside: monitoring's demo evaluates the rules on each run)."""
    from collection.models import CollectionCase, Invoice, Payment, PromiseToPay
    from credit.models import CreditApplication, Decision, Facility
    from customers.models import Contact, Customer, CustomerGroup, FinancialStatement
    from monitoring.models import Alert, AssetClassification, ProvisionLine, ProvisionRun
    from provisions.models import AgingSnapshot, AgingSnapshotLine
    from ratings.models import Rating

    counted = [Customer, CustomerGroup, Contact, FinancialStatement, Rating, CreditApplication, Decision, Facility,
               Invoice, Payment, CollectionCase, PromiseToPay, Alert, AssetClassification, ProvisionRun,
               ProvisionLine, AgingSnapshot, AgingSnapshotLine]
    result = {model.__name__: model.objects.count() for model in counted}
    result["invoiced"] = Invoice.objects.aggregate(s=Sum("amount"), p=Sum("paid_amount"))
    result["provisions"] = list(ProvisionRun.objects.order_by("period").values_list("period", "total_provision"))
    result["states"] = sorted(CreditApplication.objects.values_list("status").annotate(n=Count("id")))
    result["alerts"] = sorted(Alert.objects.values_list("status", "raised_on").annotate(n=Count("id")))
    return result


def _moves():
    """(upgrades, downgrades) between consecutive approved ratings of the same customer."""
    from ratings.models import Rating

    up = down = 0
    previous = {}
    for customer_id, score in (Rating.objects.filter(state__in=["approved", "superseded"])
                               .order_by("customer_id", "approved_on", "id").values_list("customer_id", "pd")):
        if customer_id in previous and score != previous[customer_id]:
            up, down = (up + 1, down) if score < previous[customer_id] else (up, down + 1)
        previous[customer_id] = score
    return up, down


def test_the_department_is_large_varied_has_history_and_loads_twice_unchanged(department):
    from collection.models import CollectionCase, PromiseToPay
    from credit.models import CreditApplication
    from credit.selectors import age_days, work_queue
    from customers.models import Customer, CustomerGroup, FinancialStatement
    from monitoring.models import Alert, AssetClassification, ProvisionRun
    from provisions.models import AgingSnapshot

    today = clock.today()
    customers = Customer.objects.all()
    assert 195 <= customers.count() <= 210
    assert customers.values("industry_section").distinct().count() >= 8
    regions = {code[2:4] for code in customers.exclude(credit_code=None).values_list("credit_code", flat=True)}
    assert len(regions) >= 8  # provinces (the second and third characters of the region code)
    assert customers.filter(name_en="").count() == 0 and CustomerGroup.objects.count() >= 10
    assert set(customers.values_list("relationship_manager__username", flat=True)) == {"rm", "rm2"}
    per_customer = FinancialStatement.objects.values("customer").annotate(n=Count("id")).values_list("n", flat=True)
    assert min(per_customer) == 3 and len(per_customer) >= 190

    periods = _month_ends()
    assert set(periods) <= set(ProvisionRun.objects.values_list("period", flat=True))
    assert set(periods) <= set(AgingSnapshot.objects.values_list("period", flat=True))
    assert all(AssetClassification.objects.filter(period=p).count() > 150 for p in periods)
    up, down = _moves()
    assert up >= 20 and down >= 20, (up, down)

    states = set(CreditApplication.objects.values_list("status", flat=True))
    assert set(CreditApplication.Status.values) <= states
    assert set(CreditApplication.objects.filter(status="pending_approval").values_list("current_level", flat=True)) \
        == {1, 2, 3}
    users = _users()
    for approver in ("approver1", "approver2", "approver3"):
        queue = list(work_queue(users[approver]))
        assert queue and max(age_days(a, today) for a in queue) > 7, approver
    assert any(age_days(a, today) > 7 for a in work_queue(users["analyst"]))
    cases = CollectionCase.objects.active().filter(assigned_to=users["collector"])
    assert cases.count() >= 10 and cases.filter(opened_on__lt=today - dt.timedelta(days=7)).count() >= 10
    assert PromiseToPay.objects.filter(state="pending", promised_date=today).exists()
    assert PromiseToPay.objects.filter(state="broken").exists()
    open_alerts = Alert.objects.filter(status__in=["open", "acknowledged"])
    assert open_alerts.filter(raised_on__lt=today - dt.timedelta(days=7)).count() >= 20
    assert open_alerts.filter(raised_on__gte=today - dt.timedelta(days=7)).exists()
    assert Alert.objects.filter(status__in=["resolved", "dismissed"], raised_on__lt=today - dt.timedelta(days=30))\
        .count() >= 10

    before = _fingerprint()
    call_command("load_demo", stdout=io.StringIO())
    assert _fingerprint() == before


@pytest.mark.parametrize("language, words", [("en", ["Portfolio over time", "NPL ratio"]),
                                             ("zh-hans", ["资产组合趋势", "不良率"])])
def test_the_trends_page_and_the_dashboard_show_the_24_months(department, client, language, words):
    from django.utils import translation

    from creditportal.core.formatting import percent

    client.force_login(_users()["riskadmin"])
    response = client.get(reverse("monitoring:trends"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content.decode()
    for word in words:
        assert word in html
    months = response.context["trend"]["months"]
    assert [m["period"] for m in months] == _month_ends()
    assert all(m["customers"] > 150 and m["exposure"] > 0 for m in months)
    assert len(response.context["chart_data"]["labels"]) == 24
    assert len({m["npl_ratio"] for m in months}) > 12  # a trend, not one figure repeated
    assert sum(m["moves"]["upgrades"] for m in months) > 5 and sum(m["moves"]["downgrades"] for m in months) > 5
    with translation.override(language):
        for month in months:  # each month end is a row of the table, with its own figures
            row = html.split(f'>{month["period"]:%Y-%m}</a></td>', 1)[1].split("</tr>", 1)[0]
            assert f'>{month["customers"]}</td>' in row and percent(month["npl_ratio"]) in row
    assert len(response.context["trend"]["breakdown"]) == 2  # rm and rm2

    start = (clock.today() - dt.timedelta(days=730)).isoformat()
    dashboard = client.get(reverse("monitoring:dashboard"), {"start": start}, HTTP_ACCEPT_LANGUAGE=language)
    assert dashboard.status_code == 200
    data = dashboard.context["data"]
    assert data["migration"]["upgrades"] > 5 and data["migration"]["downgrades"] > 5
    assert len(data["by_industry"]) >= 8 and data["total_exposure"] > Decimal("1000000")
    ages = {key: sum(a["count"] for row in data["alerts"] for a in row["ages"] if a["key"] == key)
            for key in data["age_buckets"]}
    assert all(ages.values()), ages  # alerts raised this week, this month, this quarter and before
    assert data["provision_run"].period == _month_ends()[-1] and data["provision_total"] > 0
