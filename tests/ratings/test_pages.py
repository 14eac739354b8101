"""Rating pages: rendering, buttons only when allowed, four-eyes and refusals through the pages."""
import pytest

from tests.monitoring.test_customer_header import HEADER_QUERIES  # the customer header on the page
from django.urls import reverse

from ratings.models import Rating, RatingBatch, RatingModel, RatingState

pytestmark = pytest.mark.django_db


def test_start_page_shows_inputs_and_starts(users, make_customer, client_for):
    customer = make_customer()
    client = client_for(users["analyst"])
    page = client.get(reverse("ratings:rating_start", args=[customer.pk]))
    assert page.status_code == 200 and b"Current ratio" in page.content and b"not available" in page.content
    response = client.post(reverse("ratings:rating_start", args=[customer.pk]))
    rating = Rating.objects.get(customer=customer)
    assert response.status_code == 302 and response["Location"] == reverse("ratings:rating_detail", args=[rating.pk])
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert b"To move one notch up" in detail.content and b"Submit for approval" in detail.content


def test_expert_score_and_override_forms(users, scored_rating, client_for):
    rating = scored_rating()
    client = client_for(users["analyst2"])
    ok = client.post(reverse("ratings:rating_score", args=[rating.pk]),
                     {"factor_code": "management", "score": "2", "comment": "new CFO"})
    assert ok.status_code == 302
    assert rating.expert_scores.filter(expert=users["analyst2"]).count() == 1
    no_reason = client.post(reverse("ratings:rating_override", args=[rating.pk]), {"grade": "D", "reason": ""})
    assert no_reason.status_code == 400 and "reason" in no_reason.content.decode().lower()
    rating.refresh_from_db()
    assert not rating.override_grade


