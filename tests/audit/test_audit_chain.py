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
