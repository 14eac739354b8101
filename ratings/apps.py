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
        from customers.events import NEGATIVE_RECORD_ADDED, STATEMENT_SAVED
        from customers.tabs import CUSTOMER_TABS, Tab

        from .tasks import on_new_data

        # collection.payment_posted is named, not imported: collection is above ratings (declared there)
        for event in (STATEMENT_SAVED, NEGATIVE_RECORD_ADDED, "collection.payment_posted"):
            subscribe(event, on_new_data)
        CUSTOMER_TABS.add(Tab("ratings", _("Ratings"), "ratings/customer_tab.html", _ratings_tab_context,
                              permission="ratings.view_rating", order=100))
        # Outside credit information (creditinfo, below ratings): the ``outside`` inputs of a rating, and a
        # re-check when an import changed them.
        from creditinfo.events import IMPORT_APPLIED
        from creditinfo.providers import OutsideInputs

        from .providers import INPUT_SOURCES

        INPUT_SOURCES.add(OutsideInputs())
        subscribe(IMPORT_APPLIED, on_new_data)
