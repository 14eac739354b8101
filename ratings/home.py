"""Home-page panels: ratings awaiting my approval, proposed ratings, reviews falling due."""
from django.urls import reverse
from django.utils.translation import gettext as _

from creditportal.core import clock

from .selectors import work_queue_for


def home_panels(user):
    if not user.has_perm("ratings.view_rating"):
        return []
    queue = work_queue_for(user, limit=6)
    today = clock.today()
    url = reverse("ratings:work_queue")

    def items(ratings, age_from=None):
        out = []
        for r in ratings[:5]:
            label = f"{r.customer.name} · {r.grade}"
            if r.review_due and r.state == "approved":
                label += " · " + _("review %(date)s") % {"date": r.review_due.isoformat()}
            out.append({"label": label, "url": reverse("ratings:rating_detail", args=[r.pk]),
                        "age_days": (today - age_from(r)).days if age_from else None})
        return out

    panels = []
    if user.has_perm("ratings.approve_rating"):
        panels.append({"title": _("Ratings awaiting my approval"), "count": len(queue["to_approve"]),
                       "items": items(queue["to_approve"], lambda r: r.submitted_at.date() if r.submitted_at else today),
                       "url": url})
    if user.has_perm("ratings.add_rating"):
        panels.append({"title": _("Proposed ratings (nightly batch)"), "count": len(queue["proposed"]),
                       "items": items(queue["proposed"], lambda r: r.created_at.date()), "url": url})
        panels.append({"title": _("Rating reviews due"), "count": len(queue["reviews_due"]),
                       "items": items(queue["reviews_due"]), "url": url})
    return panels
