from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _ratings_tab_context(customer, user):
    from . import selectors
    from .models import Rating

    ratings = list(Rating.objects.visible_to(user).filter(customer=customer)
                   .select_related("model", "created_by", "approved_by").order_by("-created_at", "-id")[:50])
    current = next((r for r in ratings if r.state == "approved"), None)
    return {"ratings": ratings, "current": current, "chart": selectors.grade_history(customer)}


class RatingsConfig(AppConfig):
    name = "ratings"
    verbose_name = _("Ratings")

    def ready(self):
        from creditportal.core.events import subscribe

        from .tasks import on_new_data

        for event in ("customers.statement_saved", "customers.negative_record_added", "collection.payment_posted"):
            subscribe(event, on_new_data)
        try:
            from customers.tabs import register_tab
        except ImportError:  # pragma: no cover - the customers app provides it
            return
        register_tab("ratings", _("Ratings"), "ratings/customer_tab.html", _ratings_tab_context,
                     permission="ratings.view_rating", order=100)
