from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from collection import events as collection_events
from credit import events as credit_events
from creditinfo import events as creditinfo_events
from customers import events as customers_events
from insurance import events as insurance_events
from ratings import events as ratings_events

# Events after which the rules are evaluated again for the customer concerned (see creditportal.core.events).
CUSTOMER_EVENTS = [
    customers_events.STATEMENT_SAVED,
    customers_events.NEGATIVE_RECORD_ADDED,
    ratings_events.RATING_APPROVED,
    credit_events.COVENANT_BREACHED,
    collection_events.PAYMENT_POSTED,
    collection_events.WRITEOFF_APPROVED,
    insurance_events.INSURER_NOTIFIED,
    creditinfo_events.IMPORT_APPLIED,
]
# Events about several customers at once (payload ``customer_ids``): one task for all of them.
CUSTOMERS_EVENTS = [ratings_events.DOWNGRADES_PROPOSED]
FACILITY_EVENTS = [credit_events.FACILITY_CHANGED]


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
        from customers.tabs import CUSTOMER_TABS, Tab

        from .selectors import customer_alerts_tab

        CUSTOMER_TABS.add(Tab("alerts", _("Alerts"), "monitoring/customer_tab.html", customer_alerts_tab,
                              permission="monitoring.view_alert", order=700))
        from credit.providers import DECISION_WARNINGS
        from customers.header import CUSTOMER_HEADER

        from .header import DecisionWarnings, HeaderProvider

        CUSTOMER_HEADER.provide(HeaderProvider())
        DECISION_WARNINGS.provide(DecisionWarnings())
