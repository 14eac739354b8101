"""Home panel: an auditor's (or anyone's with the batch right) recent report batches and their state."""
from django.urls import reverse
from django.utils.translation import gettext as _

from . import selectors


def home_panels(user):
    if not user.has_perm("reports.request_report_batch"):
        return []
    batches = selectors.recent_batches(user)
    items = [{"label": f"#{b.pk} {b.get_kind_display()} · {b.period_start:%Y-%m-%d} – {b.period_end:%Y-%m-%d} · "
                       f"{b.get_status_display()} ({b.percent}%)",
              "url": reverse("reports:batch_detail", kwargs={"pk": b.pk})} for b in batches]
    return [{"title": _("My report batches"), "items": items, "count": len(items),
             "url": reverse("reports:batch_list")}]
