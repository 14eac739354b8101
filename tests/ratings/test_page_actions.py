"""The buttons of the rating pages come from the selectors (``model_actions``, ``start_options``), which follow
the services' rules: a draft's maker cannot activate it, an active version is retired, a customer with a
rating in progress is continued, not started again."""
import pytest
from django.urls import reverse

from ratings import selectors, services
from ratings.models import RatingModel

pytestmark = pytest.mark.django_db


def test_model_actions_follow_four_eyes_and_the_state(users):
    active = RatingModel.objects.get(code="corporate", state="active")
    draft = services.model_new_version(actor=users["riskadmin"], model=active)

    maker = selectors.model_actions(users["riskadmin"], draft)
    assert maker["edit"] and maker["add_factor"] and maker["change_factor"] and maker["delete_factor"]
    assert not maker["activate"] and not maker["retire"]
    checker = selectors.model_actions(users["approver1"], draft)
    assert checker["activate"] and not checker["edit"] and not checker["retire"]
    on_active = selectors.model_actions(users["approver1"], active)
    assert on_active["retire"] and not on_active["activate"] and not on_active["edit"]
    assert not selectors.model_actions(users["riskadmin"], active)["add_factor"]


def test_model_page_shows_activate_to_the_checker_only(users, client_for):
    draft = services.model_new_version(actor=users["riskadmin"],
                                       model=RatingModel.objects.get(code="corporate", state="active"))
    url = reverse("ratings:model_detail", args=[draft.pk])
    activate = reverse("ratings:model_activate", args=[draft.pk])
    assert activate not in client_for(users["riskadmin"]).get(url).content.decode()
    assert activate in client_for(users["approver1"]).get(url).content.decode()


def test_start_page_offers_start_or_continue(users, make_customer, client_for):
    customer = make_customer()
    options = selectors.start_options(users["analyst"], customer)
    assert options["model"] is not None and options["open_rating"] is None and options["may_start"]
    assert not selectors.start_options(users["rm"], customer)["may_start"]  # no ratings.add_rating

    url = reverse("ratings:rating_start", args=[customer.pk])
    assert "Start the rating" in client_for(users["analyst"]).get(url).content.decode()
    rating = services.rating_start(actor=users["analyst"], customer=customer)
    options = selectors.start_options(users["analyst"], customer)
    assert options["open_rating"] == rating and not options["may_start"]
    page = client_for(users["analyst"]).get(url).content.decode()
    assert "Start the rating" not in page and "Continue the rating in progress" in page
