"""Who hears about a rating, and in whose language."""
import pytest

from accounts.models import Notification
from accounts.services import preference_set_language
from ratings import services

pytestmark = pytest.mark.django_db


def _recipients(rating):
    return set(Notification.objects.filter(url__endswith=f"/ratings/{rating.pk}/")
               .values_list("recipient__username", flat=True))


def test_plain_rating_submitted_notifies_the_other_analysts(users, scored_rating):
    rating = scored_rating()
    services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    assert _recipients(rating) == {"analyst2"}


def test_overridden_rating_submitted_notifies_the_approvers_not_the_analysts(users, scored_rating):
    from ratings.engine import Scale

    rating = scored_rating()
    other = Scale.default().shift(rating.model_grade, -1).code
    services.rating_override(actor=users["analyst"], rating=rating, grade=other, reason="Weak parent")
    services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    # analyst2 may not approve an override (approver group only): the approvers are told, not analyst2
    assert _recipients(rating) == {"approver1", "approver2", "approver3"}


def test_rejection_is_notified_in_the_makers_language(users, scored_rating):
    rating = scored_rating()
    preference_set_language(actor=users["analyst"], language="zh-hans")
    services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    services.rating_reject(actor=users["analyst2"], rating=rating, reason="Wrong customer")  # analyst2 reads English
    title = Notification.objects.get(recipient=users["analyst"]).title
    assert "rejected" not in title and rating.customer.name in title
