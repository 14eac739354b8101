"""Home-page panels: ECL runs and forward-looking scenarios waiting for a second person (never shown to whoever
proposed them: four-eyes)."""
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditportal.core import access, clock

from .models import EclRun, RunState, ScenarioSet, ScenarioState


def _panel(title, url, rows, label, item_url):
    if not rows:
        return []
    today = clock.today()
    return [{"title": title, "count": len(rows), "url": url,
             "items": [{"label": label(r), "url": item_url(r),
                        "age_days": (today - timezone.localdate(r.proposed_at)).days} for r in rows[:10]]}]


def home_panels(user):
    panels = []
    if access.has(user, "provisions.approve_eclrun"):
        runs = list(EclRun.objects.filter(state=RunState.PROPOSED).exclude(proposed_by=user)
                    .select_related("proposed_by").order_by("proposed_at"))
        panels += _panel(_("ECL runs awaiting my approval"), reverse("provisions:run_list") + "?state=proposed", runs,
                         lambda r: _("Month end %(month)s, allowance %(amount)s, proposed by %(user)s") % {
                             "month": f"{r.period:%Y-%m-%d}", "amount": f"{r.currency} {r.total_allowance:,.2f}",
                             "user": r.proposed_by.get_full_name() or r.proposed_by.username},
                         lambda r: reverse("provisions:run_detail", args=[r.pk]))
    if access.has(user, "provisions.approve_scenarioset"):
        sets = list(ScenarioSet.objects.filter(state=ScenarioState.PROPOSED).exclude(proposed_by=user)
                    .select_related("proposed_by").order_by("proposed_at"))
        panels += _panel(_("Forward-looking scenarios awaiting my approval"), reverse("provisions:scenario_list"), sets,
                         lambda s: _("%(name)s, proposed by %(user)s") % {
                             "name": s.name, "user": s.proposed_by.get_full_name() or s.proposed_by.username},
                         lambda s: reverse("provisions:scenario_list"))
    return panels
