"""Scenario sets still waiting for a decision (or rejected) under the old state machine become scenario changes
of the ``proposals`` app, with their state, proposer, decider and dates; the sets put in force (active or
replaced) stay as they are, so the set in force stays in force and every run keeps the set it used."""
from django.db import migrations


def forwards(apps, schema_editor):
    ScenarioSet = apps.get_model("provisions", "ScenarioSet")
    ScenarioChange = apps.get_model("provisions", "ScenarioChange")
    EclRun = apps.get_model("provisions", "EclRun")
    active = ScenarioSet.objects.filter(state="active").first()
    previous = {"id": active.pk, "name": active.name, "scenarios": active.scenarios} if active else {}
    used = set(EclRun.objects.exclude(scenario_set=None).values_list("scenario_set_id", flat=True))
    legacy = list(ScenarioSet.objects.filter(state__in=["proposed", "rejected"]).order_by("-id"))
    newest_open = next((s.pk for s in legacy if s.state == "proposed"), None)
    moved = []
    for item in legacy:
        # one open proposal per target: the newest open one keeps the key, older open ones get their own
        key = "scenarios" if item.pk == newest_open or item.state != "proposed" else f"scenarios#{item.pk}"
        change = ScenarioChange.objects.create(
            key=key, state=item.state, values={"name": item.name, "reason": item.reason, "scenarios": item.scenarios},
            previous=previous, proposed_by_id=item.proposed_by_id, decided_by_id=item.decided_by_id,
            decided_at=item.decided_at)
        ScenarioChange.objects.filter(pk=change.pk).update(proposed_at=item.proposed_at)
        if item.pk not in used:
            moved.append(item.pk)
    ScenarioSet.objects.filter(pk__in=moved).delete()


def backwards(apps, schema_editor):
    ScenarioSet = apps.get_model("provisions", "ScenarioSet")
    ScenarioChange = apps.get_model("provisions", "ScenarioChange")
    for change in ScenarioChange.objects.filter(state__in=["proposed", "rejected"], scenario_set=None):
        ScenarioSet.objects.create(
            name=change.values.get("name", "")[:100], scenarios=change.values.get("scenarios", []),
            reason=change.values.get("reason", ""), state=change.state, proposed_by_id=change.proposed_by_id,
            proposed_at=change.proposed_at, decided_by_id=change.decided_by_id, decided_at=change.decided_at)
    ScenarioChange.objects.filter(scenario_set=None).delete()


class Migration(migrations.Migration):
    dependencies = [("provisions", "0002_scenarios_on_proposals_and_evidence")]
    operations = [migrations.RunPython(forwards, backwards)]
