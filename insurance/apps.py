from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsuranceConfig(AppConfig):
    name = "insurance"
    verbose_name = _("Credit insurance")

    def ready(self):
        from credit.providers import POLICY_CHECKS
        from customers.tabs import CUSTOMER_TABS, Tab
        from ratings.providers import INPUT_SOURCES

        from .providers import CoverageInputs, UninsuredCapCheck
        from .selectors import customer_tab

        CUSTOMER_TABS.add(Tab("insurance", _("Credit insurance"), "insurance/customer_tab.html", customer_tab,
                              permission="insurance.view_buyerlimit", order=450))
        INPUT_SOURCES.add(CoverageInputs())
        POLICY_CHECKS.add(UninsuredCapCheck())
