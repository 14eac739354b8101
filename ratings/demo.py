"""Demo ratings for ``manage.py load_demo`` (the master scale and the corporate model come from migration
0002). Through the services: ``analyst`` rates, ``analyst`` and ``analyst2`` score the qualitative factors
as the two experts (Delphi: two experts per factor), so neither may approve: ``approver2`` approves
(four-eyes); one rating with an override approved by ``approver1``; one left submitted so the work queue
has something. Idempotent.

Adds ``context["ratings"]``: {customer key: Rating} of the ratings made here.
"""
import logging

from creditportal.core.errors import ServiceError

from . import services
from .models import Rating

log = logging.getLogger(__name__)

COMPETITOR_SHARE = {
    "huadong_parent": "ours_only", "huadong_cement": "ours_main", "huadong_logistics": "ours_main",
    "jinghua_tech": "ours_only", "lingnan_food": "ours_main", "xibei_energy": "half",
    "haixin_trade": "half", "pacific_parts": "ours_main",
}
# Expert scores (analyst, analyst2) for management, market position, industry outlook, legal and compliance.
EXPERT_SCORES = {
    "huadong_parent": ((5, 4), (5, 5), (3, 4), (5, 5)),
    "huadong_cement": ((4, 4), (4, 5), (3, 3), (5, 4)),
    "huadong_logistics": ((3, 4), (3, 3), (3, 3), (4, 4)),
    "jinghua_tech": ((4, 5), (3, 4), (5, 4), (4, 4)),
    "lingnan_food": ((4, 4), (4, 4), (4, 3), (5, 5)),
    "xibei_energy": ((2, 3), (3, 3), (2, 2), (3, 4)),
    "haixin_trade": ((3, 3), (2, 3), (3, 3), (3, 4)),
    "pacific_parts": ((4, 3), (3, 3), (3, 3), (4, 4)),
}
QUALITATIVE = ["management", "market_position", "industry_outlook", "legal_compliance"]
LEAVE_SUBMITTED = {"haixin_trade"}
DEMO_RATIONALE = ("经营稳定，财务指标处于行业中位水平，付款记录良好；主要风险为行业周期与客户集中度，"
                  "由稳定的现金流和较低的杠杆缓释。")
OVERRIDE = {"xibei_energy": (-1, "Parent guarantee withdrawn in 2025; the model does not see it yet.")}


def _rate(key, customer, users):
    analyst, analyst2 = users["analyst"], users["analyst2"]
    existing = Rating.objects.filter(customer=customer).exclude(state__in=["rejected", "superseded"]).first()
    if existing is not None:
        return existing
    manager = customer.relationship_manager
    services.behaviour_input_set(actor=manager, customer=customer, competitor_share=COMPETITOR_SHARE.get(key, "ours_main"))
    rating = services.rating_start(actor=analyst, customer=customer)
    for code, (first, second) in zip(QUALITATIVE, EXPERT_SCORES.get(key, ((3, 3),) * 4)):
        services.expert_score_set(actor=analyst, rating=rating, factor_code=code, score=first,
                                  comment="Demo: site visit and management interview")
        services.expert_score_set(actor=analyst2, rating=rating, factor_code=code, score=second)
    rating.refresh_from_db()
    approver = users["approver2"]  # the two analysts are the experts, so among the rating's makers
    if key in OVERRIDE:
        from .engine.scale import Scale

        notches, reason = OVERRIDE[key]
        target = Scale.from_dict(rating.model_definition["scale"]).shift(rating.model_grade, notches)
        if target is not None:
            rating = services.rating_override(actor=analyst, rating=rating, grade=target.code, reason=reason)
            approver = users["approver1"]
    rating = services.rating_submit(actor=analyst, rating=rating, rationale=DEMO_RATIONALE)
    if key not in LEAVE_SUBMITTED and not rating.is_overridden:
        rating = services.rating_approve(actor=approver, rating=rating, note="Demo approval")
    # An overridden grade is an amount-based decision: approver1 approves it once the credit demo has given
    # them their place in the authority matrix (``approve_overrides`` below, called by credit's demo).
    return rating


def approve_overrides(context):
    """Approve the demo's submitted overridden ratings as ``approver1`` (called once the authority matrix exists)."""
    users = context["users"]
    for key, rating in list((context.get("ratings") or {}).items()):
        if key in LEAVE_SUBMITTED or rating is None or not rating.is_overridden or rating.state != "submitted":
            continue
        try:
            context["ratings"][key] = services.rating_approve(actor=users["approver1"], rating=rating,
                                                              note="Demo approval")
        except ServiceError as error:
            log.warning("demo override for %s not approved: %s", key, error.message)


def load(context):
    users = context["users"]
    made = {}
    for key, customer in (context.get("customers") or {}).items():
        try:
            made[key] = _rate(key, customer, users)
        except ServiceError as error:  # e.g. stale statements under a pinned business date: leave it as a draft
            log.warning("demo rating for %s not completed: %s", key, error.message)
    context["ratings"] = made
    return context
