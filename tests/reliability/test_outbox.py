"""Finding 3: with the broker down a write still commits its follow-up tasks (the outbox), the API answers
success for what committed, the relay sends every task exactly once later, and a retried money-moving request
with the same ``Idempotency-Key`` does not write twice."""
import datetime as dt
import re
from decimal import Decimal as D
from pathlib import Path

import pytest
from celery.app.task import Task
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerDown

from collection import services as collection
from collection.models import Payment
from creditportal import tasks as project_tasks
from creditportal.core import clock
from creditportal.core.tasks import enqueue, relay_outbox
from creditportal.models import IdempotencyKey, OutboxMessage
from customers.models import Customer

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 6, 30)
T0 = dt.datetime(2026, 6, 30, 8, 0, tzinfo=dt.timezone.utc)

pytestmark = pytest.mark.django_db


class Broker:
    """Stands in for Redis: records what is published; ``down`` makes every publish fail as kombu does."""

    def __init__(self):
        self.down = False
        self.sent = []

    def apply_async(self, task, args=None, kwargs=None, **options):
        if self.down:
            raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        self.sent.append((task.name, tuple(args or ()), dict(kwargs or {})))

    def names(self):
        return sorted(name for name, _, _ in self.sent)


@pytest.fixture
def broker(monkeypatch):
    broker = Broker()

    def apply_async(task, args=None, kwargs=None, **options):
        return broker.apply_async(task, args, kwargs, **options)

    monkeypatch.setattr(Task, "apply_async", apply_async)
    clock.set_today(TODAY)
    clock.set_instant(T0)
    return broker


def later(seconds):
    clock.set_instant(clock.instant() + dt.timedelta(seconds=seconds))


@pytest.fixture
def customer(users):
    return Customer.objects.create(name="华东机械有限公司", name_en="East China Machinery", is_foreign=True,
                                   registration_number="REG-OUTBOX", industry_section="C", size="medium",
                                   relationship_manager=users["rm"], status="active")


def _invoice(customer, number="INV-1", amount="1000.00", days_past_due=40):
    due = TODAY - dt.timedelta(days=days_past_due)
    return collection.invoice_create(actor=customer.relationship_manager, customer=customer, number=number,
                                     issue_date=due - dt.timedelta(days=30), due_date=due, amount=D(amount))


def _api(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def _unsent():
    return sorted(OutboxMessage.objects.filter(sent_at__isnull=True).values_list("task", flat=True))


def _relay_sends_each_once(broker, expected):
    """Bring the broker back: the relay sends every unsent row once; nothing is sent a second time."""
    assert sorted(_unsent()) == sorted(expected)
    broker.down = False
    before = len(broker.sent)
    assert relay_outbox()["sent"] == 0  # not due yet: the failed send waits a few seconds
    later(60)
    result = relay_outbox()
    assert result == {"sent": len(expected), "failed": 0, "left": 0}
    assert sorted(name for name, _, _ in broker.sent[before:]) == sorted(expected)
    later(3600)
    assert relay_outbox() == {"sent": 0, "failed": 0, "left": 0}
    assert len(broker.sent) == before + len(expected)


# --- the outbox itself --------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_enqueue_writes_the_task_in_the_transaction_and_sends_it_after_the_commit(broker):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            enqueue(project_tasks.clear_expired_sessions)
            raise RuntimeError("rolled back")
    assert not OutboxMessage.objects.exists() and not broker.sent
    with transaction.atomic():
        enqueue(project_tasks.clear_expired_sessions)
        assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 1 and not broker.sent
    assert broker.names() == ["creditportal.clear_expired_sessions"]
    row = OutboxMessage.objects.get()
    assert row.sent_at == T0 and row.attempts == 1 and row.last_error == ""
    later(3600)
    assert relay_outbox()["sent"] == 0 and len(broker.sent) == 1  # never sent twice


@pytest.mark.django_db(transaction=True)
def test_broker_down_the_write_commits_the_task_stays_and_the_relay_sends_it_once(broker):
    broker.down = True
    with transaction.atomic():
        enqueue(project_tasks.clear_expired_sessions)  # no exception reaches the caller
    row = OutboxMessage.objects.get()
    assert row.sent_at is None and row.attempts == 1 and "Connection refused" in row.last_error
    later(60)
    assert relay_outbox() == {"sent": 0, "failed": 1, "left": 1}  # still down: kept, tried later
    row.refresh_from_db()
    assert row.attempts == 2 and row.next_attempt_at > clock.instant()
    _relay_sends_each_once(broker, ["creditportal.clear_expired_sessions"])



def test_eager_mode_runs_the_task_after_the_commit_and_marks_it_sent(users, django_capture_on_commit_callbacks):
    ran = []
    original = project_tasks.clear_expired_sessions.run
    project_tasks.clear_expired_sessions.run = lambda: ran.append(1) or original()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                enqueue(project_tasks.clear_expired_sessions)
                assert not ran
    finally:
        project_tasks.clear_expired_sessions.run = original
    assert ran == [1]
    assert OutboxMessage.objects.get().sent_at is not None


def test_the_relay_leaves_a_fresh_row_to_its_writer_and_the_command_relays(broker, capsys):
    from django.core.management import call_command

    enqueue(project_tasks.clear_expired_sessions)  # the test's transaction never commits: nothing sent yet
    enqueue(project_tasks.clear_expired_sessions)
    assert relay_outbox()["sent"] == 0  # the writer's own send after its commit comes first
    later(31)
    call_command("relay_outbox")
    assert "sent 2, failed 0, unsent 0" in capsys.readouterr().out
    assert len(broker.sent) == 2


def test_a_starting_worker_relays_the_outbox(broker):
    from config.celery import relay_outbox_on_start

    broker.down = True
    enqueue(project_tasks.clear_expired_sessions)
    broker.down = False
    later(60)
    relay_outbox_on_start(sender=None)
    assert broker.names() == ["creditportal.clear_expired_sessions"] and not _unsent()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_relays_at_once_send_each_row_once(broker):
    """A relay skips the rows another relay holds (select_for_update skip_locked), then they lease them."""
    import threading

    from django.db import connection

    broker.down = True
    for _ in range(3):
        enqueue(project_tasks.clear_expired_sessions)
    broker.down = False
    later(60)
    held = threading.Event()
    release = threading.Event()

    def hold_one():
        with transaction.atomic():
            first = OutboxMessage.objects.order_by("pk").first()
            OutboxMessage.objects.select_for_update().filter(pk=first.pk).get()
            held.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=hold_one)
    thread.start()
    held.wait(10)
    assert relay_outbox()["sent"] == 2  # the locked row is skipped, not waited for
    release.set()
    thread.join()
    assert relay_outbox()["sent"] == 1
    assert relay_outbox()["sent"] == 0
    assert len(broker.sent) == 3


