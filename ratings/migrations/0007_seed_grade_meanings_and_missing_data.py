"""Data (DESIGN §3, issue 19):

* grade meanings on every scale's grades that have none, by letter (seed 001: A strong, B average, C weak,
  D heavy losses or insolvent; the pages translate them, see ``ratings/shipped.py``);
* ``missing_points`` 0 becomes "not set" on every factor: 0 was the default, not a choice, and scored a
  missing input the worst points. Unset, a missing input takes no weight (engine version 2). Ratings already
  made keep their snapshot and reproduce under engine version 1;
* the ratings policy's behaviour window (months) is copied onto every rating model (now a model setting).
"""
from django.db import migrations

MEANINGS = {
    "A": "Strong profitability and a good payment record.",
    "B": "Average profitability and payment record.",
    "C": "Weak profitability or payment record.",
    "D": "Heavy losses or insolvent; credit sales are not advised.",
}


def forward(apps, schema_editor):
    ScaleGrade = apps.get_model("ratings", "ScaleGrade")
    RatingFactor = apps.get_model("ratings", "RatingFactor")
    RatingModel = apps.get_model("ratings", "RatingModel")
    RatingsPolicy = apps.get_model("ratings", "RatingsPolicy")
    for letter, text in MEANINGS.items():
        ScaleGrade.objects.filter(letter=letter, meaning="").update(meaning=text)
    RatingFactor.objects.filter(missing_points=0).update(missing_points=None)
    policy = RatingsPolicy.objects.order_by("pk").first()
    # getattr: the tests replay data migrations with today's models, where the policy has no window any more
    months = getattr(policy, "behaviour_window_months", None) if policy is not None else None
    if months:
        RatingModel.objects.update(behaviour_window_months=months)


def backward(apps, schema_editor):
    RatingFactor = apps.get_model("ratings", "RatingFactor")
    RatingFactor.objects.filter(missing_points__isnull=True).update(missing_points=0)


class Migration(migrations.Migration):
    dependencies = [
        ("ratings", "0006_model_settings_grade_meanings_completeness"),
    ]
    operations = [migrations.RunPython(forward, backward)]
