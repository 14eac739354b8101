"""Domain events that travel upward without a lower app importing a higher one.

A lower app publishes (``publish_on_commit("customers.statement_saved", statement_id=7)``); a higher app
subscribes in its ``AppConfig.ready`` (``subscribe("customers.statement_saved", handler)``). Handlers run
at once, inside the publishing transaction, and may only enqueue Celery tasks with ids
(``creditportal.core.tasks.enqueue``): the tasks are written to the outbox with the write itself, so they are
sent after the commit (never when it rolls back), and a broker outage delays them without losing them.

Known events (publisher → payload):
    customers.statement_saved   statement_id, customer_id
    customers.negative_record_added  record_id, customer_id
    ratings.rating_approved     rating_id, customer_id
    ratings.downgrades_proposed  rating_ids, customer_ids (one event per batch chunk)
    credit.application_decided  application_id
    credit.facility_changed     facility_id
    collection.payment_posted   payment_id, customer_id
    collection.promise_broken   promise_id, case_id
"""
from collections import defaultdict

_subscribers = defaultdict(list)


def subscribe(event: str, handler) -> None:
    if handler not in _subscribers[event]:
        _subscribers[event].append(handler)


def subscribers(event: str):
    return list(_subscribers[event])


def _deliver(event, payload):
    for handler in list(_subscribers[event]):
        handler(**payload)


def publish_on_commit(event: str, **payload) -> None:
    """Tell the subscribers now; the tasks they enqueue go out when the transaction commits (the outbox)."""
    _deliver(event, payload)
