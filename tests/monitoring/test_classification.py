"""Asset classification (floor by days past due, by debtor, manual worse only, four-eyes) and provisions."""
import datetime as dt
from decimal import Decimal as D

import pytest

from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed
from monitoring import services
from monitoring.models import AssetClassification, ProvisionRun
from proposals import services as proposals

from .conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("days,tier", [
    (0, "normal"), (1, "special_mention"), (90, "special_mention"), (91, "substandard"), (270, "substandard"),
    (271, "doubtful"), (360, "doubtful"), (361, "loss"),
])
def test_floor_by_days_past_due(build, system, days, tier):
    customer = build.customer()
    build.invoice(customer, days_past_due=days)
    services.classification_run(actor=system, period=TODAY)
    row = AssetClassification.objects.get(customer=customer, period=TODAY)
    assert (row.days_past_due, row.floor_tier, row.tier) == (days, tier, tier)


def test_by_debtor_the_worst_exposure_sets_the_tier(build, system):
    customer = build.customer()
    build.invoice(customer, "100", days_past_due=0)
    build.invoice(customer, "100", days_past_due=100)
    services.classification_run(actor=system, period=TODAY)
    row = AssetClassification.objects.get(customer=customer)
    assert row.tier == "substandard" and row.exposure == D("200.00")


def _classified(build, system, days=100):
    customer = build.customer()
    build.invoice(customer, "1000", days_past_due=days)
    services.classification_run(actor=system, period=TODAY)
    return AssetClassification.objects.get(customer=customer, period=TODAY)


def test_manual_better_than_floor_is_refused(build, system):
    row = _classified(build, system)
    with pytest.raises(ValidationFailed) as exc:
        services.classification_request(actor=build.users["analyst"], classification=row, tier="special_mention",
                                         reason="they will pay")
    assert "tier" in exc.value.field_errors
    row.refresh_from_db()
    assert row.tier == "substandard" and row.status == "confirmed"


def test_manual_worse_needs_a_reason_and_a_second_person(build, system):
    row = _classified(build, system)
    analyst, approver = build.users["analyst"], build.users["approver1"]
    with pytest.raises(ValidationFailed):
        services.classification_request(actor=analyst, classification=row, tier="doubtful", reason=" ")
    row = services.classification_request(actor=analyst, classification=row, tier="doubtful", reason="fraud found")
    assert row.status == "pending_approval" and row.tier == "substandard"
    with pytest.raises(Conflict):
        services.classification_request(actor=analyst, classification=row, tier="loss", reason="again")
    # the analyst cannot approve (no permission), an approver who requested cannot approve (four-eyes)
    with pytest.raises(NotAllowed):
        services.classification_approve(actor=analyst, classification=row)
    row = services.classification_approve(actor=approver, classification=row)
    assert (row.tier, row.manual, row.status, row.approved_by) == ("doubtful", True, "confirmed", approver)
    # the manual tier is carried into the next month (never better than that month's floor)
    next_month = dt.date(2026, 7, 31)
    from creditportal.core import clock
    clock.set_today(next_month)
    services.classification_run(actor=system, period=next_month)
    assert AssetClassification.objects.get(customer=row.customer, period=next_month).tier == "doubtful"


def test_four_eyes_on_reclassification(build, system, make_user):
    from django.contrib.auth.models import Group

    row = _classified(build, system)
    both = make_user("both")  # an approver who may also classify
    both.groups.add(Group.objects.get(name="approver"), Group.objects.get(name="credit_analyst"))
    row = services.classification_request(actor=both, classification=row, tier="loss", reason="insolvent")
    with pytest.raises(NotAllowed):
        services.classification_approve(actor=both, classification=row)
    row = services.classification_reject(actor=build.users["approver2"], classification=row, comment="no evidence")
    assert row.tier == "substandard" and row.status == "confirmed"


def test_provision_totals_on_known_data(build, system):
    a, b, c, d = build.customer(), build.customer(), build.customer(), build.customer()
    build.invoice(a, "10000", days_past_due=0)      # normal 1%      → 100.00
    build.invoice(b, "5000", days_past_due=30)      # special 2%     → 100.00
    build.invoice(c, "4000", days_past_due=200)     # substandard 25% → 1000.00
    build.invoice(d, "1000", days_past_due=400)     # loss 100%      → 1000.00
    build.invoice(d, "500", days_past_due=0)        # by debtor: loss too → 500.00
    run = services.provision_run(actor=build.users["riskadmin"], period=TODAY)
    assert run.total_exposure == D("20500.00")
    assert run.total_provision == D("2700.00")
    assert run.totals["loss"]["provision"] == "1500.00"
    assert run.lines.count() == 4
    # configurable rates; a second run of the month replaces its lines
    change = services.provision_rates_propose(actor=build.users["riskadmin"], rates={"normal": "0.02"})
    proposals.change_approve(actor=build.users["riskadmin2"], change=change)
    run = services.provision_run(actor=build.users["riskadmin"], period=TODAY)
    assert run.total_provision == D("2800.00") and ProvisionRun.objects.count() == 1 and run.lines.count() == 4


def test_provision_comparison_with_previous_month(build, system):
    from creditportal.core import clock
    from monitoring import selectors

    customer = build.customer()
    build.invoice(customer, "1000", days_past_due=80)
    previous = services.provision_run(actor=system, period=dt.date(2026, 5, 31))
    clock.set_today(TODAY)
    run = services.provision_run(actor=system, period=TODAY)
    comparison = selectors.provision_comparison(run)
    assert comparison["previous"] == previous
    rows = {r["tier"]: r for r in comparison["rows"]}
    assert rows["special_mention"]["provision"] == D("20.00")


def test_only_allowed_roles_classify_and_run(build, system):
    row = _classified(build, system)
    for name in ("rm", "auditor", "collector"):
        with pytest.raises(NotAllowed):
            services.classification_request(actor=build.users[name], classification=row, tier="loss", reason="x")
    with pytest.raises(NotAllowed):
        services.provision_run(actor=build.users["analyst"], period=TODAY)


def test_exposure_in_the_reporting_currency(build, system):
    import datetime as dt

    from creditportal.models import FxRate

    FxRate.objects.create(valid_on=TODAY - dt.timedelta(days=5), base_currency="USD", quote_currency="CNY",
                          rate=D("7.1"))
    customer = build.customer()
    build.invoice(customer, "100", currency="USD", days_past_due=0)
    build.invoice(customer, "50", days_past_due=0)
    run = services.provision_run(actor=system, period=TODAY)
    assert run.total_exposure == D("760.00") and run.total_provision == D("7.60")
    other = build.customer()
    build.invoice(other, "100", currency="GBP")
    with pytest.raises(ValidationFailed):
        services.provision_run(actor=system, period=TODAY)
