"""Invoices carry their payment term (issue → due) and are flagged when issued on a term beyond the customer's:
the term approved on the facility's application, else the policy's longest payment term for the customer's
grade (trade credit, issue 23). The flag shows on the invoice list, the invoice, the customer's page and the API."""
import datetime as dt
from types import SimpleNamespace

import pytest
from django.urls import reverse

from collection import rules, selectors
from tests.factories import facility as make_facility

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def grades(monkeypatch):
    """``grades[customer.pk] = "B"``: the customer's current rating, as credit reads it."""
    from credit import selectors as credit_selectors

    table = {}
    monkeypatch.setattr(credit_selectors, "current_ratings",
                        lambda ids: {i: SimpleNamespace(grade=table[i]) for i in ids if i in table})
    return table


@pytest.fixture
def terms_policy(users, today):
    """Grade A: payment terms up to 60 days; grade B: 45 days (hard); BBB: no payment term set."""
    from credit import services

    rows = [{"grade": "A", "max_payment_term_days": 60}, {"grade": "B", "max_payment_term_days": 45,
                                                          "payment_term_hard": True}, {"grade": "BBB"}]
    policy = services.policy_create(actor=users["riskadmin"], name="Terms", effective_from=dt.date(2026, 1, 1),
                                    rules=rows)
    return services.policy_activate(actor=users["approver1"], policy=policy)


def test_the_term_is_issue_to_due_in_days():
    assert rules.payment_term_days(dt.date(2026, 1, 31), dt.date(2026, 3, 2)) == 30
    assert rules.term_beyond(60, 60) is False and rules.term_beyond(61, 60) is True
    assert rules.term_beyond(365, None) is False


def test_flag_at_the_grade_term_and_one_day_beyond(customer, make_customer, make_invoice, grades, terms_policy):
    other = make_customer()
    unrated = make_customer()
    grades[customer.pk], grades[other.pk] = "A", "BBB"
    at = make_invoice(customer, issue_days_before_due=60)
    beyond = make_invoice(customer, issue_days_before_due=61)
    no_term = make_invoice(other, issue_days_before_due=365)
    no_rating = make_invoice(unrated, issue_days_before_due=365)
    terms = selectors.invoice_terms([at, beyond, no_term, no_rating])
    assert terms[at.pk] == {"term_days": 60, "allowed_days": 60, "source": "policy", "grade": "A", "beyond": False}
    assert terms[beyond.pk]["beyond"] is True and terms[beyond.pk]["term_days"] == 61
    assert terms[no_term.pk]["beyond"] is False and terms[no_term.pk]["allowed_days"] is None
    assert terms[no_rating.pk]["beyond"] is False and terms[no_rating.pk]["grade"] is None
    assert beyond.payment_term_days == 61


def test_the_facilitys_approved_term_replaces_the_grades(customer, make_invoice, grades, terms_policy, users, today):
    """An exception approved on the application (75 days) lets the facility's invoices run 75 days, not 60."""
    from credit.models import CreditApplication

    grades[customer.pk] = "A"
    app = CreditApplication.objects.create(customer=customer, amount=1000, currency="CNY", term_months=12,
                                           purpose="x", payment_term_days=75, created_by=users["rm"])
    facility = make_facility(customer, 100000, start=today, expiry=today + dt.timedelta(days=365), application=app)
    within = make_invoice(customer, issue_days_before_due=75)
    within.facility = facility
    within.save(update_fields=["facility"])
    beyond = make_invoice(customer, issue_days_before_due=76)
    beyond.facility = facility
    beyond.save(update_fields=["facility"])
    terms = selectors.invoice_terms([within, beyond])
    assert terms[within.pk] == {"term_days": 75, "allowed_days": 75, "source": "facility", "grade": "A",
                                "beyond": False}
    assert terms[beyond.pk]["beyond"] is True


def test_the_flag_costs_a_constant_number_of_queries(customer, make_customer, make_invoice, grades, terms_policy,
                                                     django_assert_max_num_queries):
    invoices = []
    for _n in range(6):
        c = make_customer()
        grades[c.pk] = "B"
        invoices.append(make_invoice(c, issue_days_before_due=50))
    with django_assert_max_num_queries(4):
        terms = selectors.invoice_terms(invoices)
    assert all(t["beyond"] for t in terms.values())


def test_pages_and_api_show_the_flag(customer, make_invoice, grades, terms_policy, users, client_for, api_for):
    grades[customer.pk] = "B"
    beyond = make_invoice(customer, issue_days_before_due=46, number="LONG-46")
    within = make_invoice(customer, issue_days_before_due=45, number="OK-45")
    page = client_for(users["collector"]).get(reverse("collection:invoice_list")).content.decode()
    assert page.count("beyond terms") == 1
    detail = client_for(users["collector"]).get(reverse("collection:invoice_detail", args=[beyond.pk]))
    assert "beyond terms" in detail.content.decode() and "policy for grade B: 45 days" in detail.content.decode()
    tab = client_for(users["rm"]).get(reverse("customers:customer_detail", args=[customer.pk]) + "?tab=collections")
    text = tab.content.decode()
    assert 'id="beyond-terms"' in text and "LONG-46" in text and "46 days, allowed 45" in text
    api = api_for(users["analyst"])
    listed = {row["number"]: row for row in api.get("/api/v1/invoices/").json()["results"]}
    assert (listed["LONG-46"]["payment_term_days"], listed["OK-45"]["payment_term_days"]) == (46, 45)
    one = api.get(f"/api/v1/invoices/{beyond.pk}/").json()
    assert one["payment_terms"] == {"term_days": 46, "allowed_days": 45, "source": "policy", "grade": "B",
                                    "beyond": True}
    assert api.get(f"/api/v1/invoices/{within.pk}/").json()["payment_terms"]["beyond"] is False


def test_the_terms_are_refused_to_roles_that_may_not_see_invoices(customer, make_invoice, users, client_for,
                                                                  api_for, make_user, today):
    invoice = make_invoice(customer)
    outsider = make_user("outsider")
    assert client_for(outsider).get(reverse("collection:invoice_detail", args=[invoice.pk])).status_code == 403
    assert api_for(outsider).get(f"/api/v1/invoices/{invoice.pk}/").status_code == 403
    # another portfolio's relationship manager does not see the invoice at all
    assert api_for(users["rm2"]).get(f"/api/v1/invoices/{invoice.pk}/").status_code == 404
