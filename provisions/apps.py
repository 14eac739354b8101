from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProvisionsConfig(AppConfig):
    """Expected credit loss. Its month-end snapshot job is in the one beat schedule (config/celery.py)."""

    name = "provisions"
    verbose_name = _("Expected credit loss")
