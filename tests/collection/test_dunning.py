"""The daily dunning job: one action per customer and level, idempotent, paid invoices stop it, letters."""
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from pypdf import PdfReader

from collection import services
from collection.letters import letter_pdf
from collection.models import CollectionCase, DunningAction
from creditportal.core import clock

pytestmark = pytest.mark.django_db


def test_one_action_per_customer_and_level_and_idempotent(users, make_customer, make_invoice, today, policy):
    a = make_customer("甲公司")
    b = make_customer("乙公司")
    for days in (5, 10, 20):
        make_invoice(a, "1000.00", days_past_due=days)  # several invoices → one action
    make_invoice(b, "1000.00", days_past_due=45)
    first = services.dunning_run(as_of=today)
    assert first.created == 2
    actions = {x.customer_id: x for x in DunningAction.objects.all()}
    assert actions[a.pk].level_order == 2 and actions[a.pk].action == "phone_call"  # 20 days → phone call
    assert len(actions[a.pk].invoice_ids) == 3
    assert actions[b.pk].level_order == 3  # raised straight to the highest level reached
    assert actions[a.pk].assigned_to is None or actions[a.pk].assigned_to.groups.filter(name="collector").exists()
    # level 3 opens a case, assigned to a collector
    case = CollectionCase.objects.get(customer=b)
    assert case.state == "open" and case.assigned_to == users["collector"] and case.invoices.count() == 1
    second = services.dunning_run(as_of=today)
    assert second.created == 0 and DunningAction.objects.count() == 2
    assert CollectionCase.objects.count() == 1
    # 15 days later: a reaches level 3 (35 days), b level 4 (60 days) → one new action each, once
    later = today + dt.timedelta(days=15)
    clock.set_today(later)
    assert services.dunning_run(as_of=later).created == 2
    assert services.dunning_run(as_of=later).created == 0
    assert sorted(DunningAction.objects.filter(customer=a).values_list("level_order", flat=True)) == [2, 3]
    assert sorted(DunningAction.objects.filter(customer=b).values_list("level_order", flat=True)) == [3, 4]
    assert CollectionCase.objects.count() == 2  # a's case opened at level 3; b keeps its one case


def test_paid_invoice_stops_dunning_and_tolerance(users, make_customer, make_invoice, today, policy):
    a = make_customer()
    small = make_customer("小额公司")
    make_invoice(a, "1000.00", days_past_due=20)
    make_invoice(small, "99.00", days_past_due=40)  # at or below the tolerance of 100
    services.dunning_run(as_of=today)
    assert not DunningAction.objects.filter(customer=small).exists()
    assert DunningAction.objects.open().filter(customer=a).count() == 1
    services.payment_post(actor=users["rm"], customer=a, amount="1000.00", received_on=today)
    assert DunningAction.objects.open().filter(customer=a).count() == 0
    assert services.dunning_run(as_of=today).created == 0


def test_pre_due_reminder(users, customer, make_invoice, today, policy):
    make_invoice(customer, "1000.00", days_past_due=-3)
    make_invoice(customer, "1000.00", days_past_due=-4)
    result = services.dunning_run(as_of=today)
    assert result.created == 1
    assert DunningAction.objects.get().level_order == 0


def test_dunning_acts_as_system_user_and_executes_letters(users, customer, make_invoice, today, policy,
                                                          django_capture_on_commit_callbacks, mailoutbox):
    from customers.models import Contact

    Contact.objects.create(customer=customer, name="王会计", email="ap@example.cn", is_primary=True)
    make_invoice(customer, "1000.00", days_past_due=35)
    with django_capture_on_commit_callbacks(execute=True):
        services.dunning_run(as_of=today)
    action = DunningAction.objects.get()
    assert action.outcome == "done"
    assert len(mailoutbox) == 1 and mailoutbox[0].attachments[0][2] == "application/pdf"
    from audit.models import AuditEvent

    assert AuditEvent.objects.filter(verb="dunning_run", actor_username="system").exists()


def test_dunning_letter_pdf_has_chinese_name_invoices_and_fee(users, customer, make_invoice, today, policy):
    make_invoice(customer, "10000.00", days_past_due=30, number="INV-CN-1")
    services.dunning_run(as_of=today)
    action = DunningAction.objects.get()
    for language in ("zh-hans", "en"):
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(letter_pdf(action, language=language))).pages)
        assert "华东机械有限公司" in text
        assert "INV-CN-1" in text
        assert "150.00" in text  # 10,000 × 0.05% × 30 days
    zh = "".join(p.extract_text() for p in PdfReader(io.BytesIO(letter_pdf(action, language="zh-hans"))).pages)
    assert "逾期" in zh or "催款" in zh


def test_dunning_run_is_set_wise(users, make_customer, make_invoice, today, policy, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def run_for(n, offset):
        for i in range(n):
            c = make_customer(f"批量{offset + i}")
            make_invoice(c, "1000.00", days_past_due=35)  # level 3: an action and a case each
        with CaptureQueriesContext(connection) as ctx:
            result = services.dunning_run(as_of=today)
        return result, len(ctx.captured_queries)

    from accounts.system import system_user

    system_user()  # created once, before counting
    run_for(1, 50)  # warm-up: content types and permission caches
    DunningAction.objects.update(closed_on=today)
    small, q_small = run_for(2, 0)
    DunningAction.objects.update(closed_on=today)
    CollectionCase.objects.all().delete()
    big, q_big = run_for(12, 100)
    assert small.created >= 2 and big.created >= 12
    assert q_big == q_small


def test_the_nightly_notes_are_in_the_portal_language(users, customer, make_customer, make_invoice, today, policy,
                                                       django_capture_on_commit_callbacks, settings):
    """The job wrote "mailed to …" / "no e-mail address" in English into the Chinese dunning list."""
    from customers.models import Contact

    settings.LANGUAGE_CODE = "zh-hans"
    Contact.objects.create(customer=customer, name="王会计", email="ap@example.cn", is_primary=True)
    make_invoice(customer, "1000.00", days_past_due=35)
    silent = make_customer("无邮箱有限公司")
    make_invoice(silent, "1000.00", days_past_due=35)
    with django_capture_on_commit_callbacks(execute=True):
        services.dunning_run(as_of=today)
    notes = dict(DunningAction.objects.values_list("customer__name", "outcome_note"))
    assert notes == {customer.name: "已发送至 ap@example.cn", "无邮箱有限公司": "无电子邮箱地址"}


def test_dunning_letter_with_a_hostile_name_embeds_nothing(users, make_customer, make_invoice, today, policy):
    """Security issue, finding 1: the letter goes to the customer; its name and address are user text."""
    from tests.pdf_safety import HOSTILE, assert_safe, watching_pdfs

    customer = make_customer(HOSTILE, address=HOSTILE)
    make_invoice(customer, "10000.00", days_past_due=30, number="INV-EVIL-1")
    services.dunning_run(as_of=today)
    action = DunningAction.objects.get()
    for language in ("zh-hans", "en"):
        with watching_pdfs() as seen:
            data = letter_pdf(action, language=language)
        assert_safe(data, seen)
