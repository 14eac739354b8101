from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Users and roles")

    def ready(self):
        from . import signals  # records logins, failed logins and logouts in the audit trail

        signals.connect_permission_cache()  # keeps the cached permission sets (core.permcache) current
