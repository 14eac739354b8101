from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Events after which the rules are evaluated again for the customer concerned (see creditportal.core.events).
CUSTOMER_EVENTS = [
    "customers.statement_saved",
    "customers.negative_record_added",
    "ratings.rating_approved",
    "credit.covenant_breached",
    "collection.payment_posted",
    "collection.writeoff_approved",
]
# Events about several customers at once (payload ``customer_ids``): one task for all of them.
CUSTOMERS_EVENTS = ["ratings.downgrades_proposed"]
FACILITY_EVENTS = ["credit.facility_changed"]


def on_customer_event(customer_id=None, **payload):
    """Enqueue a re-evaluation of the customer (ids only; the worker does the work)."""
    from creditportal.core.tasks import enqueue

    from .tasks import evaluate_customers

    if customer_id:
        enqueue(evaluate_customers, customer_ids=[int(customer_id)])


def on_customers_event(customer_ids=None, **payload):
    """One re-evaluation task for a group of customers (e.g. a batch chunk's downgrades)."""
    from creditportal.core.tasks import enqueue

    from .tasks import evaluate_customers

    ids = sorted({int(i) for i in customer_ids or [] if i})
    if ids:
        enqueue(evaluate_customers, customer_ids=ids)


def on_facility_event(facility_id=None, customer_id=None, **payload):
    from creditportal.core.tasks import enqueue

    from .tasks import evaluate_customers, evaluate_facility

    if customer_id:
        enqueue(evaluate_customers, customer_ids=[int(customer_id)])
    elif facility_id:
        enqueue(evaluate_facility, facility_id=int(facility_id))


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self):
        from creditportal.core import events

        for event in CUSTOMER_EVENTS:
            events.subscribe(event, on_customer_event)
        for event in CUSTOMERS_EVENTS:
            events.subscribe(event, on_customers_event)
        for event in FACILITY_EVENTS:
            events.subscribe(event, on_facility_event)
        try:
            from customers.tabs import register_tab
        except ImportError:  # pragma: no cover
            return
        from .selectors import customer_alerts_tab

        register_tab("alerts", _("Alerts"), "monitoring/customer_tab.html", customer_alerts_tab,
                     permission="monitoring.view_alert", order=700)
