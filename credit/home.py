"""The home page's credit panel: the applications awaiting the user's action, oldest first, with age."""
from django.urls import reverse
from django.utils.translation import gettext as _

from creditportal.core import access, clock
from creditportal.core.formatting import money, person

from . import selectors


def home_panels(user):
    if not access.has(user, "credit.view_creditapplication"):
        return []
    return _application_panels(user) + expiring_panels(user) + security_table_panels(user)


def security_table_panels(user):
    """The haircut table and recovery factors proposed by another risk administrator, awaiting this one."""
    from proposals.home import pending_panel

    from .models import CollateralHaircutChange, RecoveryFactorChange
    from .services.collateral import HAIRCUT_PERMISSION, RECOVERY_PERMISSION

    panels = []
    for model, permission, title, url, detail in (
            (CollateralHaircutChange, HAIRCUT_PERMISSION, _("Collateral haircuts awaiting my approval"),
             "credit:haircut_table", "credit:haircut_change_detail"),
            (RecoveryFactorChange, RECOVERY_PERMISSION, _("Guarantor recovery factors awaiting my approval"),
             "credit:recovery_table", "credit:recovery_change_detail")):
        if access.has(user, permission):
            panels += pending_panel(user, model, title=title, url=reverse(url),
                                    label=lambda c: _("proposed by %(user)s") % {"user": person(c.proposed_by)},
                                    item_url=lambda c, detail=detail: reverse(detail, args=[c.pk]))
    return panels


def _application_panels(user):
    queue = selectors.work_queue(user)
    rows = list(queue[:8])
    if not rows and not (access.has(user, "credit.submit_creditapplication")
                         or access.has(user, "credit.review_creditapplication")
                         or access.has(user, "credit.approve_creditapplication")):
        return []
    today = clock.today()
    items = [{"label": f"#{app.pk} {app.customer.name} · {money(app.amount, app.currency)} · {app.get_status_display()}"
                       + (f" {app.current_level}/{app.required_levels}" if app.current_level else ""),
              "url": reverse("credit:application_detail", args=[app.pk]),
              "age_days": selectors.age_days(app, today)} for app in rows]
    count = len(rows) if len(rows) < 8 else queue.count()
    return [{"title": _("Credit applications awaiting you"), "items": items, "count": count,
             "url": reverse("credit:queue")}]


def expiring_panels(user, today=None):
    """Delegations ending within 14 days (for whoever manages them) and, for a relationship manager, their
    facilities expiring within 60 days, with the limit and the expiry date."""
    import datetime as dt

    from .models import Delegation, Facility

    today = today or clock.today()
    panels = []
    if access.has(user, "credit.change_delegation"):
        qs = (Delegation.objects.filter(revoked=False, start_date__lte=today, end_date__gte=today,
                                        end_date__lte=today + dt.timedelta(days=14))
              .select_related("delegator", "delegate").order_by("end_date"))
        rows = list(qs[:5])
        panels.append({"title": _("Delegations ending within 14 days"), "count": qs.count(), "url": reverse("credit:matrix"),
                       "items": [{"label": _("%(from)s → %(to)s, until %(date)s") % {
                           "from": person(d.delegator), "to": person(d.delegate), "date": d.end_date.isoformat()},
                           "url": reverse("credit:matrix"), "due": d.end_date} for d in rows]})
    if access.has(user, "credit.add_creditapplication"):
        qs = (Facility.objects.visible_to(user).filter(customer__relationship_manager=user,
                                                       status__in=["active", "suspended"],
                                                       expiry_date__lte=today + dt.timedelta(days=60))
              .select_related("customer").order_by("expiry_date"))
        rows = list(qs[:5])
        if rows:
            panels.append({"title": _("My facilities expiring within 60 days"), "count": qs.count(),
                           "items": [{"label": f"{f.customer.name} · {money(f.limit, f.currency)}",
                                      "url": reverse("credit:facility_detail", args=[f.pk]), "due": f.expiry_date}
                                     for f in rows]})
    return panels
