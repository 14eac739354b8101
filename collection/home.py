"""Home-page panels: the collector's work queue; the write-offs waiting for an approver; the dunning changes
waiting for a second risk administrator."""
from django.urls import reverse
from django.utils.translation import gettext as _

from creditportal.core import clock
from creditportal.core.formatting import money, person
from proposals.home import pending_panel

from . import selectors


def home_panels(user):
    panels = _writeoff_panels(user) + _dunning_change_panels(user)
    if not user.has_perm("collection.change_collectioncase"):
        return panels
    from creditportal.core.money import RateTable

    queue = selectors.work_queue(user, limit=5)
    today = clock.today()
    url = reverse("collection:work_queue")
    # each item with the customer's amount overdue (reporting currency, one query for all) and its due date
    table = RateTable(today)
    customer_ids = ({c.customer_id for c in queue["calls"] + queue["oldest"]}
                    | {p.case.customer_id for p in queue["promises_due"] + queue["broken"]}
                    | {a.customer_id for a in queue["call_tasks"]})
    overdue, _missing = selectors.overdue_amounts(customer_ids, today, table)

    def item(label, link, customer_id, age_days, due):
        return {"label": label, "url": link, "age_days": age_days, "due": due,
                "overdue": overdue.get(customer_id), "currency": table.reporting_currency}

    def case_item(case, label=None, due=None):
        return item(label or case.customer.name, reverse("collection:case_detail", args=[case.pk]), case.customer_id,
                    (today - case.opened_on).days, due or case.next_action_on)

    calls = [case_item(c) for c in queue["calls"]] + [
        item(_("Call %(customer)s") % {"customer": a.customer.name}, url, a.customer_id,
             (today - a.business_date).days, a.business_date) for a in queue["call_tasks"]]
    return panels + [
        {"title": _("Calls due today"), "items": calls[:5], "count": len(calls), "url": url},
        {"title": _("Promises due"), "count": len(queue["promises_due"]), "url": url,
         "items": [case_item(p.case, f"{p.case.customer.name} · " + _("promised %(amount)s") % {
             "amount": money(p.amount, p.currency)}, due=p.promised_date) for p in queue["promises_due"]]},
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
        "items": [{"label": f"{w.case.customer.name} · {money(w.amount, w.currency)}",
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
            "user": person(c.proposed_by)},
        item_url=lambda c: reverse("collection:dunning_change_detail", args=[c.pk]))
