from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

DAILY_TASK = "collection.daily"


class CollectionConfig(AppConfig):
    name = "collection"
    verbose_name = _("Collection")

    def ready(self):
        from credit.providers import register_open_receivables
        from ratings.providers import register_payment_behaviour

        from .providers import OpenReceivables, PaymentBehaviour

        from customers.tabs import register_tab

        from .selectors import customer_tab

        register_tab("collections", _("Collections"), "collection/customer_tab.html", customer_tab,
                     permission="collection.view_invoice", order=400)
        register_payment_behaviour(PaymentBehaviour())
        register_open_receivables(OpenReceivables())
