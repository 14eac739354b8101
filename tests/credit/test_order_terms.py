"""An order asking for a longer payment term than the customer's (issue 23): the term approved on the facility's
application, else the credit policy's longest term for the customer's grade. Beyond a hard rule it is refused;
beyond a soft one it is a policy exception: a reason, and the top level of the authority matrix (as for an
application). At the term itself the order is within it."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from credit import rules, services
from credit.models import ApproverAuthority, AuthorityLevel, Order
from creditportal.core.errors import NotAllowed, ValidationFailed
from tests.factories import facility as make_facility

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def terms_policy(users):
    """Grade A: payment terms up to 60 days (soft); grade B: 45 days (hard)."""
    rows = [{"grade": "A", "max_payment_term_days": 60}, {"grade": "B", "max_payment_term_days": 45,
                                                          "payment_term_hard": True}]
    policy = services.policy_create(actor=users["riskadmin"], name="Terms", effective_from=dt.date(2020, 1, 1),
                                    rules=rows)
    return services.policy_activate(actor=users["approver1"], policy=policy)


@pytest.fixture
def line(customer, terms_policy):
    return make_facility(customer, "1000000", start=dt.date(2020, 1, 1), expiry=dt.date(2099, 1, 1))


@pytest.fixture
def top_rm(users, make_user):
    """A relationship manager who also holds the matrix's top level (the one who may grant the exception here)."""
    from django.contrib.auth.models import Permission

    person = make_user("rm-top", "relationship_manager")
    person.user_permissions.add(Permission.objects.get(codename="view_all_customers"))  # a head-office RM
    low = AuthorityLevel.objects.create(number=1, name="Branch", max_amount=D("5000000"))
    top = AuthorityLevel.objects.create(number=2, name="Committee", max_amount=None)
    ApproverAuthority.objects.create(user=person, level=top)
    ApproverAuthority.objects.create(user=users["approver1"], level=low)
    return person


def _order(actor, line, reference, **terms):
    return services.order_record(actor=actor, facility=line, amount="1000", currency="CNY", reference=reference,
                                 **terms)


def test_the_rule():
    assert rules.order_term_exception(None, 60, hard=True) == ""
    assert rules.order_term_exception(60, 60, hard=True) == ""
    assert rules.order_term_exception(61, 60, hard=False) == rules.SOFT
    assert rules.order_term_exception(46, 45, hard=True) == rules.HARD
    assert rules.order_term_exception(365, None, hard=True) == ""  # no term set for the grade


def test_at_the_term_the_order_is_within_it(users, customer, ratings_stub, line):
    order = _order(users["rm"], line, "PO-60", payment_term_days=60)
    assert order.payment_term_days == 60 and order.term_exception_reason == ""


def test_beyond_a_soft_term_is_an_exception_for_the_top_level_with_a_reason(users, customer, ratings_stub, line,
                                                                               top_rm):
    with pytest.raises(ValidationFailed) as no_reason:
        _order(top_rm, line, "PO-61", payment_term_days=61)
    assert no_reason.value.code == "term_exception" and "term_exception_reason" in no_reason.value.field_errors
    with pytest.raises(NotAllowed) as no_authority:  # the customer's own RM holds no matrix entry
        _order(users["rm"], line, "PO-61", payment_term_days=61, term_exception_reason="旺季备货")
    assert "top level" in str(no_authority.value.message)
    assert not Order.objects.filter(reference="PO-61").exists()
    order = _order(top_rm, line, "PO-61", payment_term_days=61, term_exception_reason="旺季备货，客户付款记录良好")
    assert order.payment_term_days == 61 and order.term_exception_reason.startswith("旺季备货")


def test_beyond_a_hard_term_is_refused_for_everyone(users, customer, ratings_stub, line, top_rm):
    ratings_stub[customer.pk] = "B"
    _order(users["rm"], line, "PO-45", payment_term_days=45)
    with pytest.raises(ValidationFailed) as refused:
        _order(top_rm, line, "PO-46", payment_term_days=46, term_exception_reason="客户要求")
    assert refused.value.code == "term_beyond_policy" and "hard rule" in str(refused.value.message)
    assert not Order.objects.filter(reference="PO-46").exists()


def test_the_facilitys_approved_term_replaces_the_grades(users, customer, ratings_stub, line):
    from credit.models import CreditApplication

    app = CreditApplication.objects.create(customer=customer, amount=D("1000000"), currency="CNY", term_months=12,
                                           purpose="流动资金", created_by=users["rm"], status="approved",
                                           payment_term_days=90)
    line.application = app
    line.save(update_fields=["application"])
    _order(users["rm"], line, "PO-90", payment_term_days=90)  # approved on the application: within
    with pytest.raises(NotAllowed):
        _order(users["rm"], line, "PO-91", payment_term_days=91, term_exception_reason="再延长一天")


def test_the_api_and_the_page_take_the_term(users, customer, ratings_stub, line, api_for, client_for):
    api = api_for(users["rm"])
    refused = api.post("/api/v1/orders/", {"facility": line.pk, "reference": "PO-API", "amount": "100.00",
                                           "currency": "CNY", "payment_term_days": 61}, format="json")
    assert refused.status_code == 400 and "term_exception_reason" in refused.data["errors"]
    done = api.post("/api/v1/orders/", {"facility": line.pk, "reference": "PO-API", "amount": "100.00",
                                        "currency": "CNY", "payment_term_days": 30}, format="json")
    assert done.status_code == 201, done.data
    assert done.data["payment_term_days"] == 30
    client = client_for(users["rm"])
    page = client.post(reverse("credit:facility_order", args=[line.pk]),
                       {"reference": "PO-PAGE", "amount": "100", "currency": "CNY", "payment_term_days": "61"})
    assert page.status_code in (200, 302, 400)
    assert not Order.objects.filter(reference="PO-PAGE").exists()
    client.post(reverse("credit:facility_order", args=[line.pk]),
                {"reference": "PO-PAGE", "amount": "100", "currency": "CNY", "payment_term_days": "60"})
    assert Order.objects.get(reference="PO-PAGE").payment_term_days == 60
