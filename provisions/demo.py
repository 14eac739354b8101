"""Demo data of the expected credit loss (idempotent), through the services:

* two and a half years of monthly invoices for the demo customers (numbers ``DEMO-H-…``; collection's
  demo has only the last months), paid on time, late or — for the weakest customers now and then — never,
  so the month-end aging has history to roll;
* the month-end aging snapshots of every ended month with receivables (27+ of them);
* forward-looking scenarios proposed by ``riskadmin`` and put in force by ``riskadmin2`` (``proposals``);
* the ECL of the month before last, proposed by ``riskadmin``, approved by ``approver1`` and locked; the
  last month's run proposed and waiting for a second person.
"""
import datetime as dt
import logging
from decimal import Decimal

from collection import services as collection_services
from collection.models import Invoice
from creditportal.core.errors import ServiceError

from . import selectors, services
from .models import EclRun, ScenarioSet

log = logging.getLogger(__name__)

HISTORY_MONTHS = 30
# customer key → days after the due date it pays (by month, cycling); None: never paid
PAYMENT_PATTERN = {  # mild for the good payers: their behaviour indicators read these invoices too (DESIGN §3)
    "huadong_parent": [0, 0, 2, 0, 0],
    "huadong_cement": [0, 6, 0, 9, 3],
    "huadong_logistics": [0, 3, 0, 0, 2],
    "jinghua_tech": [0, 0, 1, 0, 0],
    "lingnan_food": [30, 65, 95, 20, None, 45],
    "xibei_energy": [60, 120, None, 90, 200, None, 30],
    "pacific_parts": [0, 2, 0, 0, 1],
}
AMOUNTS = ["48000.00", "52000.00", "61000.00", "39000.00", "57000.00", "44000.00"]


def _history(customers, today):
    first = selectors.month_ends_back(selectors.previous_month_end(today), HISTORY_MONTHS)[0].replace(day=1)
    for key, pattern in PAYMENT_PATTERN.items():
        customer = customers.get(key)
        if customer is None:
            continue
        rm = customer.relationship_manager
        month = first
        index = 0
        while month < today - dt.timedelta(days=120):  # collection's demo covers the last months
            number = f"DEMO-H-{customer.pk:03d}-{month:%Y%m}"
            if not Invoice.objects.filter(number=number).exists():
                issued = month + dt.timedelta(days=4)
                due = issued + dt.timedelta(days=60)
                amount = Decimal(AMOUNTS[index % len(AMOUNTS)])
                invoice = collection_services.invoice_create(
                    actor=rm, customer=customer, number=number, issue_date=issued, due_date=due, amount=amount,
                    currency="CNY", description="演示历史发票 demo history invoice")
                delay = pattern[index % len(pattern)]
                if delay is not None and due + dt.timedelta(days=delay) < today:
                    collection_services.payment_post(
                        actor=rm, customer=customer, amount=amount, received_on=due + dt.timedelta(days=delay),
                        reference=f"PAY-{number}", allocations=[(invoice.pk, amount)])
            index += 1
            month = (month + dt.timedelta(days=32)).replace(day=1)


# The demo's credit-impaired customers, assessed one by one (DESIGN: they leave the matrix): what the credit
# department expects to recover, as a share of the exposure.
IMPAIRED = {
    "lingnan_food": dict(reason="演示 demo: 6 months unpaid, cold-chain assets pledged; Sinosure cover on 40%",
                         evidence="Sinosure policy SIN-2026-0418; pledge register 2025-117",
                         collateral=Decimal("0.30"), haircut=Decimal("0.50"), insurance=Decimal("0.40")),
    "xibei_energy": dict(reason="演示 demo: restructuring announced; parent's guarantee for a third of the debt",
                         evidence="Guarantee letter 2026-03-02; creditors' meeting minutes",
                         collateral=Decimal("0.20"), haircut=Decimal("0.60"), insurance=Decimal("0"),
                         guarantees=Decimal("0.33")),
}


def _assess_impaired(admin, customers, periods):
    from .models import AgingSnapshot

    for period in periods:
        snapshot = AgingSnapshot.objects.filter(period=period).first()
        for key, facts in IMPAIRED.items():
            customer = customers.get(key)
            line = snapshot and customer and snapshot.lines.filter(customer_id=customer.pk).first()
            if not line or line.gross <= 0:
                continue
            gross = line.gross
            services.impaired_assess(
                actor=admin, customer=customer, period=period, reason=facts["reason"], evidence=facts["evidence"],
                collateral_value=(gross * facts["collateral"]).quantize(Decimal("0.01")),
                collateral_haircut=facts["haircut"], insurance_cover=(gross * facts["insurance"]).quantize(
                    Decimal("0.01")), guarantees=(gross * facts.get("guarantees", Decimal(0))).quantize(Decimal("0.01")))


def load(context):
    users = context["users"]
    admin, admin2, approver = users.get("riskadmin"), users.get("riskadmin2"), users.get("approver1")
    today = context["today"]
    customers = context.get("customers", {})
    if admin is None or admin2 is None or approver is None:
        return context
    try:
        _history(customers, today)
        snapshots = services.snapshots_take_back(actor=admin, months=HISTORY_MONTHS + 2)
        if not ScenarioSet.objects.exists():
            item = services.scenario_set_propose(
                actor=admin, name="2026 outlook", reason="演示 demo: PBoC and NBS outlook, export demand slowing",
                scenarios=[{"name": "base", "weight": "60", "factor": "1.00"},
                           {"name": "upside", "weight": "15", "factor": "0.85"},
                           {"name": "downside", "weight": "25", "factor": "1.40"}])
            services.scenario_set_approve(actor=admin2, change=item, note="演示 demo")
        if len(snapshots) >= 3 and not EclRun.objects.exists():
            last, before = snapshots[-1].period, snapshots[-2].period
            _assess_impaired(admin, customers, [before, last])
            history = len(selectors.consecutive_snapshots(before)) - 1
            run = services.ecl_run_propose(actor=admin, period=before, lookback=min(24, history))
            services.ecl_run_lock(actor=approver, run=services.ecl_run_approve(actor=approver, run=run))
            services.ecl_run_propose(actor=admin, period=last, lookback=min(24, history + 1))
    except ServiceError as error:
        log.warning("demo ECL not completed: %s", error.message)
    return context
