"""Home-page panels: my open alerts; reclassifications, provision rates and warning rules awaiting my approval."""
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditportal.core import access, clock
from creditportal.core.formatting import person
from proposals.home import pending_panel

from . import selectors


def my_book_panel(user, today) -> list[dict]:
    """A relationship manager's own book at a glance (set-wise, a constant number of queries): customers,
    exposure, overdue amount and the customers past due, open alerts and watchlist entries; each line links to
    the list behind it and the panel to the portfolio over time."""
    if access.has(user, "customers.view_all_customers") or not access.has(user, "customers.view_customer"):
        return []
    from collection import selectors as collection_selectors
    from credit import selectors as credit_selectors
    from creditportal.core.formatting import money
    from creditportal.core.money import MissingRate, RateTable
    from customers.models import Customer

    from .models import ACTIVE_ALERT_STATES, Alert, WatchlistEntry

    ids = list(Customer.objects.filter(relationship_manager=user).values_list("id", flat=True))
    if not ids:
        return []
    table = RateTable(today)
    currency = table.reporting_currency
    try:
        exposure = sum(credit_selectors.customer_exposures(ids, table=table).values())
    except MissingRate:
        exposure = None
    amounts, missing = collection_selectors.overdue_amounts(ids, today, table)
    overdue = None if missing else sum(amounts.values())
    past_due = sum(1 for amount in amounts.values() if amount > 0)
    alerts = Alert.objects.filter(customer_id__any=ids, status__in=ACTIVE_ALERT_STATES).count()
    watched = (WatchlistEntry.objects.filter(customer_id__any=ids, since__lte=today).exclude(until__lt=today)
               .values("customer_id").distinct().count())
    customers_url = reverse("customers:customer_list")
    items = [
        {"label": _("%(n)s customers · exposure %(amount)s") % {"n": len(ids), "amount": money(exposure, currency)},
         "url": customers_url},
        {"label": _("Overdue %(amount)s at %(n)s customers") % {"amount": money(overdue, currency), "n": past_due},
         "url": reverse("collection:aging")},
        {"label": _("%(n)s open alerts") % {"n": alerts}, "url": reverse("monitoring:alert_list") + "?mine=1"},
        {"label": _("%(n)s customers on the watchlist") % {"n": watched}, "url": reverse("monitoring:watchlist")},
    ]
    return [{"title": _("My book"), "count": len(ids), "items": items, "url": reverse("monitoring:trends")}]


def home_panels(user):
    today = clock.today()
    panels = my_book_panel(user, today)
    if access.has(user, "monitoring.handle_alert"):
        alerts, count = selectors.my_open_alerts(user)
        panels.append({
            "title": _("My open alerts"), "count": count,
            "url": reverse("monitoring:alert_list") + "?status=open&mine=1",
            "items": [{"label": f"[{a.get_severity_display()}] {a.customer.name} · {a.rule.localized_name}",
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
                            label=lambda c: _("proposed by %(user)s") % {"user": person(c.proposed_by)},
                            item_url=lambda c: reverse("monitoring:provision_rates_change_detail", args=[c.pk]))
    panels += pending_panel(user, WarningRuleChange, title=_("Warning rules awaiting my approval"),
                            url=reverse("monitoring:rule_list"),
                            label=lambda c: _("%(kind)s %(code)s, proposed by %(user)s") % {
                                "kind": c.get_kind_display(), "code": c.code, "user": person(c.proposed_by)},
                            item_url=lambda c: reverse("monitoring:rule_change_detail", args=[c.pk]))
    return panels
