"""Demo credit data for ``manage.py load_demo``, through the services. Idempotent.

* a credit policy in force (made by ``riskadmin``, put in force by ``approver1``: four-eyes), with payment terms,
  deposits and limit sizing by grade;
* a three-level authority matrix: level 1 up to CNY 5m (``approver1``), level 2 up to 20m (``approver2``),
  level 3 without upper limit (``approver3``); a group limit for the 华东 group;
* applications in several states and open facilities for the demo customers with an approved rating.

Adds ``context["facilities"]``: {customer key: Facility} of the facilities opened here.
"""
import datetime as dt
import logging
from decimal import Decimal

from creditportal.core import clock
from creditportal.core.errors import ServiceError

from . import selectors, services
from .providers import decision_warnings
from .models import ApproverAuthority, AuthorityLevel, CreditApplication, CreditPolicy, Facility, GroupLimit, Order

log = logging.getLogger(__name__)
M = Decimal("1000000")

POLICY_RULES = [
    # grade, max limit (CNY), share of equity, max term, coverage, spread (bp), review months
    ("AAA", 200 * M, "1.0", 60, None, 40, 12), ("AA", 150 * M, "0.8", 48, None, 60, 12),
    ("A", 100 * M, "0.6", 36, None, 80, 12), ("BBB", 50 * M, "0.5", 36, "0.2", 120, 6),
    ("BB", 20 * M, "0.4", 24, "0.3", 160, 6), ("B", 10 * M, "0.3", 12, "0.5", 220, 6),
    ("CCC", 2 * M, "0.2", 6, "1.0", 400, 3),
]
# Trade credit by grade (issue 23): longest payment term (days), hard?, deposit or prepayment (%); every grade
# proposes a limit by expected monthly credit sales × (payment term + average days late) / 30.
POLICY_TERMS = {
    "AAA": (120, False, None), "AA": (90, False, None), "A": (90, False, None), "BBB": (60, False, None),
    "BB": (60, False, "10"), "B": (45, False, "20"), "CCC": (30, True, "50"),
}
# customer key → (payment term asked in days, expected monthly credit sales as a share of the amount): the demo
# applications ask for 30 days (within every grade's term) and expect sales that justify the limit; the draft of
# haixin_trade asks for 90 days, beyond the policy for most grades, so its page shows the exception to come.
DEMO_TERMS = {"haixin_trade": (90, Decimal("0.5"))}
DEFAULT_DEMO_TERMS = (30, Decimal("1"))

MATRIX = [(1, ("分行审批", "Branch"), 5 * M, "BB"), (2, ("总行审批", "Head office"), 20 * M, "B"),
          (3, ("授信委员会", "Credit committee"), None, "CCC")]

# customer key, currency, amount, term, target state, collateral
SCENARIOS = [
    ("huadong_cement", "CNY", 8 * M, 12, "facility_opened", True),
    ("jinghua_tech", "CNY", 3 * M, 12, "facility_opened", False),
    ("pacific_parts", "USD", Decimal("500000"), 12, "facility_opened", False),
    ("huadong_parent", "CNY", 30 * M, 24, "pending_approval", True),
    ("lingnan_food", "CNY", 4 * M, 12, "submitted", False),
    ("huadong_logistics", "CNY", 2 * M, 12, "under_review", True),
    ("haixin_trade", "CNY", 1 * M, 6, "draft", False),
]


def _policy(users, today):
    if CreditPolicy.objects.exists():
        return
    rules = [{"grade": g, "max_limit": limit, "max_equity_share": Decimal(share), "max_term_months": term,
              "min_coverage": None if cov is None else Decimal(cov), "pricing_spread_bps": bps, "review_months": months,
              "max_payment_term_days": POLICY_TERMS[g][0], "payment_term_hard": POLICY_TERMS[g][1],
              "deposit_percent": None if POLICY_TERMS[g][2] is None else Decimal(POLICY_TERMS[g][2]),
              "sizing_method": "sales_days"}
             for g, limit, share, term, cov, bps, months in POLICY_RULES]
    policy = services.policy_create(actor=users["riskadmin"], name="授信政策 2026", name_en="Credit policy 2026",
                                    effective_from=today - dt.timedelta(days=365), rules=rules,
                                    notes="Demo policy: limits by grade, share of equity soft, term soft.",
                                    overdue_tolerance_days=30)
    services.policy_activate(actor=users["approver1"], policy=policy)


def _matrix(users):
    for number, (name, name_en), amount, weakest in MATRIX:
        level = AuthorityLevel.objects.filter(number=number).first()
        if level is None:
            level = _approved(users, services.authority_level_propose(
                actor=users["riskadmin"], number=number, name=name, name_en=name_en, max_amount=amount,
                weakest_grade=weakest))
        approver = users.get(f"approver{number}")
        if approver is not None and not ApproverAuthority.objects.filter(user=approver).exists():
            _approved(users, services.approver_authority_propose(actor=users["riskadmin"], user=approver, level=level))


