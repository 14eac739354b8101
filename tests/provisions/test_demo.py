"""The demo: two and a half years of invoices, 24+ month-end snapshots, scenarios in force, a locked run and a
proposed one; loading it twice changes nothing."""
import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_demo_has_month_end_snapshots_and_runs(settings, tmp_path):
    from provisions import services
    from provisions.models import AgingSnapshot, EclRun, RunState, ScenarioSet

    settings.MEDIA_ROOT = str(tmp_path)
    call_command("load_demo", "--small", stdout=io.StringIO())
    assert AgingSnapshot.objects.count() >= 24
    assert all(services.snapshot_verify(s) for s in AgingSnapshot.objects.all()[:3])
    assert ScenarioSet.objects.filter(state="active").count() == 1
    states = sorted(EclRun.objects.values_list("state", flat=True))
    assert states == sorted([RunState.LOCKED, RunState.PROPOSED])
    locked = EclRun.objects.get(state=RunState.LOCKED)
    assert locked.lookback == 24 and locked.total_allowance > 0
    assert any(line.impaired for line in locked.lines.all())  # xibei_energy: grade or tier makes it impaired
    # the impaired customers are assessed one by one: their allowance is exposure − expected recoveries
    from provisions.models import ImpairedAssessment

    impaired = [line for line in locked.lines.all() if line.impaired]
    assessed = {a.customer_id: a for a in ImpairedAssessment.objects.filter(period=locked.period)}
    assert impaired and all(line.customer_id in assessed for line in impaired)
    for line in impaired:
        assert line.allowance == max(0, line.gross - assessed[line.customer_id].expected_recoveries) < line.gross
    assert locked.total_allowance < locked.total_gross  # no longer the whole book of the impaired ones

    # the second person finds the proposed run on the home page; the proposer does not
    from django.contrib.auth import get_user_model
    from provisions.home import home_panels

    users = get_user_model().objects
    proposed = EclRun.objects.get(state=RunState.PROPOSED)
    panels = home_panels(users.get(username="approver1"))
    assert [item["url"] for panel in panels for item in panel["items"]] == [f"/provisions/runs/{proposed.pk}/"]
    assert home_panels(users.get(username="riskadmin")) == []
    assert home_panels(users.get(username="rm")) == []
    counts = (AgingSnapshot.objects.count(), EclRun.objects.count())
    call_command("load_demo", "--small", stdout=io.StringIO())
    assert (AgingSnapshot.objects.count(), EclRun.objects.count()) == counts
