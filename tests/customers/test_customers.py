"""Customer master data through the services: validation, portfolio, reassignment, events, audit."""
import datetime as dt

import pytest

from audit.models import AuditEvent
from creditportal.core import events
from creditportal.core.errors import NotAllowed, ValidationFailed
from customers import services
from customers.models import Customer, NegativeRecord

from .conftest import next_code


def base(**extra):
    data = dict(name="上海测试有限公司", credit_code=next_code(), industry_section="C", industry_division="30",
                size="small", legal_form="limited_liability")
    data.update(extra)
    return data


def test_create_in_own_portfolio_and_audited(users):
    customer = services.customer_create(actor=users["rm"], **base())
    assert customer.relationship_manager == users["rm"]
    assert customer.status == "prospect"
    assert AuditEvent.objects.filter(object_type="customers.customer", object_id=str(customer.pk)).exists()


def test_wrong_check_digit_is_refused_with_a_message(users):
    code = next_code()
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(ValidationFailed) as info:
        services.customer_create(actor=users["rm"], **base(credit_code=wrong))
    assert "check digit" in " ".join(info.value.field_errors["credit_code"])
    assert not Customer.objects.exists()


def test_duplicate_code_and_domestic_without_code_are_refused(users, make_customer):
    existing = make_customer()
    with pytest.raises(ValidationFailed) as info:
        services.customer_create(actor=users["rm2"], **base(credit_code=existing.credit_code))
    assert "already" in " ".join(info.value.field_errors["credit_code"])
    with pytest.raises(ValidationFailed):
        services.customer_create(actor=users["rm"], **base(credit_code=""))


def test_foreign_customer_uses_its_registration_number(users):
    customer = services.customer_create(actor=users["rm"], **base(credit_code="", is_foreign=True, country="hk",
                                                                 registration_number="1234567"))
    assert customer.credit_code is None and customer.country == "HK" and customer.identifier == "1234567"
    with pytest.raises(ValidationFailed) as info:
        services.customer_create(actor=users["rm"], **base(credit_code="", is_foreign=True, country="HK"))
    assert "registration_number" in info.value.field_errors


def test_division_must_belong_to_the_section(users):
    with pytest.raises(ValidationFailed) as info:
        services.customer_create(actor=users["rm"], **base(industry_section="F", industry_division="30"))
    assert "industry_division" in info.value.field_errors


def test_group_needs_a_relation(users):
    group = services.group_create(actor=users["rm"], name="测试集团")
    with pytest.raises(ValidationFailed):
        services.customer_create(actor=users["rm"], **base(group=group))
    customer = services.customer_create(actor=users["rm"], **base(group=group, group_relation="subsidiary"))
    assert customer.group == group


def test_update_other_portfolio_refused(users, make_customer):
    customer = make_customer()
    with pytest.raises(NotAllowed):
        services.customer_update(actor=users["rm2"], customer=customer, name="改名")
    services.customer_update(actor=users["rm"], customer=customer, name="改名", status="closed")
    customer.refresh_from_db()
    assert customer.name == "改名" and customer.status == "closed"
    change = AuditEvent.objects.filter(object_type="customers.customer", action="update").get()
    assert change.before["name"] != change.after["name"]


def test_reassign_only_by_risk_admin(users, make_customer):
    customer = make_customer()
    with pytest.raises(NotAllowed):
        services.customer_reassign(actor=users["rm"], customer=customer, relationship_manager=users["rm2"])
    with pytest.raises(ValidationFailed):
        services.customer_reassign(actor=users["riskadmin"], customer=customer, relationship_manager=users["analyst"])
    services.customer_reassign(actor=users["riskadmin"], customer=customer, relationship_manager=users["rm2"])
    assert Customer.objects.visible_to(users["rm2"]).filter(pk=customer.pk).exists()
    assert not Customer.objects.visible_to(users["rm"]).filter(pk=customer.pk).exists()


def test_rm_cannot_create_into_another_portfolio(users):
    with pytest.raises(NotAllowed):
        services.customer_create(actor=users["rm"], relationship_manager=users["rm2"], **base())


def test_visible_to(users, make_customer):
    mine, theirs = make_customer(), make_customer(manager=users["rm2"])
    assert list(Customer.objects.visible_to(users["rm"])) == [mine]
    for role in ["analyst", "approver1", "collector", "riskadmin", "auditor"]:
        assert set(Customer.objects.visible_to(users[role])) == {mine, theirs}
    nobody = type(users["rm"]).objects.create_user("nobody", password="x-Secret-123")
    assert not Customer.objects.visible_to(nobody).exists()
    from django.contrib.auth.models import AnonymousUser

    assert not Customer.objects.visible_to(AnonymousUser()).exists()


def test_auditor_writes_nothing(users, make_customer, make_statement):
    customer = make_customer()
    statement = make_statement(customer)
    auditor = users["auditor"]
    attempts = [
        lambda: services.customer_create(actor=auditor, **base()),
        lambda: services.customer_update(actor=auditor, customer=customer, name="x"),
        lambda: services.customer_reassign(actor=auditor, customer=customer, relationship_manager=users["rm2"]),
        lambda: services.group_create(actor=auditor, name="g"),
        lambda: services.contact_create(actor=auditor, customer=customer, name="x"),
        lambda: services.negative_record_create(actor=auditor, customer=customer, kind="litigation",
                                                occurred_on=dt.date(2024, 1, 1), source="court"),
        lambda: services.statement_create(actor=auditor, customer=customer, period_end=dt.date(2020, 12, 31),
                                          total_assets=1, total_liabilities=1, equity=0),
        lambda: services.statement_update(actor=auditor, statement=statement, equity=500),
    ]
    for attempt in attempts:
        with pytest.raises(NotAllowed):
            attempt()


def test_negative_record_publishes_event(users, make_customer, django_capture_on_commit_callbacks):
    customer = make_customer()
    received = []
    events.subscribe("customers.negative_record_added", lambda **kw: received.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        record = services.negative_record_create(actor=users["rm"], customer=customer, kind="tax_penalty",
                                                 occurred_on=dt.date(2024, 3, 1), source="税务局", amount="1000.00")
    assert received[-1] == {"record_id": record.pk, "customer_id": customer.pk}
    with pytest.raises(ValidationFailed):
        services.negative_record_create(actor=users["rm"], customer=customer, kind="rumour",
                                        occurred_on=dt.date(2024, 3, 1), source="x")
    with pytest.raises(ValidationFailed):
        services.negative_record_create(actor=users["rm"], customer=customer, kind="litigation",
                                        occurred_on=dt.date(2024, 3, 1), source="x", amount="-5")
    assert NegativeRecord.objects.count() == 1


def test_one_primary_contact(users, make_customer):
    customer = make_customer()
    first = services.contact_create(actor=users["rm"], customer=customer, name="甲", is_primary=True)
    services.contact_create(actor=users["rm"], customer=customer, name="乙", is_primary=True)
    first.refresh_from_db()
    assert not first.is_primary
