"""Races on PostgreSQL: two approvers at once, two collectors at once → exactly one transition, the other 409."""
import datetime as dt
from decimal import Decimal as D

import pytest

from collection import services
from collection.models import CollectionCase, Invoice, WriteOff
from creditportal.core.errors import Conflict
from tests.threads import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_approvers_approve_one_write_off_once(users, customer, make_invoice, today, approver_authorities):
    make_invoice(customer, "1000.00", days_past_due=100)
    case = services.case_open(actor=users["collector"], customer=customer)
    case = services.case_escalate(actor=users["collector"], case=case, channel="agency")
    writeoff = services.writeoff_propose(actor=users["collector"], case=case, reason="uncollectable")
    a, b = WriteOff.objects.get(pk=writeoff.pk), WriteOff.objects.get(pk=writeoff.pk)
    results = run_at_once([
        lambda: services.writeoff_approve(actor=users["approver1"], writeoff=a),
        lambda: services.writeoff_approve(actor=users["approver2"], writeoff=b),
    ])
    assert sum(isinstance(r, WriteOff) for r in results) == 1, results
    assert sum(isinstance(r, Conflict) for r in results) == 1, results
    invoice = Invoice.objects.get(customer=customer)
    assert invoice.written_off_amount == D("1000.00") and invoice.status == "written_off"


def test_two_collectors_start_one_case_once(users, make_user, customer, make_invoice, today):
    make_invoice(customer, "1000.00", days_past_due=10)
    other = make_user("collector2", "collector")
    case = services.case_open(actor=users["collector"], customer=customer)
    a, b = CollectionCase.objects.get(pk=case.pk), CollectionCase.objects.get(pk=case.pk)
    results = run_at_once([
        lambda: services.case_start(actor=users["collector"], case=a),
        lambda: services.case_start(actor=other, case=b),
    ])
    assert sum(isinstance(r, CollectionCase) for r in results) == 1, results
    assert sum(isinstance(r, Conflict) for r in results) == 1, results
