"""What the rating pages show a person: labels instead of snapshot keys, the override's reason, the PD."""
import datetime as dt

import pytest
from django.urls import reverse

from customers.models import NegativeRecord
from ratings import services

pytestmark = pytest.mark.django_db


def _page(client, name, pk, language="en"):
    response = client.get(reverse(name, args=[pk]), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("language, label, margin", [("en", "Current ratio", "7.50%"), ("zh-hans", "流动比率", "7.50%")])
def test_start_page_shows_ratio_labels_and_formatted_values(users, make_customer, client_for, language, label, margin):
    customer = make_customer()  # "good": net margin 1500 / 20000 = 7.5 %, current ratio 6000 / 2500 = 2.40
    page = _page(client_for(users["analyst"]), "ratings:rating_start", customer.pk, language)
    assert label in page and margin in page and "2.40" in page
    for key in ("current_ratio", "net_margin", "ocf_to_current_liabilities", "receivable_days"):
        assert f">{key}<" not in page


def test_detail_page_inputs_in_chinese_have_no_snapshot_keys(users, scored_rating, client_for, today):
    NegativeRecord.objects.create(customer=scored_rating().customer, kind="litigation",
                                  occurred_on=dt.date(2026, 1, 5), source="Court", recorded_by=users["rm"])
    customer = NegativeRecord.objects.get().customer
    rating = services.rating_refresh_inputs(actor=users["analyst"], rating=customer.ratings.get())
    page = _page(client_for(users["analyst"]), "ratings:rating_detail", rating.pk, "zh-hans")
    assert "资产负债率" in page and ">debt_to_assets<" not in page
    assert "诉讼" in page and "· litigation ·" not in page          # the record's kind, not its code
    assert "<strong>n/a</strong>" not in page and "<strong>不适用</strong>" in page  # no payment history
    assert ">medium<" not in page and "中型" in page                # the size factor's value


def test_rating_page_shows_the_override_and_its_reason_to_the_checker(users, scored_rating, client_for):
    from ratings.engine import Scale

    rating = scored_rating()
    other = Scale.default().shift(rating.model_grade, -1).code
    services.rating_override(actor=users["analyst"], rating=rating, grade=other, reason="Parent guarantee lapsed")
    services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    page = _page(client_for(users["approver1"]), "ratings:rating_detail", rating.pk)
    assert "Parent guarantee lapsed" in page
    assert f"Grade overridden from {rating.model_grade} to {other} by analyst" in page


def test_probability_of_default_is_a_percentage(users, scored_rating, client_for):
    rating = scored_rating()
    page = _page(client_for(users["analyst"]), "ratings:rating_detail", rating.pk)
    percent = f"{(rating.pd * 100).quantize(rating.pd.__class__('0.01'))}%"
    assert f"PD {percent})" in page and f"PD {rating.pd})" not in page


def test_behaviour_inputs_show_a_percentage_and_the_answer_in_words(users, make_customer, client_for):
    customer = make_customer()

    from .fakes import invoice, provider

    # 960 received on time of 1000 due; the 40 still open is due on the window's last day (30 days ago)
    with provider({customer.pk: ([invoice(1, "2026-03-01", "960", ("2026-03-01", "960")),
                                  invoice(2, "2026-05-31", "40")], [])}):
        services.behaviour_input_set(actor=users["rm"], customer=customer, competitor_share="ours_main")
        page = _page(client_for(users["analyst"]), "ratings:rating_start", customer.pk, "zh-hans")
    assert "96.00%" in page and "0.9600" not in page
    assert "以我方产品为主" in page and "ours_main" not in page


def test_a_proposal_shows_the_expert_scores_it_carries_over(users, approved_rating, client_for):
    """A proposal of the nightly batch keeps the experts' last scores in its snapshot: the page said "not scored"
    next to their mean."""
    import datetime as dt

    from customers.models import FinancialStatement
    from ratings.models import RatingState

    from .conftest import STATEMENTS

    rating = approved_rating()  # every qualitative factor scored 4 by the analyst
    FinancialStatement.objects.create(customer=rating.customer, period_end=dt.date(2026, 3, 31),
                                      period_type="interim", created_by=users["rm"], **STATEMENTS["weak"])
    proposal = services.rating_recheck(customer_id=rating.customer_id)
    # the experts' score rows come with the proposal: those experts are among its makers
    assert proposal.state == RatingState.PROPOSED and proposal.expert_scores.count() == 8
    page = _page(client_for(users["analyst"]), "ratings:rating_detail", proposal.pk)
    # the experts' own scores are shown by name (their rows came with the proposal)
    assert page.count("analyst: 4") == 4 and page.count("expert2: 4") == 4 and "not scored" not in page


def test_model_page_names_the_factor_groups(users, client_for):
    """The factor group column was headed 集团 (a group of companies) and listed codes (capacity, capital)."""
    from ratings.models import RatingModel

    model = RatingModel.objects.get(code="corporate", state="active")
    page = _page(client_for(users["approver1"]), "ratings:model_detail", model.pk, "zh-hans")
    assert "因素分组" in page and ">集团<" not in page
    assert "能力（Capacity）" in page and "<td>capacity</td>" not in page


def test_one_expert_is_singular(users, make_customer, client_for):
    rating = services.rating_start(actor=users["analyst"], customer=make_customer())
    services.expert_score_set(actor=users["analyst"], rating=rating, factor_code="management", score=4)
    page = _page(client_for(users["analyst"]), "ratings:rating_detail", rating.pk)
    assert "1 expert, spread 0" in page and "1 experts" not in page
    assert "1 位专家，极差 0" in _page(client_for(users["analyst"]), "ratings:rating_detail", rating.pk, "zh-hans")


def test_a_score_or_override_on_a_rating_approved_meanwhile_says_why(users, scored_rating, client_for):
    """The score and override forms of a rating that someone approved in the meantime came back as a 400 page
    without a word (the forms, which would hold the error, are not shown on an approved rating)."""
    rating = scored_rating()
    services.rating_submit(actor=users["analyst"], rating=rating, rationale="经营稳定 / stable business")
    services.rating_approve(actor=users["analyst2"], rating=rating)
    client = client_for(users["analyst"])
    for name, data in (("ratings:rating_score", {"factor_code": "management", "score": "2"}),
                       ("ratings:rating_override", {"grade": "D", "reason": "late"})):
        response = client.post(reverse(name, args=[rating.pk]), data, follow=True)
        page = response.content.decode()
        assert response.redirect_chain and "alert-danger" in page and "can no longer be changed" in page
    rating.refresh_from_db()
    assert rating.override_grade == "" and not rating.expert_scores.filter(score=2).exists()


@pytest.mark.parametrize("language, meaning", [("en", "Heavy losses or insolvent; credit sales are not advised."),
                                               ("zh-hans", "严重亏损或资不抵债，不建议赊销。")])
def test_the_rating_page_says_what_the_grade_means(users, make_customer, client_for, language, meaning):
    from .fakes import invoice, provider

    customer = make_customer()
    with provider({customer.pk: ([invoice(1, "2026-03-24", "1000")], [])}):  # 98 days unpaid → D
        rating = services.rating_start(actor=users["analyst"], customer=customer)
    assert rating.grade == "D"
    page = _page(client_for(users["analyst"]), "ratings:rating_detail", rating.pk, language)
    assert meaning in page and 'id="completeness"' in page
