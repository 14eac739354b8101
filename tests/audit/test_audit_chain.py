"""Issue 18, finding 10: the audit trail refuses TRUNCATE, and is hash-chained so that a change made
behind the portal's back (here: a raw UPDATE with the append-only trigger disabled) is found, at the right
event, by the management command and the auditor's page."""
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse

from audit import chain, selectors
from audit.models import AuditEvent
from audit.services import audit_record, audit_record_many


def _events(users, n=5):
    return [audit_record(actor=users["riskadmin"], action=AuditEvent.Action.UPDATE, object_type="test.thing",
                         object_id=str(i), object_repr=f"thing {i}",
                         before={"amount": Decimal("1.50"), "n": i}, after={"amount": "2.00", "ratio": 0.25})
            for i in range(n)]


def _raw(sql, params):
    """Run ``sql`` with the append-only trigger disabled (as an attacker with the table owner's rights)."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")


@pytest.mark.django_db
def test_every_way_of_appending_links_the_chain(users):
    _events(users, 3)
    audit_record_many(actor=users["rm"], action=AuditEvent.Action.CREATE, objs=[users["rm"], users["rm2"]],
                      after=lambda user: {"username": user.username})
    rows = list(AuditEvent.objects.order_by("id").values("id", "chain_hash", *chain.CHAINED_FIELDS))
    assert all(len(row["chain_hash"]) == 64 for row in rows)
    assert rows[0]["chain_hash"] == chain.link(chain.GENESIS, rows[0])
    report = selectors.verify_chain()
    assert report.intact and report.checked == len(rows) >= 5


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_raw_update_is_reported_at_the_changed_event(users, client, capsys):
    events = _events(users, 5)
    call_command("verify_audit_chain")
    assert "intact: 5 events" in capsys.readouterr().out
    tampered = events[2]
    _raw("UPDATE audit_auditevent SET after = '{\"amount\": \"999.00\"}' WHERE id = %s", [tampered.pk])

    report = selectors.verify_chain()
    assert report.breaks == [(tampered.pk, events[1].pk)]
    with pytest.raises(CommandError, match=f"first at event #{tampered.pk}"):
        call_command("verify_audit_chain")
    assert f"chain broken at event #{tampered.pk}" in capsys.readouterr().out

    client.force_login(users["auditor"])
    page = client.get(reverse("audit:chain"), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="chain-broken"' in html
    assert f'data-event="{tampered.pk}"' in html and html.count('class="chain-break"') == 1


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_recomputed_hash_or_a_deleted_event_breaks_at_the_next_event(users):
    events = _events(users, 5)
    # the attacker changes an event and recomputes its own hash: the next event no longer follows it
    row = AuditEvent.objects.filter(pk=events[1].pk).values("id", "chain_hash", *chain.CHAINED_FIELDS).get()
    row["verb"] = "forged"
    forged = chain.link(events[0].chain_hash, row)
    _raw("UPDATE audit_auditevent SET verb = 'forged', chain_hash = %s WHERE id = %s", [forged, events[1].pk])
    assert selectors.verify_chain().breaks == [(events[2].pk, events[1].pk)]
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[3].pk])
    assert selectors.verify_chain().breaks == [(events[2].pk, events[1].pk), (events[4].pk, events[2].pk)]


@pytest.mark.postgres
@pytest.mark.django_db
def test_truncate_is_refused(users):
    _events(users, 1)
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL creditportal.allow_truncate = 'off'")  # as any portal connection
            cursor.execute("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db
def test_the_chain_page_is_the_auditors_and_says_intact(users, client):
    _events(users, 2)
    client.force_login(users["auditor"])
    page = client.get(reverse("audit:chain"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="chain-intact"' in page
    client.force_login(users["rm"])
    assert client.get(reverse("audit:chain")).status_code == 403


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_do_not_fork_the_chain(make_user):
    actor = make_user("writer", "risk_admin")
    barrier = threading.Barrier(8)
    errors = []

    def write(n):
        try:
            barrier.wait()
            for i in range(5):
                with transaction.atomic():
                    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, object_type="test.thing",
                                 object_id=f"{n}-{i}")
                    if i % 2:
                        audit_record_many(actor=actor, action=AuditEvent.Action.CREATE, objs=[actor, actor])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = selectors.verify_chain()
    assert report.intact and report.checked >= 8 * (5 + 2 * 2)
    hashes = list(AuditEvent.objects.values_list("chain_hash", flat=True))
    assert len(set(hashes)) == len(hashes)


# --- The whole check kept, the page checks only what came after it (issue 25: a page whose cost grew with the
# whole trail) ---------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_page_checks_only_the_events_after_the_kept_whole_check(users, client, django_assert_max_num_queries):
    from audit.models import ChainCheck
    from audit.services import chain_check_run

    _events(users, 30)
    check = chain_check_run(actor=users["auditor"])
    assert isinstance(check, ChainCheck) and check.intact and check.checked == 30
    assert check.last_event_id == AuditEvent.objects.filter(object_type="test.thing").order_by("-id").first().pk
    assert check.requested_by == "auditor"
    recorded = AuditEvent.objects.filter(verb="chain_check").get()
    assert recorded.actor_username == "auditor" and recorded.after["intact"] is True
    _events(users, 3)

    status = selectors.chain_status()
    assert status.check == check and status.intact
    assert status.tail.checked == 4  # the check's own audit event and the three new ones, not the 30 before
    assert status.checked == 34 == AuditEvent.objects.count()

    client.force_login(users["auditor"])  # the login is an event too
    page = client.get(reverse("audit:chain"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="chain-intact"' in page and "Whole trail last checked" in page
    assert f"{AuditEvent.objects.count()} events checked" in page
    zh = client.get(reverse("audit:chain"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "整个审计轨迹" in zh
    _events(users, 40)
    with django_assert_max_num_queries(12):  # the same statements with 40 more events than the check
        assert client.get(reverse("audit:chain")).status_code == 200


@pytest.mark.django_db
def test_before_any_whole_check_the_page_checks_the_whole_trail(users, client):
    _events(users, 4)
    status = selectors.chain_status()
    assert status.check is None and status.intact and status.checked == 4


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_change_after_the_whole_check_is_still_found(users, client):
    """Behind the kept check: a new event changed, and the check's own last event rewritten, are both found."""
    from audit.services import chain_check_run

    events = _events(users, 5)
    check = chain_check_run(actor=users["auditor"])
    later = _events(users, 3)
    _raw("UPDATE audit_auditevent SET verb = 'forged' WHERE id = %s", [later[1].pk])
    status = selectors.chain_status()
    assert status.breaks == [(later[1].pk, later[0].pk)]
    _raw("UPDATE audit_auditevent SET chain_hash = %s WHERE id = %s", ["f" * 64, check.last_event_id])
    status = selectors.chain_status()
    assert status.breaks[0] == (check.last_event_id, None) and not status.intact
    client.force_login(users["auditor"])
    html = client.get(reverse("audit:chain"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="chain-broken"' in html and f'data-event="{check.last_event_id}"' in html
    # the next whole check finds the changed events from the first one on, and the page shows its breaks
    assert events and chain_check_run(actor=users["auditor"]).breaks


@pytest.mark.django_db
def test_an_auditor_asks_for_a_whole_check_and_others_are_refused(users, client, django_capture_on_commit_callbacks):
    from audit.models import ChainCheck

    _events(users, 3)
    client.force_login(users["auditor"])
    assert client.get(reverse("audit:chain_check")).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("audit:chain_check"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and response.url == reverse("audit:chain")
    check = ChainCheck.objects.get()  # the task ran (eager in tests) as the auditor
    assert check.requested_by == "auditor" and check.intact
    assert check.checked == AuditEvent.objects.count() - 1  # every event but the check's own
    client.force_login(users["rm"])
    assert client.post(reverse("audit:chain_check")).status_code == 403
    assert ChainCheck.objects.count() == 1


@pytest.mark.django_db
def test_the_nightly_whole_check_runs_as_the_system_user_on_the_batch_queue(users):
    from django.conf import settings

    from accounts.system import system_user
    from audit import tasks
    from audit.models import ChainCheck
    from config.celery import beat_schedule

    system_user()
    _events(users, 2)
    check = ChainCheck.objects.get(pk=tasks.check_chain())
    assert check.requested_by == settings.SYSTEM_USERNAME and check.intact and check.checked == 2
    assert any(entry["task"] == tasks.CHECK_CHAIN_TASK for entry in beat_schedule(10).values())
    assert settings.CELERY_TASK_ROUTES[tasks.CHECK_CHAIN_TASK] == {"queue": settings.BATCH_QUEUE}
