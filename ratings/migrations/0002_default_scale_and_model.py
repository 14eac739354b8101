"""Data: the master scale (AAA … D, letters A/B/C/D) and the default corporate scorecard, active.

Shipped as data so a new installation can rate at once; a risk admin changes them through new versions.
"""
from django.db import migrations

GRADES = [
    # code, letter, score from, score below, PD
    ("AAA", "A", "90", "100", "0.000300"),
    ("AA", "A", "80", "90", "0.001000"),
    ("A", "A", "70", "80", "0.003000"),
    ("BBB", "B", "60", "70", "0.010000"),
    ("BB", "B", "50", "60", "0.025000"),
    ("B", "B", "40", "50", "0.050000"),
    ("CCC", "C", "30", "40", "0.120000"),
    ("CC", "C", "20", "30", "0.250000"),
    ("C", "C", "10", "20", "0.500000"),
    ("D", "D", "0", "10", "1.000000"),
]

T, L, Q, C = "quantitative", "linear", "qualitative", "categorical"
FACTORS = [
    # code, name, group, kind, source, weight, method, direction, thresholds, low, high, points
    ("current_ratio", "Current ratio", "capacity", T, "ratios.current_ratio", "10", "thresholds", "higher",
     [["0.8", "20"], ["1.0", "40"], ["1.2", "60"], ["1.5", "80"], ["2.0", "100"]], None, None, {}),
    ("debt_to_assets", "Debt to assets", "capital", T, "ratios.debt_to_assets", "12", "thresholds", "lower",
     [["0.40", "100"], ["0.55", "80"], ["0.70", "50"], ["0.85", "20"]], None, None, {}),
    ("interest_coverage", "Interest coverage", "capacity", T, "ratios.interest_coverage", "8", "thresholds",
     "higher", [["1", "20"], ["2", "50"], ["4", "80"], ["8", "100"]], None, None, {}),
    ("receivable_days", "Receivable days", "efficiency", T, "ratios.receivable_days", "6", "thresholds", "lower",
     [["30", "100"], ["60", "75"], ["90", "50"], ["180", "20"]], None, None, {}),
    ("asset_turnover", "Asset turnover", "efficiency", T, "ratios.asset_turnover", "4", L, "higher", [],
     "0.2", "2.0", {}),
    ("net_margin", "Net margin", "profitability", T, "ratios.net_margin", "6", L, "higher", [], "-0.05", "0.15", {}),
    ("roe", "Return on equity", "profitability", T, "ratios.roe", "6", L, "higher", [], "0", "0.20", {}),
    ("ocf_to_current_liabilities", "Operating cash flow to current liabilities", "cash_flow", T,
     "ratios.ocf_to_current_liabilities", "8", "thresholds", "higher",
     [["0", "20"], ["0.1", "50"], ["0.2", "80"], ["0.4", "100"]], None, None, {}),
    ("size", "Size", "size", C, "customer.size", "5", "", "higher", [], None, None,
     {"large": "100", "medium": "70", "small": "40", "micro": "20"}),
    ("payment_behaviour", "Payment behaviour (three indicators)", "character", C, "behaviour.result", "15", "", "higher",
     [], None, None, {"A": "100", "B": "65", "C": "30", "D": "0"}),
    ("negative_records", "Negative records (3 years)", "character", T, "negative.count_3y", "5", "thresholds",
     "lower", [["0", "100"], ["1", "60"], ["2", "30"]], None, None, {}),
    ("management", "Management quality", "character", Q, "", "5", "", "higher", [], None, None, {}),
    ("market_position", "Market position", "conditions", Q, "", "4", "", "higher", [], None, None, {}),
    ("industry_outlook", "Industry outlook", "conditions", Q, "", "3", "", "higher", [], None, None, {}),
    ("legal_compliance", "Legal and compliance", "character", Q, "", "3", "", "higher", [], None, None, {}),
]

CAPS = [
    {"code": "behaviour_veto", "label": "Behaviour result D (one-vote veto)", "source": "behaviour.result",
     "op": "eq", "value": "D", "max_grade": "D"},
    {"code": "negative_equity", "label": "Negative equity", "source": "financials.negative_equity", "op": "eq",
     "value": "yes", "max_grade": "CCC"},
    {"code": "many_negative_records", "label": "Three or more negative records in 3 years",
     "source": "negative.count_3y", "op": "ge", "value": "3", "max_grade": "B"},
]


def load(apps, schema_editor):
    User = apps.get_model("auth", "User")
    RatingScale = apps.get_model("ratings", "RatingScale")
    ScaleGrade = apps.get_model("ratings", "ScaleGrade")
    RatingModel = apps.get_model("ratings", "RatingModel")
    RatingFactor = apps.get_model("ratings", "RatingFactor")
    RatingsPolicy = apps.get_model("ratings", "RatingsPolicy")
    system = User.objects.get(username="system")
    scale, created = RatingScale.objects.get_or_create(
        code="master", defaults={"name": "Master scale", "is_master": True})
    if created:
        for position, (code, letter, low, high, pd) in enumerate(GRADES, start=1):
            ScaleGrade.objects.create(scale=scale, position=position, code=code, letter=letter, min_score=low,
                                      max_score=high, pd=pd)
    if not RatingModel.objects.filter(code="corporate").exists():
        model = RatingModel.objects.create(
            code="corporate", version=1, name="Corporate scorecard",
            description="Default scorecard for corporate customers: financial ratios, payment behaviour, "
                        "negative records and expert judgement (6C).",
            scale=scale, industries=[], sizes=[], caps=CAPS, state="active", created_by=system)
        for position, (code, name, group, kind, source, weight, method, direction, thresholds, low, high,
                       points) in enumerate(FACTORS, start=1):
            RatingFactor.objects.create(model=model, position=position, code=code, name=name, group=group,
                                        kind=kind, source=source, weight=weight, method=method,
                                        direction=direction, thresholds=thresholds, low=low, high=high,
                                        points=points)
    if not RatingsPolicy.objects.exists():
        RatingsPolicy.objects.create()


class Migration(migrations.Migration):
    dependencies = [
        ("ratings", "0001_initial"),
        ("accounts", "0001_roles_and_system_user"),
    ]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
