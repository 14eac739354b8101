from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from creditportal.core import events
        from ratings.events import RATING_APPROVED

        from . import services

        # An approved rating gets its PDF in the background, so the first download is instant.
        events.subscribe(RATING_APPROVED, services.on_rating_approved)
