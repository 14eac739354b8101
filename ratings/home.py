"""Home-page panels: ratings awaiting my approval, proposed ratings, reviews falling due."""
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditportal.core import clock

from .selectors import work_queue_querysets


def home_panels(user):
    if not user.has_perm("ratings.view_rating"):
        return []
    queues = work_queue_querysets(user)
    today = clock.today()
    url = reverse("ratings:work_queue")

    def items(qs, age_from=None):
        out = []
        for r in qs[:5]:
            label = f"{r.customer.name} · {r.grade}"
            if r.review_due and r.state == "approved":
                label += " · " + _("review %(date)s") % {"date": r.review_due.isoformat()}
            out.append({"label": label, "url": reverse("ratings:rating_detail", args=[r.pk]),
                        "age_days": (today - age_from(r)).days if age_from else None})
        return out

    panels = batch_panels(user, today)
    if "to_approve" in queues:
        qs = queues["to_approve"]
        panels.append({"title": _("Ratings awaiting my approval"), "count": qs.count(),
                       "items": items(qs, lambda r: timezone.localtime(r.submitted_at).date() if r.submitted_at else today), "url": url})
    if "proposed" in queues:
        panels.append({"title": _("Proposed ratings (nightly batch)"), "count": queues["proposed"].count(),
                       "items": items(queues["proposed"], lambda r: timezone.localtime(r.created_at).date()), "url": url})
        panels.append({"title": _("Rating reviews due"), "count": queues["reviews_due"].count(),
                       "items": items(queues["reviews_due"]), "url": url})
    return panels


def batch_panels(user, today):
    """For whoever runs re-rating batches: the batches of the last week not finished cleanly (queued, running,
    failed or finished with errors), with their progress."""
    if not user.has_perm("ratings.run_rating_batch"):
        return []
    import datetime as dt

    from django.db.models import Q

    from .models import BatchStatus, RatingBatch

    since = today - dt.timedelta(days=7)
    qs = (RatingBatch.objects.filter(business_date__gte=since)
          .filter(~Q(status=BatchStatus.FINISHED) | Q(error_count__gt=0)).order_by("-created_at"))
    rows = list(qs[:5])
    items = [{"label": _("Batch %(date)s · %(status)s · %(done)s of %(total)s, %(errors)s errors") % {
                  "date": b.business_date.isoformat(), "status": b.get_status_display(), "done": b.processed,
                  "total": b.total, "errors": b.error_count},
              "url": reverse("ratings:batch_detail", args=[b.pk]),
              "age_days": (today - timezone.localtime(b.created_at).date()).days} for b in rows]
    return [{"title": _("Re-rating batches to watch"), "count": qs.count(), "items": items,
             "url": reverse("ratings:batch_list")}]
