from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from .detail_tabs import register_builtin_tabs

        register_builtin_tabs()

        from django.db.models.signals import post_migrate

        from .triggers import install

        # the database forgets a customer's latest analysis when its statements change (customers/triggers.py)
        post_migrate.connect(install, sender=self, dispatch_uid="customers.latest_analysis_triggers")
