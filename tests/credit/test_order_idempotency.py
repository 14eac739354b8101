"""Finding 3 for credit: an order (a drawing on a facility) retried with the same ``Idempotency-Key`` reserves
the limit once; its follow-up (monitoring re-evaluates the facility) waits in the outbox when the broker is down."""
import datetime as dt
from decimal import Decimal as D

import pytest
from celery.app.task import Task
from kombu.exceptions import OperationalError as BrokerDown

from credit.models import Facility, Order
from creditportal.models import OutboxMessage

pytestmark = pytest.mark.django_db


def test_a_retried_order_reserves_the_limit_once_even_with_the_broker_down(setup, api_for, monkeypatch,
                                                                          django_capture_on_commit_callbacks):
    def broker_down(self, *args, **kwargs):
        raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(Task, "apply_async", broker_down)
    facility = Facility.objects.create(customer=setup.customer, limit=D("1000000"), currency="CNY",
                                       start_date=dt.date(2026, 1, 1), expiry_date=dt.date(2026, 12, 31))
    rm = api_for(setup.users["rm"])
    body = {"facility": facility.pk, "reference": "SO-1", "amount": "600000", "currency": "CNY"}
    with django_capture_on_commit_callbacks(execute=True):
        first = rm.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="so-1-try")
    assert first.status_code == 201, first.content
    assert list(OutboxMessage.objects.filter(sent_at__isnull=True).values_list("task", flat=True)) == [
        "monitoring.evaluate_facility"]
    with django_capture_on_commit_callbacks(execute=True):
        again = rm.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="so-1-try")
    assert (again.status_code, again.json()) == (201, first.json()) and again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1  # without the key the retry would have reserved 1.2m of a 1m limit
    other = rm.post("/api/v1/orders/", {**body, "amount": "1"}, format="json", HTTP_IDEMPOTENCY_KEY="so-1-try")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert OutboxMessage.objects.count() == 1
