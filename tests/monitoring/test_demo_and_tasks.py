"""The demo loader is idempotent; the daily task runs once per business date; events enqueue re-evaluation."""
import pytest

from monitoring.models import Alert, ProvisionRun

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def test_demo_load_is_idempotent(build, users):
    from monitoring import demo

    customer = build.customer()
    build.invoice(customer, "500", days_past_due=100)
    context = {"users": users, "today": TODAY}
    demo.load(context)
    counts = (Alert.objects.count(), ProvisionRun.objects.count())
    demo.load(context)
    assert (Alert.objects.count(), ProvisionRun.objects.count()) == counts
    assert counts[0] > 0 and counts[1] == 2


def test_daily_task_runs_once_per_business_date(build):
    from monitoring.tasks import evaluate_daily

    customer = build.customer()
    build.invoice(customer, "500", days_past_due=100)
    assert evaluate_daily() is True
    assert evaluate_daily() is False
    assert Alert.objects.filter(customer=customer).exists()
    assert ProvisionRun.objects.filter(period=TODAY).exists()  # 30 June is a month end


def test_payment_event_re_evaluates_the_customer(build, django_capture_on_commit_callbacks):
    from creditportal.core import events

    customer = build.customer()
    build.invoice(customer, "500", days_past_due=100)
    with django_capture_on_commit_callbacks(execute=True):
        events.publish_on_commit("collection.payment_posted", payment_id=1, customer_id=customer.pk)
    assert Alert.objects.filter(customer=customer, rule__code="overdue-90").exists()


def test_beat_entry_is_registered():
    from creditportal.celery import app

    assert app.conf.beat_schedule["monitoring-evaluate-daily"]["task"] == "monitoring.evaluate_daily"
