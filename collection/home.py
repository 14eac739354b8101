"""Home-page panels: the collector's work queue; the write-offs waiting for an approver; the dunning changes
waiting for a second risk administrator."""
from django.urls import reverse
from django.utils.translation import gettext as _

from creditportal.core import clock
from proposals.home import pending_panel

from . import selectors


def home_panels(user):
    panels = _writeoff_panels(user) + _dunning_change_panels(user)
    if not user.has_perm("collection.change_collectioncase"):
        return panels
    queue = selectors.work_queue(user, limit=5)
    today = clock.today()
    url = reverse("collection:work_queue")

    def case_item(case, label=None):
        return {"label": label or case.customer.name, "url": reverse("collection:case_detail", args=[case.pk]),
                "age_days": (today - case.opened_on).days}

    calls = [case_item(c) for c in queue["calls"]] + [
        {"label": _("Call %(customer)s") % {"customer": a.customer.name}, "url": url,
         "age_days": (today - a.business_date).days} for a in queue["call_tasks"]]
    return panels + [
        {"title": _("Calls due today"), "items": calls[:5], "count": len(calls), "url": url},
        {"title": _("Promises due"), "count": len(queue["promises_due"]), "url": url,
         "items": [case_item(p.case, f"{p.case.customer.name} · {p.currency} {p.amount:,}") for p in queue["promises_due"]]},
        {"title": _("Broken promises"), "count": len(queue["broken"]), "url": url,
         "items": [case_item(p.case) for p in queue["broken"]]},
        {"title": _("Oldest cases"), "count": len(queue["oldest"]), "url": url,
         "items": [case_item(c) for c in queue["oldest"]]},
    ]


def _writeoff_panels(user):
    """An approver's write-offs to decide (not their own proposals: four-eyes)."""
    if not user.has_perm("collection.approve_writeoff"):
        return []
    today = clock.today()
    queryset = selectors.writeoffs_awaiting(user)
    rows = list(queryset[:5])
    return [{
        "title": _("Write-offs awaiting my approval"), "count": queryset.count(),
        "url": reverse("collection:writeoff_list") + "?state=proposed",
        "items": [{"label": f"{w.case.customer.name} · {w.currency} {w.amount:,}",
                   "url": reverse("collection:case_detail", args=[w.case_id]),
                   "age_days": (today - w.proposed_on).days} for w in rows],
    }]


def _dunning_change_panels(user):
    """A risk administrator's dunning changes to decide (not their own proposals: four-eyes)."""
    from .models import DunningPolicyChange

    return pending_panel(
        user, DunningPolicyChange, title=_("Dunning changes awaiting my approval"),
        url=reverse("collection:policy_list"),
        label=lambda c: _("%(kind)s, proposed by %(user)s") % {
            "kind": f"{c.get_kind_display()}: {c.policy.localized_name if c.policy else c.values.get('name', '')}",
            "user": c.proposed_by.username},
        item_url=lambda c: reverse("collection:dunning_change_detail", args=[c.pk]))
