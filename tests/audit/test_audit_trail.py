import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse

from audit.models import AuditEvent, AuditTrailIsAppendOnly
from audit.services import audit_record


@pytest.fixture
def event(users):
    return audit_record(actor=users["riskadmin"], action=AuditEvent.Action.CREATE, object_type="test.thing",
                        object_id="1", object_repr="thing", after={"amount": "1.00"})


@pytest.mark.django_db
def test_model_refuses_change_and_delete(event):
    event.verb = "tampered"
    with pytest.raises(AuditTrailIsAppendOnly):
        event.save()
    with pytest.raises(AuditTrailIsAppendOnly):
        event.delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(verb="x")
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.all().delete()


@pytest.mark.postgres
@pytest.mark.django_db
def test_raw_sql_update_and_delete_fail_on_postgresql(event):
    assert connection.vendor == "postgresql"
    for sql in ["UPDATE audit_auditevent SET verb = 'x' WHERE id = %s", "DELETE FROM audit_auditevent WHERE id = %s"]:
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).verb == ""


@pytest.mark.django_db
def test_auditor_browses_filters_and_exports(client, users, event):
    client.force_login(users["auditor"])
    page = client.get(reverse("audit:event_list"), {"user": users["riskadmin"].pk, "action": "create"})
    assert page.status_code == 200
    assert "test.thing" in page.content.decode()
    empty = client.get(reverse("audit:event_list"), {"user": users["rm"].pk})
    assert "test.thing" not in empty.content.decode()
    export = client.get(reverse("audit:event_export"), {"object_type": "test.thing"}, HTTP_ACCEPT_LANGUAGE="en")
    assert export.status_code == 200
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0].startswith("Time,User,Action")
    assert "test.thing" in body
    assert AuditEvent.objects.filter(action="export", actor_username="auditor").exists()


@pytest.mark.django_db
def test_audit_api_is_read_only_and_restricted(api_for, users, event):
    auditor = api_for(users["auditor"])
    assert auditor.get("/api/v1/audit-events/").json()["count"] >= 1
    assert auditor.post("/api/v1/audit-events/", {}).status_code in (403, 405)
    assert api_for(users["rm"]).get("/api/v1/audit-events/").status_code == 403


@pytest.mark.django_db
def test_auditor_cannot_write(client, users):
    client.force_login(users["auditor"])
    assert client.post(reverse("accounts:user_create"), {"username": "x"}).status_code == 403
    from django.contrib.auth.models import Permission

    writable = [p for p in users["auditor"].get_all_permissions()
                if not p.split(".")[1].startswith(("view_", "export_", "download_", "request_report"))]
    assert writable == []


@pytest.mark.django_db
def test_the_trail_shows_model_names_and_changes_in_words(client, users):
    """The page showed snapshots as Python dicts ({'paid_on': None, 'is_recovery': False}) and the object type
    as a code (collection.invoice); the auditor sees each field in words and the model's name."""
    audit_record(actor=users["rm"], action=AuditEvent.Action.CREATE, object_type="collection.invoice",
                 object_id="7", object_repr="INV-7", after={"paid_on": None, "is_recovery": False, "amount": "5.00"})
    audit_record(actor=users["rm"], action=AuditEvent.Action.EXPORT, object_type="collection.invoice",
                 object_repr="invoices", after={"rows": 3})
    client.force_login(users["auditor"])
    html = client.get(reverse("audit:event_list"), {"object_type": "collection.invoice"},
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "&quot;amount&quot;" not in html and "5.00" in html and "—" in html
    assert "None" not in html and "False" not in html
    assert '<span class="text-muted small" title="collection.invoice">发票 #7</span>' in html
    assert '<span class="text-muted small" title="collection.invoice">发票</span>' in html  # no id: no lone "#"


def test_every_verb_the_services_write_has_a_label():
    """The trail stores verbs as codes; an auditor reads them as words in their language (audit.verbs)."""
    import re
    from pathlib import Path

    from audit.verbs import VERB_LABELS

    root = Path(__file__).resolve().parents[2]
    written = set()
    for path in root.glob("*/**/*.py"):
        if path.parts[len(root.parts)] in ("tests", ".venv", "bench", "node_modules") or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        written |= set(re.findall(r'\bverb="([a-z_]+)"', text))
        # a transition audited under its own name (``audited_transition(actor, obj, "retire")``, no ``verb=``)
        written |= set(re.findall(r'_transition\(actor, [a-z_]+, "([a-z_]+)"(?![^)]*verb=)', text))
    assert len(written) > 40
    assert sorted(written - set(VERB_LABELS)) == []


@pytest.mark.django_db
def test_the_trail_reads_verbs_as_words(client, users):
    from django.utils import translation

    from audit.verbs import verb_label

    for verb in ("rating_report", "customers_csv", "escalate_litigation"):
        audit_record(actor=users["analyst"], action=AuditEvent.Action.DOWNLOAD, verb=verb, object_type="x.y")
    with translation.override("en"):
        assert verb_label("customers_csv") == "export (CSV): customers"
        assert verb_label("escalate_litigation") == "escalated: litigation"
        assert verb_label("something_new") == "something new"
    client.force_login(users["auditor"])
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("audit:event_list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "评级报告" in page and "导出（CSV）" in page and 'title="rating_report"' in page
    assert 'type="date"' in page
