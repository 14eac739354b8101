"""Issue 21: an expert scores every qualitative factor in one form; the rating's written rationale is required on
submit (page, API, service) and kept in the trail."""
import pytest
from django.urls import reverse

from creditportal.core.errors import ValidationFailed
from ratings import services
from ratings.models import ExpertScore, RatingState

pytestmark = pytest.mark.django_db

QUALITATIVE = ["management", "market_position", "industry_outlook", "legal_compliance"]


def test_one_form_scores_every_factor(users, make_customer, client_for):
    rating = services.rating_start(actor=users["analyst"], customer=make_customer())
    client = client_for(users["analyst2"])
    page = client.get(reverse("ratings:rating_detail", args=[rating.pk])).content.decode()
    for code in QUALITATIVE:
        assert f'name="score_{code}"' in page
    data = {f"score_{code}": "3" for code in QUALITATIVE}
    data["comment_management"] = "新任财务总监"
    response = client.post(reverse("ratings:rating_scores", args=[rating.pk]), data)
    assert response.status_code == 302
    mine = {s.factor_code: s for s in ExpertScore.objects.filter(rating=rating, expert=users["analyst2"])}
    assert set(mine) == set(QUALITATIVE) and mine["management"].comment == "新任财务总监"
    again = client.get(reverse("ratings:rating_detail", args=[rating.pk])).content.decode()
    assert '<option value="3" selected>' in again  # pre-filled with the expert's own scores


def test_bad_scores_save_nothing(users, make_customer, client_for):
    rating = services.rating_start(actor=users["analyst"], customer=make_customer())
    client = client_for(users["analyst2"])
    url = reverse("ratings:rating_scores", args=[rating.pk])
    assert client.post(url, {}).status_code == 400
    assert client.post(url, {"score_management": "4", "score_market_position": "9"}).status_code == 400
    assert client.post(url, {"comment_management": "no score"}).status_code == 400
    assert not ExpertScore.objects.filter(rating=rating).exists()
    assert client_for(users["auditor"]).post(url, {"score_management": "4"}).status_code == 403


def test_rationale_required_by_the_service(users, scored_rating):
    rating = scored_rating()
    with pytest.raises(ValidationFailed) as refused:
        services.rating_submit(actor=users["analyst"], rating=rating)
    assert "rationale" in refused.value.field_errors
    with pytest.raises(ValidationFailed):
        services.rating_submit(actor=users["analyst"], rating=rating, rationale="   ")
    with pytest.raises(ValidationFailed):
        services.rating_submit(actor=users["analyst"], rating=rating, rationale="x" * 4001)
    rating.refresh_from_db()
    assert rating.state == RatingState.DRAFT and rating.rationale == ""
    submitted = services.rating_submit(actor=users["analyst"], rating=rating, rationale="现金流稳定，杠杆较低。")
    assert submitted.state == RatingState.SUBMITTED and submitted.rationale == "现金流稳定，杠杆较低。"
    from audit.models import AuditEvent

    event = AuditEvent.objects.filter(object_type="ratings.rating", object_id=str(rating.pk), verb="submit").get()
    assert event.after["rationale"] == "现金流稳定，杠杆较低。" and event.before["rationale"] == ""


def test_rationale_field_on_the_page(users, scored_rating, client_for):
    rating = scored_rating()
    client = client_for(users["analyst"])
    page = client.get(reverse("ratings:rating_detail", args=[rating.pk])).content.decode()
    assert 'name="rationale"' in page and "required" in page
    client.post(reverse("ratings:rating_submit", args=[rating.pk]), {"rationale": "付款及时"})
    html = client.get(reverse("ratings:rating_detail", args=[rating.pk])).content.decode()
    assert "付款及时" in html
