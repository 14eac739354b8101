"""Home-page panels: ECL runs and forward-looking scenarios waiting for a second person (never shown to whoever
proposed them: four-eyes). The scenarios are the ``proposals`` app's queue (``pending_panel``)."""
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditportal.core import access, clock
from creditportal.core.formatting import person
from proposals.home import pending_panel

from .models import EclRun, RunState, ScenarioChange


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
                             "user": person(r.proposed_by)},
                         lambda r: reverse("provisions:run_detail", args=[r.pk]))
    panels += pending_panel(user, ScenarioChange, title=_("Forward-looking scenarios awaiting my approval"),
                            url=reverse("provisions:scenario_list"),
                            label=lambda c: _("%(name)s, proposed by %(user)s") % {
                                "name": c.values.get("name", ""),
                                "user": person(c.proposed_by)},
                            item_url=lambda c: reverse("provisions:scenario_change_detail", args=[c.pk]))
    return panels