def test_self_approval_refused_on_the_page(users, scored_rating, client_for):
    rating = scored_rating()
    client = client_for(users["analyst"])
    client.post(reverse("ratings:rating_submit", args=[rating.pk]), {"rationale": ""})
    rating.refresh_from_db()
    assert rating.state == RatingState.DRAFT  # the rationale is required on submit
    client.post(reverse("ratings:rating_submit", args=[rating.pk]), {"rationale": "现金流稳定"})
    rating.refresh_from_db()
    assert rating.state == RatingState.SUBMITTED and rating.rationale == "现金流稳定"
    page = client.get(reverse("ratings:rating_detail", args=[rating.pk]))
    assert b"ratings/%d/approve/" % rating.pk not in page.content  # no approve button for the maker
    response = client.post(reverse("ratings:rating_approve", args=[rating.pk]), follow=True,
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "alert-danger" in response.content.decode()
    rating.refresh_from_db()
    assert rating.state == RatingState.SUBMITTED
    other = client_for(users["analyst2"])
    page = other.get(reverse("ratings:rating_detail", args=[rating.pk]))
    assert b"/approve/" in page.content
    other.post(reverse("ratings:rating_approve", args=[rating.pk]))
    rating.refresh_from_db()
    assert rating.state == RatingState.APPROVED


def test_auditor_sees_pages_but_every_write_is_refused(users, scored_rating, client_for, make_customer):
    rating = scored_rating()
    client = client_for(users["auditor"])
    for name, args in [("ratings:work_queue", []), ("ratings:rating_list", []), ("ratings:rating_detail", [rating.pk]),
                       ("ratings:customer_history", [rating.customer_id]), ("ratings:model_list", []),
                       ("ratings:scale_list", []), ("ratings:batch_list", [])]:
        assert client.get(reverse(name, args=args)).status_code == 200, name
    page = client.get(reverse("ratings:rating_detail", args=[rating.pk])).content
    assert b"Submit for approval" not in page and b"Save score" not in page
    model = RatingModel.objects.get(code="corporate", state="active")
    for name, args in [("ratings:rating_start", [rating.customer_id]), ("ratings:rating_submit", [rating.pk]),
                       ("ratings:rating_approve", [rating.pk]), ("ratings:rating_return", [rating.pk]),
                       ("ratings:rating_score", [rating.pk]), ("ratings:rating_override", [rating.pk]),
                       ("ratings:rating_refresh", [rating.pk]), ("ratings:model_new_version", [model.pk]),
                       ("ratings:model_activate", [model.pk]), ("ratings:policy", []),
                       ("ratings:behaviour_input", [rating.customer_id]), ("ratings:batch_list", [])]:
        assert client.post(reverse(name, args=args), {"reason": "x", "grade": "D"}).status_code == 403, name
    client.post(reverse("ratings:rating_reject", args=[rating.pk]), {"reason": "x"})
    rating.refresh_from_db()
    assert rating.state == RatingState.DRAFT


def test_history_page_has_the_chart(users, approved_rating, client_for):
    rating = approved_rating()
    page = client_for(users["rm"]).get(reverse("ratings:customer_history", args=[rating.customer_id]))
    assert page.status_code == 200
    assert b"chart.umd.min.js" in page.content and b"grade-chart-data" in page.content


def test_configuration_pages_for_the_risk_admin(users, client_for):
    client = client_for(users["riskadmin"])
    model = RatingModel.objects.get(code="corporate", state="active")
    assert client.get(reverse("ratings:model_detail", args=[model.pk])).status_code == 200
    scale = model.scale
    assert client.get(reverse("ratings:scale_edit", args=[scale.pk])).status_code == 200
    assert client.get(reverse("ratings:policy")).status_code == 200
    response = client.post(reverse("ratings:model_new_version", args=[model.pk]))
    copy = RatingModel.objects.get(code="corporate", version=model.version + 1)
    assert response.status_code == 302 and copy.state == "draft"
    assert client.get(reverse("ratings:factor_edit", args=[copy.pk, copy.factors.first().pk])).status_code == 200
    # the active scale cannot be changed
    data = {"name": "x", "grades-TOTAL_FORMS": "1", "grades-INITIAL_FORMS": "0", "grades-MIN_NUM_FORMS": "1",
            "grades-MAX_NUM_FORMS": "1000", "grades-0-code": "A", "grades-0-letter": "A", "grades-0-min_score": "0",
            "grades-0-max_score": "100", "grades-0-pd": "0.01"}
    assert client.post(reverse("ratings:scale_edit", args=[scale.pk]), data).status_code == 400


def test_batch_page_progress(users, client_for):
    client = client_for(users["riskadmin"])
    response = client.post(reverse("ratings:batch_list"))
    batch = RatingBatch.objects.get()
    assert response.status_code == 302
    page = client.get(reverse("ratings:batch_detail", args=[batch.pk]))
    assert b"progress-bar" in page.content and b"hx-trigger" in page.content
    partial = client.get(reverse("ratings:batch_detail", args=[batch.pk]), HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b"progress-bar" in partial.content


def test_work_queue_and_home_panels(users, scored_rating, client_for):
    rating = scored_rating()
    from ratings import services
    services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    page = client_for(users["analyst2"]).get(reverse("ratings:work_queue"))
    assert rating.customer.name.encode() in page.content
    home = client_for(users["analyst2"]).get("/")
    assert "Ratings awaiting my approval" in home.content.decode()


def test_detail_page_query_count(users, scored_rating, client_for, django_assert_max_num_queries):
    rating = scored_rating()
    client = client_for(users["analyst2"])
    client.get(reverse("ratings:rating_detail", args=[rating.pk]))
    with django_assert_max_num_queries(25 + HEADER_QUERIES):
        assert client.get(reverse("ratings:rating_detail", args=[rating.pk])).status_code == 200


def test_ratings_tab_on_the_customer_page(users, approved_rating, client_for):
    rating = approved_rating()
    page = client_for(users["rm"]).get(reverse("customers:customer_detail", args=[rating.customer_id]) + "?tab=ratings")
    assert page.status_code == 200
    assert reverse("ratings:rating_detail", args=[rating.pk]).encode() in page.content


def test_pages_in_chinese(users, scored_rating, client_for):
    rating = scored_rating()
    client = client_for(users["analyst"])
    page = client.get(reverse("ratings:rating_detail", args=[rating.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "结果与解释" in page.content.decode()


def test_proposed_rating_page_offers_submit_and_dismiss(users, approved_rating, client_for):
    import datetime as dt

    from customers.models import FinancialStatement
    from ratings import services

    from .conftest import STATEMENTS

    rating = approved_rating()
    FinancialStatement.objects.create(customer=rating.customer, period_end=dt.date(2026, 3, 31),
                                      period_type="interim", created_by=users["rm"], **STATEMENTS["weak"])
    proposal = services.rating_recheck(customer_id=rating.customer_id)
    assert proposal is not None and proposal.state == RatingState.PROPOSED
    page = client_for(users["analyst"]).get(reverse("ratings:rating_detail", args=[proposal.pk])).content.decode()
    assert "Submit for approval" in page and reverse("ratings:rating_reject", args=[proposal.pk]) in page


def test_the_rating_page_keeps_every_steps_reason(users, scored_rating, client_for):
    """The rating stores only its latest decision note: a return's reason must still be readable on the page
    once the rating is resubmitted and approved with a note of its own."""
    from ratings import services

    rating = scored_rating()
    users["analyst2"].first_name, users["analyst2"].last_name = "Jing", "Chen"  # named by name, the login else
    users["analyst2"].save()
    services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    services.rating_return(actor=users["analyst2"], rating=rating, reason="Check the 2025 statement")
    services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    services.rating_approve(actor=users["analyst2"], rating=rating, note="Statement checked")
    page = client_for(users["auditor"]).get(reverse("ratings:rating_detail", args=[rating.pk]),
                                            HTTP_ACCEPT_LANGUAGE="en")
    steps = [(s["verb"], s["actor"], s["note"]) for s in page.context["workflow"]]
    assert steps == [("submit", "analyst", ""), ("return", "Jing Chen", "Check the 2025 statement"),
                     ("submit", "analyst", ""), ("approve", "Jing Chen", "Statement checked")]
    html = page.content.decode()
    assert "Check the 2025 statement" in html and "Returned to the maker" in html and "Statement checked" in html
    # percentage ratios of the scorecard as percentages (issue 21), as the inputs show them
    values = {f["code"]: f["value_label"] for f in page.context["factors"]}
    assert values["debt_to_assets"].endswith("%") and not str(values["current_ratio"]).endswith("%")


def test_the_shipped_model_reads_in_the_readers_language(users, scored_rating, client_for):
    """The default model's factor, cap and model names are English data (snapshots reproduce with them);
    a Chinese reader sees them translated, an English reader as they are, and a name a user wrote as written."""
    from ratings.models import RatingFactor

    rating = scored_rating()
    client = client_for(users["analyst"])
    url = reverse("ratings:rating_detail", args=[rating.pk])
    client.cookies["django_language"] = "zh-hans"
    zh = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "流动比率" in zh and "管理层素质" in zh and "企业客户评分卡" in zh
    assert ">Current ratio<" not in zh and "Management quality" not in zh
    client.cookies["django_language"] = "en"
    en = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">Current ratio<" in en and "流动比率" not in en

    model = rating.model
    model_page = reverse("ratings:model_detail", args=[model.pk])
    client.cookies["django_language"] = "zh-hans"
    assert "行为评价为 D（一票否决）" in client.get(model_page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    RatingFactor.objects.filter(model=model, code="current_ratio").update(name="流动性（自定义）")
    assert "流动性（自定义）" in client.get(model_page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
