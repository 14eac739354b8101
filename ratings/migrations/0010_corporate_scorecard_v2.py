"""Data (issue 24): the shipped "Corporate scorecard" gets its next version, reading outside credit information
and coverage:

* two factors from outside credit information (``creditinfo``, input source ``outside``): the tax credit rating
  (A/B/M/C/D) and the court records of the last three years;
* two from coverage (input source ``coverage``): the insured share of the exposure (credit insurance) and the
  coverage of the exposure by collateral and guarantees;
* modest weights (4 + 4 + 3 + 3 = 14), taken from the other factors in proportion: each keeps its relative weight
  (v1 weight × 0.86), so the weights still sum to 100. Every new factor takes no weight when its input is missing
  (``missing_points`` empty): a customer without outside information or coverage scores exactly as under v1.
  The minimum data completeness scales the same way (70 % → 60.20 %): what was sufficient stays sufficient;
* two one-vote vetoes like "Behaviour result D": an open 失信被执行人 (dishonest judgement debtor) record, and an
  open bankruptcy record.

The new version is active and the one it copies is retired, kept with its factors: ratings made under it
reproduce from their snapshots. Applied only where the active corporate model is still the shipped one (same
factors and weights); a model a risk admin changed is left alone.
"""
from django.db import migrations
from django.utils import timezone

V1_WEIGHTS = {"current_ratio": "10", "debt_to_assets": "12", "interest_coverage": "8", "receivable_days": "6",
              "asset_turnover": "4", "net_margin": "6", "roe": "6", "ocf_to_current_liabilities": "8", "size": "5",
              "payment_behaviour": "15", "negative_records": "5", "management": "5", "market_position": "4",
              "industry_outlook": "3", "legal_compliance": "3"}
SHARE = "0.86"  # of the weight the first version's factors keep (100 − 14 for the new ones)
T, C, L = "quantitative", "categorical", "linear"
NEW_FACTORS = [
    # code, name, group, kind, source, weight, method, direction, thresholds, low, high, points
    ("tax_rating", "Tax credit rating", "character", C, "outside.tax_rating", "4", "", "higher", [], None, None,
     {"A": "100", "B": "75", "M": "60", "C": "30", "D": "0"}),
    ("court_records", "Court records (3 years)", "character", T, "outside.court_records_3y", "4", "thresholds",
     "lower", [["0", "100"], ["1", "70"], ["3", "40"], ["5", "10"]], None, None, {}),
    ("insured_share", "Credit insurance cover", "coverage", T, "coverage.insured_share", "3", L, "higher", [],
     "0", "0.8", {}),
    ("collateral_coverage", "Collateral and guarantee coverage", "collateral", T, "coverage.collateral_coverage",
     "3", L, "higher", [], "0", "1", {}),
]
NEW_CAPS = [
    {"code": "dishonest_veto", "label": "Dishonest judgement debtor (one-vote veto)", "source": "outside.dishonest",
     "op": "eq", "value": "yes", "max_grade": "D"},
    {"code": "bankruptcy_veto", "label": "Bankruptcy (one-vote veto)", "source": "outside.bankruptcy", "op": "eq",
     "value": "yes", "max_grade": "D"},
]
DESCRIPTION = ("Default scorecard for corporate customers: financial ratios, payment behaviour, negative records, "
               "outside credit information (tax credit rating, court records), coverage and expert judgement (6C).")
SETTINGS = ["behaviour_window_months", "behaviour_grace_days", "min_experts"]


def forward(apps, schema_editor):
    from decimal import Decimal

    User = apps.get_model("auth", "User")
    RatingModel = apps.get_model("ratings", "RatingModel")
    RatingFactor = apps.get_model("ratings", "RatingFactor")
    v1 = RatingModel.objects.filter(code="corporate", state="active").order_by("-version").first()
    if v1 is None:
        return
    factors = list(RatingFactor.objects.filter(model=v1).order_by("position", "code"))
    if {f.code: f.weight for f in factors} != {code: Decimal(w) for code, w in V1_WEIGHTS.items()}:
        return  # a risk admin's own model: not ours to change
    system = User.objects.get(username="system")
    now = timezone.now()
    latest = RatingModel.objects.filter(code="corporate").order_by("-version").first()
    v2 = RatingModel.objects.create(
        code="corporate", version=latest.version + 1, name=v1.name, description=DESCRIPTION, scale_id=v1.scale_id,
        industries=v1.industries, sizes=v1.sizes, caps=[*v1.caps, *NEW_CAPS], state="active", created_by=system,
        activated_by=system, activated_at=now, previous=v1, **{name: getattr(v1, name) for name in SETTINGS},
        min_completeness=(v1.min_completeness * Decimal(SHARE)).quantize(Decimal("0.01")))
    copies = []
    for factor in factors:
        factor.pk = None
        factor.model = v2
        factor.weight = factor.weight * Decimal(SHARE)
        copies.append(factor)
    position = max(f.position for f in factors)
    for offset, (code, name, group, kind, source, weight, method, direction, thresholds, low, high,
                 points) in enumerate(NEW_FACTORS, start=1):
        copies.append(RatingFactor(model=v2, position=position + offset, code=code, name=name, group=group, kind=kind,
                                   source=source, weight=Decimal(weight), method=method, direction=direction,
                                   thresholds=thresholds, low=low, high=high, points=points, missing_points=None))
    assert sum(f.weight for f in copies) == 100
    RatingFactor.objects.bulk_create(copies)
    RatingModel.objects.filter(pk=v1.pk).update(state="retired", retired_at=now)


def backward(apps, schema_editor):
    RatingModel = apps.get_model("ratings", "RatingModel")
    for v2 in RatingModel.objects.filter(code="corporate", description=DESCRIPTION, previous__isnull=False):
        if v2.ratings.exists():
            continue  # ratings were made under it: keep it
        RatingModel.objects.filter(pk=v2.previous_id).update(state="active", retired_at=None)
        v2.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ratings", "0009_batch_progress_heartbeat"),
        ("accounts", "0001_roles_and_system_user"),
    ]
    operations = [migrations.RunPython(forward, backward)]
