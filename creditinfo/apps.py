from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditinfoConfig(AppConfig):
    name = "creditinfo"
    verbose_name = _("Outside credit information")

    def ready(self):
        from customers.tabs import CUSTOMER_TABS, Tab

        from .adapters import ADAPTERS, PortalAdapter
        from .selectors import customer_outside_tab

        ADAPTERS.add(PortalAdapter())
        CUSTOMER_TABS.add(Tab("outside", _("Outside information"), "creditinfo/customer_tab.html",
                              customer_outside_tab, permission="creditinfo.view_outsideimport", order=150))
