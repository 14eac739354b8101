"""Two checkers approving one rating at once: exactly one transition, the other gets a conflict."""
import threading

import pytest
from django.db import connection

from ratings import services
from ratings.models import Rating, RatingState


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_once_give_one_approval(users, scored_rating):
    rating = scored_rating()
    services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    outcomes = []
    barrier = threading.Barrier(2)

    def approve(user):
        try:
            barrier.wait()
            services.rating_approve(actor=user, rating=Rating.objects.get(pk=rating.pk))
            outcomes.append("ok")
        except Exception as exc:  # noqa: BLE001
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(users[name],)) for name in ("analyst2", "approver1")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["Conflict", "ok"]
    assert Rating.objects.get(pk=rating.pk).state == RatingState.APPROVED
