"""The home page's credit panel: the applications awaiting the user's action, oldest first, with age."""
from django.urls import reverse
from django.utils.translation import gettext as _

from creditportal.core import access, clock

from . import selectors


def home_panels(user):
    if not access.has(user, "credit.view_creditapplication"):
        return []
    queue = selectors.work_queue(user)
    rows = list(queue[:8])
    if not rows and not (access.has(user, "credit.submit_creditapplication")
                         or access.has(user, "credit.review_creditapplication")
                         or access.has(user, "credit.approve_creditapplication")):
        return []
    today = clock.today()
    items = [{"label": f"#{app.pk} {app.customer.name} · {app.currency} {app.amount:,} · {app.get_status_display()}"
                       + (f" {app.current_level}/{app.required_levels}" if app.current_level else ""),
              "url": reverse("credit:application_detail", args=[app.pk]),
              "age_days": selectors.age_days(app, today)} for app in rows]
    count = len(rows) if len(rows) < 8 else queue.count()
    return [{"title": _("Credit applications awaiting you"), "items": items, "count": count,
             "url": reverse("credit:queue")}]
