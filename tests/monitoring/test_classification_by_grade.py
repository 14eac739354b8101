"""Classification by grade as well as by days past due (design brief §3): a debtor rated D is at least
substandard, one rated in letter C at least special mention (configurable); the tier is the worse of the
two floors and any manual tier — one rule (``monitoring.rules.classify``) for the month-end run and the
simulation in ``validation``."""
import datetime as dt

import pytest

from creditportal.core.errors import ValidationFailed
from monitoring import rules, services
from monitoring.models import AssetClassification

from .conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("grade, days, floor", [
    ("D", 0, "substandard"),          # rated D, nothing past due: no longer "normal"
    ("CCC", 0, "special_mention"),    # letter C
    ("C", 0, "special_mention"),
    ("BBB", 0, "normal"),
    ("A", 0, "normal"),
    ("D", 300, "doubtful"),           # days past due worse than the grade
    ("CCC", 100, "substandard"),
    ("D", 30, "substandard"),         # the grade worse than days past due
    ("AA", 361, "loss"),
])
def test_the_run_takes_the_worse_of_grade_and_days_past_due(build, system, grade, days, floor):
    customer = build.customer()
    build.invoice(customer, days_past_due=days)
    build.rating(customer, grade)
    services.classification_run(actor=system, period=TODAY)
    row = AssetClassification.objects.get(customer=customer, period=TODAY)
    assert (row.floor_tier, row.tier, row.letter) == (floor, floor, grade[0])
    assert row.dpd_floor_tier == rules.floor_tier(days)


def test_an_unrated_customer_is_classified_by_days_past_due(build, system):
    customer = build.customer()
    build.invoice(customer, days_past_due=5)
    services.classification_run(actor=system, period=TODAY)
    row = AssetClassification.objects.get(customer=customer)
    assert (row.letter, row.tier) == ("", "special_mention")


def test_a_rating_approved_after_the_month_end_does_not_count(build, system):
    customer = build.customer()
    build.invoice(customer, days_past_due=0)
    build.rating(customer, "D", approved_on=TODAY + dt.timedelta(days=3))
    services.classification_run(actor=system, period=TODAY)
    assert AssetClassification.objects.get(customer=customer).tier == "normal"


def test_manual_tier_better_than_the_grade_floor_is_refused(build, system, users):
    customer = build.customer()
    build.invoice(customer, days_past_due=0)
    build.rating(customer, "D")
    services.classification_run(actor=system, period=TODAY)
    row = AssetClassification.objects.get(customer=customer)
    with pytest.raises(ValidationFailed):
        services.classification_request(actor=users["analyst"], classification=row, tier="special_mention",
                                        reason="pays on time")


def test_a_later_downgrade_raises_a_carried_manual_tier(build, system):
    customer = build.customer()
    build.invoice(customer, days_past_due=0)
    AssetClassification.objects.create(customer=customer, period=TODAY.replace(day=1) - dt.timedelta(days=1),
                                       currency="CNY", floor_tier="normal", tier="special_mention", manual=True,
                                       reason="sector")
    build.rating(customer, "D")
    services.classification_run(actor=system, period=TODAY)
    row = AssetClassification.objects.get(customer=customer, period=TODAY)
    assert (row.floor_tier, row.tier, row.manual) == ("substandard", "substandard", False)


def test_the_grade_floors_are_configurable(build, system, settings):
    settings.CLASSIFICATION_GRADE_FLOORS = {"C": "substandard", "D": "doubtful"}
    c, d = build.customer(), build.customer()
    for customer, grade in ((c, "CC"), (d, "D")):
        build.invoice(customer, days_past_due=0)
        build.rating(customer, grade)
    services.classification_run(actor=system, period=TODAY)
    tiers = dict(AssetClassification.objects.values_list("customer_id", "tier"))
    assert (tiers[c.pk], tiers[d.pk]) == ("substandard", "doubtful")


def test_the_rule_itself():
    assert rules.classify(days_past_due=0, letter="D").tier == "substandard"
    assert rules.classify(days_past_due=0, letter="D", manual_tier="loss").tier == "loss"
    assert rules.classify(days_past_due=0, letter="A", manual_tier="normal").tier == "normal"
    assert rules.classify(days_past_due=95, letter="C", manual_tier="special_mention").tier == "substandard"
    result = rules.classify(days_past_due=10, letter="D")
    assert (result.dpd_floor, result.grade_floor, result.floor) == ("special_mention", "substandard", "substandard")
    assert rules.classify(days_past_due=0, letter="D", floors={}).tier == "normal"


def test_one_days_past_due_for_classification_and_warning_rules(build, system):
    """Classification and the overdue warning rule read collection's one definition (its oldest overdue open
    invoice, by debtor); a paid invoice, however late, and one not yet due do not count."""
    from collection.selectors import days_past_due
    from monitoring import metrics

    customer = build.customer()
    build.invoice(customer, "100", days_past_due=400, paid="100")   # paid (status set below)
    build.invoice(customer, "100", days_past_due=45, paid="40")     # partly paid, still open: 45 days
    build.invoice(customer, "100", days_past_due=-10)               # not yet due
    from collection.models import Invoice

    Invoice.objects.filter(customer=customer, paid_amount=100).update(status="paid")
    services.classification_run(actor=system, period=TODAY)
    row = AssetClassification.objects.get(customer=customer, period=TODAY)
    ctx = metrics.EvaluationContext([customer.pk], TODAY)
    assert row.days_past_due == ctx.days_past_due(customer.pk) == days_past_due([customer.pk], TODAY)[customer.pk] == 45