# --- every write that enqueues work, with the broker down --------------------------------------------

def test_payment_api_answers_201_with_the_broker_down_and_the_follow_up_is_relayed(
        broker, users, customer, django_capture_on_commit_callbacks):
    _invoice(customer)
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True):
        response = _api(users["rm"]).post("/api/v1/payments/", {
            "customer": customer.pk, "amount": "400.00", "received_on": "2026-06-29", "reference": "BANK-1"},
            format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert response.status_code == 201, response.content
    assert Payment.objects.count() == 1
    # the follow-up work of collection.payment_posted: monitoring re-evaluates, ratings re-checks
    _relay_sends_each_once(broker, ["monitoring.evaluate_customers", "ratings.recheck_customer"])


def test_payment_import_with_the_broker_down(broker, users, customer, django_capture_on_commit_callbacks):
    _invoice(customer, "INV-9")
    broker.down = True
    content = ("customer_id,received_on,amount,currency,reference,invoice_number\n"
               f"{customer.pk},2026-06-29,100.00,CNY,R1,INV-9\n")
    with django_capture_on_commit_callbacks(execute=True):
        response = _api(users["rm"]).post("/api/v1/payments/import/", {"content": content}, format="json")
    assert response.status_code == 201, response.content
    assert Payment.objects.count() == 1
    assert "ratings.recheck_customer" in _unsent()
    _relay_sends_each_once(broker, _unsent())


def _written_off_case(users, customer):
    _invoice(customer, "INV-W1", "1000.00", 60)
    case = collection.case_open(actor=users["collector"], customer=customer)
    case = collection.case_escalate(actor=users["collector"], case=case, channel="litigation")
    return case, collection.writeoff_propose(actor=users["collector"], case=case, reason="debtor insolvent")


def test_write_off_posting_and_recovery_with_the_broker_down(broker, users, customer, approver_authorities,
                                                             django_capture_on_commit_callbacks):
    case, writeoff = _written_off_case(users, customer)
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True):
        response = _api(users["approver1"]).post(f"/api/v1/write-offs/{writeoff.pk}/approve/", {"note": "ok"},
                                                 format="json", HTTP_IDEMPOTENCY_KEY="wo-1")
    assert response.status_code == 200, response.content
    assert _unsent() == ["monitoring.evaluate_customers"]
    with django_capture_on_commit_callbacks(execute=True):
        response = _api(users["collector"]).post(f"/api/v1/collection-cases/{case.pk}/recovery/", {
            "amount": "200.00", "received_on": "2026-06-29"}, format="json", HTTP_IDEMPOTENCY_KEY="rec-1")
    assert response.status_code == 201, response.content
    _relay_sends_each_once(broker, ["monitoring.evaluate_customers", "monitoring.evaluate_customers",
                                    "ratings.recheck_customer"])


