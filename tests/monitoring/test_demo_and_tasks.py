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
    from config.celery import app

    assert app.conf.beat_schedule["monitoring-evaluate-daily"]["task"] == "monitoring.evaluate_daily"


def test_approved_write_off_re_evaluates_the_customer(build, users, django_capture_on_commit_callbacks,
                                                     approver_authorities):
    """After a write-off the customer owes nothing, but its "overdue more than 90 days" alert stayed firing
    until the nightly run: the approval now sends an event that evaluates the customer again."""
    from accounts.system import system_user
    from collection import services as collection_services
    from monitoring import services

    customer = build.customer()
    build.invoice(customer, "500", days_past_due=100)
    services.alerts_evaluate(actor=system_user(), customer_ids=[customer.pk])
    alert = Alert.objects.get(customer=customer, rule__code="overdue-90")
    assert alert.still_firing
    case = collection_services.case_open(actor=users["collector"], customer=customer)
    case = collection_services.case_escalate(actor=users["collector"], case=case, channel="litigation")
    writeoff = collection_services.writeoff_propose(actor=users["collector"], case=case, reason="insolvent")
    with django_capture_on_commit_callbacks(execute=True):
        collection_services.writeoff_approve(actor=users["approver1"], writeoff=writeoff)
    alert.refresh_from_db()
    assert not alert.still_firing
