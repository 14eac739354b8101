"""Home-page panels: my open alerts; reclassifications, provision rates and warning rules awaiting my approval."""
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditportal.core import access, clock
from proposals.home import pending_panel

from . import selectors


def home_panels(user):
    panels = []
    today = clock.today()
    if access.has(user, "monitoring.handle_alert"):
        alerts, count = selectors.my_open_alerts(user)
        panels.append({
            "title": _("My open alerts"), "count": count,
            "url": reverse("monitoring:alert_list") + "?status=open&mine=1",
            "items": [{"label": f"[{a.get_severity_display()}] {a.customer.name} · {a.rule.name}",
                       "url": reverse("monitoring:alert_detail", args=[a.pk]),
                       "age_days": (today - a.raised_on).days} for a in alerts],
        })
    if access.has(user, "monitoring.approve_classification"):
        queryset = selectors.reclassifications_awaiting(user)
        rows = list(queryset[:10])
        panels.append({
            "title": _("Reclassifications awaiting my approval"), "count": queryset.count(),
            "url": reverse("monitoring:classification_list") + "?status=pending_approval&all=1",
            "items": [{"label": f"{c.customer.name}: {c.get_tier_display()} → {c.get_requested_tier_display()}",
                       "url": reverse("monitoring:classification_detail", args=[c.pk]),
                       "age_days": (today - timezone.localdate(c.requested_at)).days if c.requested_at else None} for c in rows],
        })
    from .models import ProvisionRateChange, WarningRuleChange

    rates_url = reverse("monitoring:provision_run_list")
    panels += pending_panel(user, ProvisionRateChange, title=_("Provision rates awaiting my approval"), url=rates_url,
                            label=lambda c: _("proposed by %(user)s") % {"user": c.proposed_by.username},
                            item_url=lambda c: reverse("monitoring:provision_rates_change_detail", args=[c.pk]))
    panels += pending_panel(user, WarningRuleChange, title=_("Warning rules awaiting my approval"),
                            url=reverse("monitoring:rule_list"),
                            label=lambda c: _("%(kind)s %(code)s, proposed by %(user)s") % {
                                "kind": c.get_kind_display(), "code": c.code, "user": c.proposed_by.username},
                            item_url=lambda c: reverse("monitoring:rule_change_detail", args=[c.pk]))
    return panels
