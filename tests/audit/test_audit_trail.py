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
    page = client.get(reverse("audit:event_list"), {"user": "riskadmin", "action": "create"})
    assert page.status_code == 200
    assert "test.thing" in page.content.decode()
    empty = client.get(reverse("audit:event_list"), {"user": "nobody"})
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
def test_the_trail_shows_model_names_and_json_snapshots(client, users):
    """The page showed snapshots as Python dicts ({'paid_on': None, 'is_recovery': False}) and the object type
    as a code (collection.invoice); the auditor sees JSON, as in the export, and the model's name."""
    audit_record(actor=users["rm"], action=AuditEvent.Action.CREATE, object_type="collection.invoice",
                 object_id="7", object_repr="INV-7", after={"paid_on": None, "is_recovery": False, "amount": "5.00"})
    audit_record(actor=users["rm"], action=AuditEvent.Action.EXPORT, object_type="collection.invoice",
                 object_repr="invoices", after={"rows": 3})
    client.force_login(users["auditor"])
    html = client.get(reverse("audit:event_list"), {"object_type": "collection.invoice"},
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "{&quot;amount&quot;: &quot;5.00&quot;, &quot;is_recovery&quot;: false, &quot;paid_on&quot;: null}" in html
    assert "None" not in html and "False" not in html
    assert '<span class="text-muted small" title="collection.invoice">发票 #7</span>' in html
    assert '<span class="text-muted small" title="collection.invoice">发票</span>' in html  # no id: no lone "#"
