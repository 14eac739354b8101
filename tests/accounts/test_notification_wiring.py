"""Notifications are sent where work lands in someone's queue or their item is decided (issue 9): credit
applications (analysts on submit, the approvers of the pending level, the maker on the decision), ratings
(the other analysts on submit, the maker on the decision) and broken promises (the case's collector)."""
import datetime as dt

import pytest
from django.utils import translation

from accounts.models import Notification
from creditportal.core import clock
from tests.credit.conftest import (  # noqa: F401
    customer, fx, make_customer, matrix, new_application, policy, ratings_stub, setup, to_pending,
)
from tests.ratings.conftest import QUALITATIVE, STATEMENTS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_and_date(users):
    """Everyone here chose English (notifications follow the recipient's language, default Chinese)."""
    from accounts.models import UserPreference

    UserPreference.objects.bulk_create([UserPreference(user=u, language="en") for u in users.values()])
    clock.set_today(dt.date(2026, 6, 15))
    with translation.override("en"):
        yield


def inbox(user):
    return list(Notification.objects.filter(recipient=user).order_by("pk").values_list("title", "url"))


def clear():
    Notification.objects.all().delete()


def test_application_queue_and_decision_notifications(users, new_application, to_pending, mailoutbox,
                                                      django_capture_on_commit_callbacks):
    from credit import services

    users["approver2"].email = "a2@example.cn"
    users["approver2"].save()
    app = new_application(amount="8000000")  # over level 1's 5m: needs two levels
    url = f"/credit/applications/{app.pk}/"
    app = services.application_submit(actor=users["rm"], application=app)
    assert inbox(users["analyst"]) == [(f"Credit application {app.pk} awaits review", url)]
    assert inbox(users["analyst2"]) and not inbox(users["rm"]) and not inbox(users["approver1"])
    clear()
    app = services.application_start_review(actor=users["analyst"], application=app)
    assert not Notification.objects.exists()
    app = services.application_recommend(actor=users["analyst"], application=app, opinion="Fine.")
    assert app.required_levels == 2 and app.current_level == 1
    assert inbox(users["approver1"]) == [(f"Credit application {app.pk} awaits your approval (level 1)", url)]
    assert not inbox(users["approver2"]) and not inbox(users["approver3"]) and not inbox(users["analyst"])
    clear()
    with django_capture_on_commit_callbacks(execute=True):
        app = services.application_approve(actor=users["approver1"], application=app)
    assert inbox(users["approver2"]) == [(f"Credit application {app.pk} awaits your approval (level 2)", url)]
    assert not inbox(users["approver1"]) and not inbox(users["rm"])
    assert [m.to for m in mailoutbox] == [["a2@example.cn"]]
    clear()
    app = services.application_return(actor=users["approver2"], application=app, reason="Add the collateral.")
    assert inbox(users["rm"]) == [(f"Credit application {app.pk} is returned to you", url)]
    clear()
    app = services.application_submit(actor=users["rm"], application=app)
    app = services.application_start_review(actor=users["analyst"], application=app)
    app = services.application_recommend(actor=users["analyst"], application=app, opinion="Fine.")
    app = services.application_approve(actor=users["approver1"], application=app)
    clear()
    services.application_approve(actor=users["approver2"], application=app)
    assert inbox(users["rm"]) == [(f"Credit application {app.pk} is approved", url)]
    assert Notification.objects.count() == 1


def test_rejected_application_tells_its_maker(users, new_application, to_pending):
    from credit import services

    app = to_pending(new_application())
    clear()
    services.application_reject(actor=users["approver1"], application=app, comment="Too risky.")
    assert inbox(users["rm"]) == [(f"Credit application {app.pk} is rejected", f"/credit/applications/{app.pk}/")]
    assert Notification.objects.count() == 1


