"""Credit with the real neighbours: the ratings app's current rating, the customer page's Credit tab,
the application page's query count."""
import datetime as dt
from decimal import Decimal as D

import pytest

from tests.monitoring.test_customer_header import HEADER_QUERIES  # the customer header on the page
from django.urls import reverse

from credit import services
from credit.models import CreditApplication

pytestmark = pytest.mark.django_db


def _approved_rating(customer, user, grade="A", review_due=dt.date(2027, 1, 1)):
    from ratings.models import Rating, RatingModel, RatingScale

    scale = RatingScale.objects.first() or RatingScale.objects.create(name="master", is_master=True)
    model = RatingModel.objects.first() or RatingModel.objects.create(code="t", name="t", scale=scale, created_by=user)
    return Rating.objects.create(
        customer=customer, model=model, state="approved", model_definition={}, inputs={}, inputs_sha256="0" * 64,
        quantitative_sha256="0" * 64, result={}, score=D("80"), model_grade=grade, grade=grade, letter=grade[0],
        pd=D("0.001"), created_by=user, review_due=review_due)


def test_submission_uses_the_real_current_rating(users, matrix, policy, fx, make_customer):
    customer = make_customer("真实评级客户")
    rating = _approved_rating(customer, users["analyst"])
    app = services.application_create(actor=users["rm"], customer=customer, amount="1000000", currency="CNY",
                                      term_months=12, purpose="Stock")
    app = services.application_submit(actor=users["rm"], application=app)
    assert app.rating == rating and app.rating_grade == "A"


def test_an_expired_real_rating_blocks(users, matrix, policy, fx, make_customer):
    from creditportal.core.errors import ValidationFailed

    customer = make_customer("过期评级客户")
    _approved_rating(customer, users["analyst"], review_due=dt.date(2026, 1, 1))
    app = services.application_create(actor=users["rm"], customer=customer, amount="1000000", currency="CNY",
                                      term_months=12, purpose="Stock")
    with pytest.raises(ValidationFailed, match="rating"):
        services.application_submit(actor=users["rm"], application=app)


def test_customer_page_has_a_credit_tab(setup, client_for, new_application):
    new_application()
    page = client_for(setup.users["rm"]).get(reverse("customers:customer_detail", args=[setup.customer.pk]),
                                            {"tab": "credit"})
    assert page.status_code == 200
    assert reverse("credit:application_create") in page.content.decode()


def test_application_page_query_count_does_not_grow(setup, client_for, new_application, to_pending,
                                                    django_assert_max_num_queries):
    app = to_pending(new_application(collaterals=[
        {"kind": "deposit", "market_value": "100", "currency": "USD", "haircut": "0"} for _ in range(5)]))
    client = client_for(setup.users["approver1"])
    client.get(reverse("credit:application_detail", args=[app.pk]))
    with django_assert_max_num_queries(40 + HEADER_QUERIES):
        assert client.get(reverse("credit:application_detail", args=[app.pk])).status_code == 200
    assert CreditApplication.objects.count() == 1
