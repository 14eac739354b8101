from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

DAILY_TASK = "collection.daily"


class CollectionConfig(AppConfig):
    name = "collection"
    verbose_name = _("Collection")

    def ready(self):
        from credit.providers import DAYS_PAST_DUE, OPEN_RECEIVABLES
        from customers.tabs import CUSTOMER_TABS, Tab
        from ratings.providers import PAYMENT_BEHAVIOUR

        from .providers import DaysPastDue, OpenReceivables, PaymentBehaviour
        from .selectors import customer_tab

        CUSTOMER_TABS.add(Tab("collections", _("Collections"), "collection/customer_tab.html", customer_tab,
                              permission="collection.view_invoice", order=400))
        PAYMENT_BEHAVIOUR.provide(PaymentBehaviour())
        OPEN_RECEIVABLES.provide(OpenReceivables())
        DAYS_PAST_DUE.provide(DaysPastDue())
