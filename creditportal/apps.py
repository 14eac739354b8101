from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditPortalConfig(AppConfig):
    name = "creditportal"
    verbose_name = _("Credit portal")

    def ready(self):
        from django.db.models.signals import post_migrate

        from creditportal.core import access, lookups  # noqa: F401 - registers ``__any``
        from creditportal.core.api import use_ascii_number_fields
        from creditportal.core.discovery import app_modules

        # Every app's declared events (``<app>/events.py``), before any app's ``ready`` subscribes by name.
        app_modules("events")

        use_ascii_number_fields()  # API amounts and numbers in ASCII digits only

        # Role groups are created by a migration (accounts); their permissions are granted after every
        # migrate, when the permissions of all apps exist.
        post_migrate.connect(access.sync_role_permissions, dispatch_uid="creditportal.sync_roles")
