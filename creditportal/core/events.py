"""Domain events that travel upward without a lower app importing a higher one.

A lower app publishes (``publish_on_commit("customers.statement_saved", statement_id=7)``); a higher app
subscribes in its ``AppConfig.ready`` (``subscribe("customers.statement_saved", handler)``). Handlers
run after the transaction commits (never when it rolls back) and should only enqueue a Celery task with
ids, so the work runs in the worker and retries safely.

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
from functools import partial

from django.db import transaction

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
    transaction.on_commit(partial(_deliver, event, payload))