@pytest.fixture
def scored_rating(users):
    """A draft rating with every expert score, on a customer with one statement."""
    from customers.models import Customer, FinancialStatement
    from ratings import services

    from importlib import import_module

    from django.apps import apps

    from accounts.system import system_user
    from ratings.models import RatingModel

    if not RatingModel.objects.filter(code="corporate").exists():  # a transactional test before flushed it
        system_user()
        import_module("ratings.migrations.0002_default_scale_and_model").load(apps, None)
    clock.set_today(dt.date(2026, 6, 30))
    counter = {"n": 0}

    def make():
        counter["n"] += 1
        customer = Customer.objects.create(
            name=f"Rated {counter['n']}", is_foreign=True, registration_number=f"RW{counter['n']:04d}", country="HK",
            industry_section="C", size="medium", relationship_manager=users["rm"], status="active")
        FinancialStatement.objects.create(customer=customer, period_end=dt.date(2025, 12, 31), created_by=users["rm"],
                                          **STATEMENTS["good"])
        rating = services.rating_start(actor=users["analyst"], customer=customer)
        from django.contrib.auth import get_user_model

        from creditportal.core import access

        second = get_user_model().objects.filter(username="expert2").first()
        if second is None:  # the second expert (Delphi minimum 2), neither maker nor checker
            from django.contrib.auth.models import Group

            second = get_user_model().objects.create_user(username="expert2", password="Secret-pass-123")
            second.groups.add(Group.objects.get(name=access.CREDIT_ANALYST))
        for code in QUALITATIVE:
            services.expert_score_set(actor=users["analyst"], rating=rating, factor_code=code, score=4)
            services.expert_score_set(actor=second, rating=rating, factor_code=code, score=4)
        rating.refresh_from_db()
        return rating

    return make


def test_rating_submit_and_decisions(users, scored_rating):
    from ratings import services

    rating = scored_rating()
    url = f"/ratings/{rating.pk}/"
    rating = services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    name = str(rating.customer)
    assert inbox(users["analyst2"]) == [(f"Rating of {name} awaits your approval", url)]
    assert not inbox(users["analyst"]) and not inbox(users["rm"])
    clear()
    rating = services.rating_return(actor=users["analyst2"], rating=rating, reason="Check the market score.")
    assert inbox(users["analyst"]) == [(f"Your rating of {name} is returned to you", url)]
    clear()
    rating = services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    clear()
    services.rating_approve(actor=users["analyst2"], rating=rating)
    assert inbox(users["analyst"]) == [(f"Your rating of {name} is approved", url)]
    assert Notification.objects.count() == 1

    other = scored_rating()
    other = services.rating_submit(actor=users["analyst"], rating=other, rationale="经营稳定 / stable business")
    clear()
    services.rating_reject(actor=users["analyst2"], rating=other, reason="Wrong statements.")
    assert inbox(users["analyst"]) == [(f"Your rating of {other.customer} is rejected", f"/ratings/{other.pk}/")]


def test_broken_promise_tells_the_collector(users, mailoutbox, django_capture_on_commit_callbacks):
    from collection import services
    from customers.models import Customer

    collection_customer = Customer.objects.create(
        name="华东机械有限公司", is_foreign=True, registration_number="REGX1", industry_section="C", size="medium",
        relationship_manager=users["rm"], status="active")

    users["collector"].email = "collector@example.cn"
    users["collector"].save()
    clock.set_today(dt.date(2026, 6, 30))
    services.invoice_create(actor=users["rm"], customer=collection_customer, number="INV-1",
                            issue_date=dt.date(2026, 4, 21), due_date=dt.date(2026, 5, 21), amount="1000.00",
                            currency="CNY")
    case = services.case_open(actor=users["collector"], customer=collection_customer)
    services.promise_add(actor=users["collector"], case=case, promised_date=dt.date(2026, 7, 2), amount="1000.00")
    clear()
    clock.set_today(dt.date(2026, 7, 3))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.promises_evaluate(as_of=dt.date(2026, 7, 3))["broken"] == 1
    assert inbox(users["collector"]) == [(f"Broken promise to pay: {collection_customer}",
                                          f"/collection/cases/{case.pk}/")]
    assert [m.to for m in mailoutbox] == [["collector@example.cn"]]
    from accounts.models import Notification

    body = Notification.objects.get(recipient=users["collector"]).body
    assert "CNY 1,000.00 by 2026-07-02" in body, body
