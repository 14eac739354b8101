"""The relationship manager's credit-file panel: own customers whose file needs work."""
from django.urls import reverse
from django.utils.translation import gettext as _

from creditportal.core import clock

from . import selectors
from .models import Customer, CustomerStatus


def home_panels(user):
    if not user.has_perm("customers.add_financialstatement"):
        return []
    today = clock.today()
    names = dict(Customer.objects.filter(relationship_manager=user).exclude(status=CustomerStatus.CLOSED)
                 .values_list("pk", "name"))  # a book of thousands: names, not model objects
    if not names:
        return []
    flags = selectors.credit_file_flags_for(names, on_date=today)
    items = []
    for customer_id, flag in flags.items():
        reasons = []
        if flag["statements_stale"]:
            reasons.append(_("statements missing or older than 18 months"))
        if flag["expired_document_ids"]:
            reasons.append(_("expired documents"))
        if reasons:
            tab = "financials" if flag["statements_stale"] else "documents"
            items.append({
                "label": f"{names[customer_id]} · {', '.join(reasons)}",
                "url": reverse("customers:customer_detail", args=[customer_id]) + f"?tab={tab}",
                "age_days": (today - flag["latest_period_end"]).days if flag["latest_period_end"] else None,
            })
    items.sort(key=lambda i: -(i["age_days"] or 10**6))
    return [{"title": _("Credit files to update"), "items": items[:8], "count": len(items),
             "url": reverse("customers:customer_list")}]