def _group_limit(users, customers):
    parent = customers.get("huadong_parent")
    if parent is None or not parent.group_id or GroupLimit.objects.filter(group_id=parent.group_id).exists():
        return
    _approved(users, services.group_limit_propose(actor=users["riskadmin"], group=parent.group, limit=80 * M,
                                                  currency="CNY"))


def _approved(users, proposal):
    """Configuration takes four-eyes: riskadmin proposes, riskadmin2 approves (returns what is in force)."""
    from proposals.services import change_approve

    return change_approve(actor=users["riskadmin2"], change=proposal, note="demo")


def _run(key, customer, users, currency, amount, term, target, collateral, today):
    rm = customer.relationship_manager
    collaterals = [{"kind": "real_estate", "description": "厂房 Factory building", "market_value": amount,
                    "currency": currency, "haircut": Decimal("0.4"), "valuation_date": today - dt.timedelta(days=30)}] \
        if collateral else []
    payment_term_days, sales_share = DEMO_TERMS.get(key, DEFAULT_DEMO_TERMS)
    app = services.application_create(
        actor=rm, customer=customer, amount=amount, currency=currency, term_months=term,
        payment_term_days=payment_term_days, expected_monthly_sales=(amount * sales_share).quantize(Decimal("0.01")),
        purpose="Demo: working capital for purchases of raw materials",
        collaterals=collaterals,
        # an outside guarantor with an agency rating (issue 23: counts at face × the recovery factor of AA)
        guarantors=[{"outside_name": "中投保 China Investment Guarantee", "external_agency": "中诚信 CCXI",
                     "external_grade": "AA+", "external_rated_on": today - dt.timedelta(days=90),
                     "amount": (amount * Decimal("0.2")).quantize(Decimal("0.01")), "currency": currency}]
        if collateral else [],
        covenants=[{"ratio": "debt_to_equity", "comparison": "<=", "threshold": Decimal("2.5")}])
    if target == "draft":
        return app, None
    try:
        app = services.application_submit(actor=rm, application=app)
    except ServiceError as error:
        if error.code != "exception_required":
            raise
        app = services.application_submit(actor=rm, application=app,
                                          exception_reason="Demo: long relationship, strong parent")
    if target == "submitted":
        return app, None
    app = services.application_start_review(actor=users["analyst"], application=app)
    if target == "under_review":
        return app, None
    app = services.application_recommend(actor=users["analyst"], application=app,
                                         opinion="Demo: stable cash flow and payment record; recommend approval.")
    if target == "pending_approval":
        return app, None
    approvers = [users["approver1"], users["approver2"], users["approver3"]]
    while app.status == CreditApplication.Status.PENDING_APPROVAL:
        # A real approver weighs each warning about the customer and says why; the demo's do the same.
        warnings = [w["code"] for w in decision_warnings(app.customer)]
        app = services.application_approve(
            actor=approvers[app.current_level - 1], application=app, acknowledged_warnings=warnings,
            comment="同意。已核实逾期情况和预警，客户已提交还款计划。" if warnings else "同意。")
    return app, app.facility


def load(context):
    users = context["users"]
    customers = context.get("customers") or {}
    today = clock.today()
    _policy(users, today)
    _matrix(users)
    from ratings.demo import approve_overrides

    approve_overrides(context)  # an overridden grade takes authority from the matrix made just above
    _group_limit(users, customers)
    facilities = {}
    for key, currency, amount, term, target, collateral in SCENARIOS:
        customer = customers.get(key)
        if customer is None:
            continue
        existing = Facility.objects.filter(customer=customer).first()
        if existing is not None or CreditApplication.objects.filter(customer=customer).exists():
            if existing is not None:
                facilities[key] = existing
            continue
        rating = selectors.current_rating(customer)
        if target != "draft" and (rating is None or selectors.rating_is_expired(rating)):
            target = "draft"   # no approved rating (e.g. left submitted in the ratings demo): a draft only
        try:
            _app, facility = _run(key, customer, users, currency, amount, term, target, collateral, today)
        except ServiceError as error:
            log.warning("demo application for %s stopped: %s", key, error.message)
            continue
        if facility is not None:
            facilities[key] = facility
    facility = facilities.get("huadong_cement")
    if facility is not None and not Order.objects.filter(facility=facility).exists():
        try:
            services.order_record(actor=facility.customer.relationship_manager, facility=facility,
                                  amount=Decimal("1500000"), currency="CNY", reference="SO-2026-0001")
        except ServiceError as error:
            log.warning("demo order not recorded: %s", error.message)
    context["facilities"] = facilities
    return context
