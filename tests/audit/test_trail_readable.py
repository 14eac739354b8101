"""The audit trail as an auditor reads it (issue 21): each change as "field: before → after" in words, object
types as a select, people by name, the system user's routine events hidden unless asked for."""
import pytest
from django.urls import reverse

from accounts.system import system_user
from audit.changes import change_rows
from audit.models import AuditEvent
from audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_change_rows_use_field_names_and_choice_labels():
    from django.utils import translation

    with translation.override("zh-hans"):
        rows = change_rows("customers.customer", {"size": "medium", "name": "甲", "note": "x"},
                           {"size": "large", "name": "甲", "note": None})
    labels = {r["label"]: (r["before"], r["after"]) for r in rows}
    assert labels["规模"] == ("中型", "大型")  # the field's name and the choices' labels, not codes
    assert "名称" not in labels and len(labels) == 2  # unchanged fields left out
    # a key that names no field is shown as the recorded data, not put in (English) words
    assert labels["记录的数据"] == ('{"note": "x"}', '{"note": null}')
    created = change_rows("customers.customer", None, {"size": "small"})
    assert created[0]["kind"] == "set"


def test_the_page_shows_changes_in_words_and_people_by_name(client_for, users):
    users["rm"].first_name, users["rm"].last_name = "小明", "王"
    users["rm"].save()
    audit_record(actor=users["rm"], action=AuditEvent.Action.UPDATE, object_type="collection.invoice",
                 object_id="7", object_repr="INV-7", before={"status": "open", "amount": "5.00"},
                 after={"status": "paid", "amount": "5.00"})
    html = client_for(users["auditor"]).get(reverse("audit:event_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "王小明" in html
    assert "→" in html and "&quot;status&quot;" not in html
    assert '<select name="object_type"' in html
    assert 'data-picker="/accounts/users/pick/"' in html


def test_system_routine_is_hidden_by_default_with_a_switch(client_for, users):
    system = system_user()
    audit_record(actor=system, action=AuditEvent.Action.RUN, verb="alerts_evaluate", object_type="monitoring.alert",
                 object_repr="nightly evaluation")
    audit_record(actor=users["rm"], action=AuditEvent.Action.CREATE, object_type="collection.invoice",
                 object_id="1", object_repr="INV-1", after={"amount": "1.00"})
    client = client_for(users["auditor"])
    html = client.get(reverse("audit:event_list")).content.decode()
    assert "INV-1" in html and "nightly evaluation" not in html
    html = client.get(reverse("audit:event_list"), {"system": "show"}).content.decode()
    assert "nightly evaluation" in html
    filtered = client.get(reverse("audit:event_list"), {"action": "run"}).content.decode()
    assert "nightly evaluation" not in filtered


def test_filters_by_person_and_refuses_bad_values(client_for, api_for, users):
    audit_record(actor=users["rm"], action=AuditEvent.Action.CREATE, object_type="collection.invoice",
                 object_id="1", object_repr="INV-1", after={})
    audit_record(actor=users["analyst"], action=AuditEvent.Action.CREATE, object_type="collection.invoice",
                 object_id="2", object_repr="INV-2", after={})
    client = client_for(users["auditor"])
    html = client.get(reverse("audit:event_list"), {"user": users["rm"].pk}).content.decode()
    assert "INV-1" in html and "INV-2" not in html
    bad = client.get(reverse("audit:event_list"), {"user": "rm", "object_type": "'; drop"}).content.decode()
    assert bad.count('aria-invalid="true"') == 2
    assert api_for(users["auditor"]).get("/api/v1/audit-events/", {"object_type": "x y"}).status_code == 400
    assert client_for(users["rm"]).get(reverse("audit:event_list")).status_code == 403


def test_trail_page_queries_are_constant(client_for, users, django_assert_max_num_queries):
    for n in range(40):
        audit_record(actor=users["rm" if n % 2 else "analyst"], action=AuditEvent.Action.CREATE,
                     object_type="collection.invoice", object_id=str(n), object_repr=f"INV-{n}", after={"n": n})
    client = client_for(users["auditor"])
    client.get(reverse("audit:event_list"))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("audit:event_list")).status_code == 200


def test_the_api_shows_every_event_unless_asked(api_for, users):
    audit_record(actor=system_user(), action=AuditEvent.Action.RUN, verb="alerts_evaluate",
                 object_type="monitoring.alert", object_repr="nightly evaluation")
    auditor = api_for(users["auditor"])
    assert any(e["verb"] == "alerts_evaluate" for e in auditor.get("/api/v1/audit-events/").json()["results"])
    hidden = auditor.get("/api/v1/audit-events/", {"system": "hide"}).json()["results"]
    assert not any(e["verb"] == "alerts_evaluate" for e in hidden)