def test_rating_approval_statement_and_batch_start_with_the_broker_down(broker, users, customer, expert2,
                                                                        django_capture_on_commit_callbacks):
    """The finding's second case: an approved rating's follow-up (monitoring) is not lost."""
    from customers import services as customer_services
    from ratings import services as ratings

    from tests.ratings.conftest import STATEMENTS

    broker.down = True
    with django_capture_on_commit_callbacks(execute=True):
        customer_services.statement_create(actor=users["rm"], customer=customer, period_end=dt.date(2025, 12, 31),
                                           **STATEMENTS["good"])
    # customers.statement_saved: covenants tested, the rating re-checked, monitoring re-evaluates
    assert _unsent() == ["credit.tasks.test_covenants", "monitoring.evaluate_customers", "ratings.recheck_customer"]
    rating = ratings.rating_start(actor=users["analyst"], customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        for code in ["management", "market_position", "industry_outlook", "legal_compliance"]:
            ratings.expert_score_set(actor=users["analyst"], rating=rating, factor_code=code, score=4)
            ratings.expert_score_set(actor=expert2, rating=rating, factor_code=code, score=3)  # Delphi: two experts
        ratings.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
        response = _api(users["analyst2"]).post(f"/api/v1/ratings/{rating.pk}/approve/", {}, format="json")
    assert response.status_code == 200, response.content
    assert "monitoring.evaluate_customers" in _unsent()
    with django_capture_on_commit_callbacks(execute=True):
        customer_services.negative_record_create(actor=users["rm"], customer=customer, kind="litigation",
                                                 occurred_on=TODAY, source="court", description="court case")
        ratings.batch_start(actor=users["riskadmin"])
    assert "ratings.run_rating_batch" in _unsent() and "ratings.recheck_customer" in _unsent()
    _relay_sends_each_once(broker, _unsent())


def test_dunning_run_now_with_the_broker_down(broker, users, customer, client, django_capture_on_commit_callbacks):
    _invoice(customer, "INV-D1", "800.00", 45)
    broker.down = True
    client.force_login(users["collector"])
    with django_capture_on_commit_callbacks(execute=True):
        collection.dunning_run_now(actor=users["collector"])
    assert _unsent() == ["collection.run_dunning_now"]
    _relay_sends_each_once(broker, ["collection.run_dunning_now"])


def test_no_task_is_sent_around_the_outbox():
    """The class of the finding: every task is sent by ``enqueue``/``enqueue_many`` (the outbox), never by
    ``delay``/``apply_async``/``send_task`` after a commit, where a broker error is a 500 and a lost task."""
    pattern = re.compile(r"\.(delay|apply_async|send_task)\(|(?<![.\w])group\(")
    offenders = []
    for app_dir in ["accounts", "audit", "customers", "ratings", "credit", "collection", "monitoring", "reports",
                    "validation", "demo", "creditportal"]:
        for path in (ROOT / app_dir).rglob("*.py"):
            relative = str(path.relative_to(ROOT))
            if "/migrations/" in relative or relative == "creditportal/core/tasks.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line) and not line.lstrip().startswith("#"):
                    offenders.append(f"{relative}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


# --- Idempotency-Key ------------------------------------------------------------------------------------

def test_a_retried_payment_with_the_same_key_is_written_once(broker, users, customer):
    _invoice(customer)
    api = _api(users["rm"])
    body = {"customer": customer.pk, "amount": "400.00", "received_on": "2026-06-29", "reference": "BANK-2"}
    first = api.post("/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="retry-me")
    second = api.post("/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="retry-me")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() and second["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1
    other = api.post("/api/v1/payments/", {**body, "amount": "500.00"}, format="json",
                     HTTP_IDEMPOTENCY_KEY="retry-me", HTTP_ACCEPT_LANGUAGE="en")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert "different request" in other.json()["detail"]
    assert Payment.objects.count() == 1
    # another user's key of the same name is theirs; no key at all: every request writes
    assert _api(users["collector"]).post("/api/v1/payments/", body, format="json",
                                         HTTP_IDEMPOTENCY_KEY="retry-me").status_code == 201
    api.post("/api/v1/payments/", body, format="json")
    assert Payment.objects.count() == 3


def test_a_refused_request_is_not_remembered_and_an_expired_key_is_new(broker, users, customer):
    api = _api(users["rm"])
    bad = {"customer": customer.pk, "amount": "-1", "received_on": "2026-06-29"}
    assert api.post("/api/v1/payments/", bad, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 400
    assert not IdempotencyKey.objects.exists()
    good = {**bad, "amount": "10.00"}
    assert api.post("/api/v1/payments/", good, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    later(23 * 3600)
    assert api.post("/api/v1/payments/", good, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    assert Payment.objects.count() == 1
    later(2 * 3600)  # past IDEMPOTENCY_KEY_TTL_HOURS: the key may be used again
    assert api.post("/api/v1/payments/", good, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    assert Payment.objects.count() == 2
    assert api.post("/api/v1/payments/", good, format="json", HTTP_IDEMPOTENCY_KEY="bad key ü").status_code == 400


@pytest.mark.parametrize("endpoint", ["invoice", "claim_payout", "credit_note", "write_off", "recovery",
                                      "payment_import", "invoice_import"])
def test_every_money_moving_write_honours_the_key(endpoint, broker, users, customer, approver_authorities):
    from collection.models import ClaimPayout, Invoice, WriteOff

    rm = _api(users["rm"])
    calls = {
        "invoice": (rm, "/api/v1/invoices/", {"customer": customer.pk, "number": "INV-77", "issue_date": "2026-06-01",
                                             "due_date": "2026-07-01", "amount": "100.00"}),
        "claim_payout": (rm, "/api/v1/claim-payouts/", {"customer": customer.pk, "amount": "50.00",
                                                       "paid_on": "2026-06-29", "reason": "damaged goods"}),
        "credit_note": (rm, "/api/v1/claim-payouts/", {"customer": customer.pk, "amount": "50.00",
                                                      "paid_on": "2026-06-29", "reason": "discount",
                                                      "kind": "credit_note"}),
        "payment_import": (rm, "/api/v1/payments/import/", {
            "content": "customer_id,received_on,amount,currency,reference,invoice_number\n"
                       f"{customer.pk},2026-06-29,5.00,CNY,R,\n"}),
        "invoice_import": (rm, "/api/v1/invoices/import/", {
            "content": "number,customer_id,issue_date,due_date,amount,currency\n"
                       f"INV-88,{customer.pk},2026-06-01,2026-07-01,10.00,CNY\n"}),
    }
    if endpoint in ("write_off", "recovery"):
        case, writeoff = _written_off_case(users, customer)
        if endpoint == "write_off":
            calls[endpoint] = (_api(users["approver1"]), f"/api/v1/write-offs/{writeoff.pk}/approve/", {"note": "ok"})
        else:
            collection.writeoff_approve(actor=users["approver1"], writeoff=writeoff, note="ok")
            calls[endpoint] = (_api(users["collector"]), f"/api/v1/collection-cases/{case.pk}/recovery/",
                               {"amount": "20.00", "received_on": "2026-06-29"})
    api, url, body = calls[endpoint]

    def count():
        return (Invoice.objects.count(), Payment.objects.count(), ClaimPayout.objects.count(),
                WriteOff.objects.filter(state="approved").count())

    first = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=f"key-{endpoint}")
    assert 200 <= first.status_code < 300, first.content
    after_first = count()
    again = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=f"key-{endpoint}")
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again["Idempotent-Replayed"] == "true" and count() == after_first
    changed = {**body, "note": "other"} if endpoint == "write_off" else {**body, "extra": "x"}
    reused = api.post(url, changed, format="json", HTTP_IDEMPOTENCY_KEY=f"key-{endpoint}")
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
    assert count() == after_first


def test_the_schema_documents_the_header_on_the_money_moving_writes():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    documented = sorted(
        f"{method.upper()} {path}" for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if any(p.get("name") == "Idempotency-Key" and p.get("in") == "header" for p in operation.get("parameters", [])))
    assert documented == [
        "POST /api/v1/claim-payouts/", "POST /api/v1/collection-cases/{id}/recovery/", "POST /api/v1/invoices/",
        "POST /api/v1/invoices/import/", "POST /api/v1/orders/", "POST /api/v1/payments/",
        "POST /api/v1/payments/import/", "POST /api/v1/write-offs/{id}/approve/"]


def test_a_broker_down_during_a_fan_out_tries_once_and_leaves_the_rest_to_the_relay(broker, users,
                                                                                   django_capture_on_commit_callbacks):
    from creditportal.core.tasks import enqueue_many

    broker.down = True
    attempts = []
    original = Broker.apply_async

    def counting(self, task, args=None, kwargs=None, **options):
        attempts.append(args)
        return original(self, task, args, kwargs, **options)

    Broker.apply_async = counting
    try:
        with django_capture_on_commit_callbacks(execute=True):
            enqueue_many(project_tasks.clear_expired_sessions, [((), {}) for _ in range(5)])
    finally:
        Broker.apply_async = original
    assert len(attempts) == 1 and OutboxMessage.objects.filter(sent_at__isnull=True).count() == 5
    _relay_sends_each_once(broker, ["creditportal.clear_expired_sessions"] * 5)
