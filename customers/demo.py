"""Demo customers for ``manage.py load_demo``: two portfolios (rm, rm2), one group of related companies,
three years of balanced statements each, contacts and one negative record. Idempotent.

Adds ``context["customers"]``: {key: Customer} for the apps loaded after this one. Keys:
``huadong_parent``, ``huadong_cement``, ``huadong_logistics`` (one group), ``jinghua_tech``,
``lingnan_food``, ``xibei_energy``, ``haixin_trade``, ``pacific_parts`` (foreign, registered in HK).
"""
import csv
import datetime as dt
import pathlib
from decimal import Decimal

from . import services
from .models import Customer
from .validators import complete_credit_code


def _demo_customers() -> list[tuple]:
    """The rows of ``demo_customers.csv`` (data, not code): key, manager, name, English name, first 17 characters
    of the code (empty: foreign), section, division, size, status, statement unit, scale (total assets of the
    latest year in that unit), profile."""
    with open(pathlib.Path(__file__).with_name("demo_customers.csv"), encoding="utf-8", newline="") as f:
        return [(r["key"], r["manager"], r["name"], r["name_en"], r["code_first17"] or None, r["section"],
                 r["division"], r["size"], r["status"], int(r["unit"]), Decimal(r["scale"]), r["profile"])
                for r in csv.DictReader(f)]


DEMO_CUSTOMERS = _demo_customers()

LEGAL_REPRESENTATIVES = ["王建国", "李明", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄海"]
ADDRESSES = ["上海市浦东新区世纪大道100号", "江苏省苏州市工业园区星湖街88号", "上海市浦东新区外高桥港区路1号",
             "北京市海淀区中关村大街27号", "广州市天河区珠江新城花城大道6号", "甘肃省兰州市城关区东岗西路12号",
             "深圳市福田区深南大道4001号", "Unit 1201, 12/F, Harbour Centre, 25 Harbour Road, Wan Chai, Hong Kong"]
CONTACT_NAMES = [("周敏", "财务总监"), ("吴磊", "采购经理"), ("郑洁", "总经理助理")]

# Ratios of a profile: liabilities/assets, current assets/assets, current liabilities/liabilities,
# revenue/assets, gross margin, net margin, yearly growth.
PROFILES = {
    "solid": dict(leverage="0.52", current="0.48", short="0.70", turnover="0.85", gross="0.24", net="0.070",
                  growth="0.06"),
    "thin": dict(leverage="0.71", current="0.62", short="0.85", turnover="1.60", gross="0.09", net="0.015",
                 growth="0.02"),
    "growing": dict(leverage="0.38", current="0.70", short="0.90", turnover="1.10", gross="0.55", net="0.120",
                    growth="0.25"),
    "loss": dict(leverage="0.83", current="0.30", short="0.55", turnover="0.35", gross="0.05", net="-0.060",
                 growth="-0.10"),
}
TWO = Decimal("0.01")


def _statement_values(total_assets: Decimal, profile: dict, year_index: int) -> dict:
    """Balanced statements for a year ``year_index`` years before the latest (0 = latest)."""
    p = {k: Decimal(v) for k, v in profile.items()}
    scale = (Decimal(1) + p["growth"]) ** -year_index
    assets = (total_assets * scale).quantize(TWO)
    liabilities = (assets * p["leverage"]).quantize(TWO)
    equity = assets - liabilities
    current_assets = (assets * p["current"]).quantize(TWO)
    current_liabilities = (liabilities * p["short"]).quantize(TWO)
    revenue = (assets * p["turnover"]).quantize(TWO)
    cost = (revenue * (1 - p["gross"])).quantize(TWO)
    net = (revenue * p["net"]).quantize(TWO)
    interest = (liabilities * Decimal("0.035")).quantize(TWO)
    before_tax = (net / Decimal("0.75")).quantize(TWO) if net > 0 else net
    return {
        "cash": (current_assets * Decimal("0.25")).quantize(TWO),
        "receivables": (current_assets * Decimal("0.35")).quantize(TWO),
        "inventory": (current_assets * Decimal("0.30")).quantize(TWO),
        "current_assets": current_assets,
        "total_assets": assets,
        "short_term_debt": (current_liabilities * Decimal("0.40")).quantize(TWO),
        "current_liabilities": current_liabilities,
        "long_term_debt": (liabilities - current_liabilities).quantize(TWO),
        "total_liabilities": liabilities,
        "equity": equity,
        "revenue": revenue,
        "cost_of_sales": cost,
        "operating_profit": (before_tax + interest).quantize(TWO),
        "interest_expense": interest,
        "profit_before_tax": before_tax,
        "net_profit": net,
        "operating_cash_flow": (net * Decimal("1.2") + assets * Decimal("0.02")).quantize(TWO),
        "investing_cash_flow": (-assets * Decimal("0.04")).quantize(TWO),
        "financing_cash_flow": (assets * Decimal("0.01")).quantize(TWO),
    }


def _write(context, message):
    stdout = context.get("stdout")
    if stdout is not None:
        stdout.write(message)


def load(context):
    users = context["users"]
    today = context.get("today") or dt.date.today()
    first_code = complete_credit_code(DEMO_CUSTOMERS[0][4])
    if Customer.objects.filter(credit_code=first_code).exists():
        context["customers"] = _existing()
        _write(context, "    customers: already loaded")
        return
    group = services.group_create(actor=users["rm"], name="华东建材集团",
                                  notes="母公司及其控股的水泥、物流子公司。")
    customers = {}
    for index, (key, manager, name, name_en, first17, section, division, size, status, unit, scale, profile
                ) in enumerate(DEMO_CUSTOMERS):
        actor = users[manager]
        fields = dict(
            name=name, name_en=name_en, legal_form="limited_liability", industry_section=section,
            industry_division=division, size=size, status="active" if status == "suspended" else status,
            registered_capital=(scale * unit / 10).quantize(Decimal("1")), registered_capital_currency="CNY",
            established_on=dt.date(1995 + index * 3, 1 + index, 10 + index),
            legal_representative=LEGAL_REPRESENTATIVES[index], address=ADDRESSES[index],
        )
        if first17:
            fields["credit_code"] = complete_credit_code(first17)
        else:
            fields.update(is_foreign=True, country="HK", registration_number="2876543",
                          legal_form="foreign_company", registered_capital_currency="HKD")
        if key.startswith("huadong_"):
            fields.update(group=group, group_relation="parent" if key == "huadong_parent" else "subsidiary")
        if key == "huadong_cement":
            fields["legal_form"] = "joint_stock"
        customer = services.customer_create(actor=actor, **fields)
        if status == "suspended":  # imposed by an approver, with its reason, like any suspension
            customer = services.customer_suspend(actor=users["approver1"], customer=customer,
                                                 reason="逾期超过一年，暂停交货。")
        customers[key] = customer
        for year_index in range(3):
            year = today.year - 1 - year_index
            services.statement_create(
                actor=actor, customer=customer, period_end=dt.date(year, 12, 31), period_type="annual",
                audited=year_index > 0 or profile != "thin", consolidated=key == "huadong_parent",
                currency="HKD" if not first17 else "CNY", unit=unit,
                **_statement_values(scale, PROFILES[profile], year_index),
            )
        for contact_index, (contact_name, position) in enumerate(CONTACT_NAMES[: 1 + index % 2]):
            services.contact_create(actor=actor, customer=customer, name=contact_name, position=position,
                                    phone=f"138{index:02d}{contact_index:02d}5678", email=f"contact{index}{contact_index}@example.cn",
                                    is_primary=contact_index == 0)
    services.group_update(actor=users["rm"], group=group, name=group.name, parent_company=customers["huadong_parent"],
                          notes=group.notes)
    services.negative_record_create(
        actor=users["rm2"], customer=customers["xibei_energy"], kind="litigation",
        occurred_on=today - dt.timedelta(days=120), source="兰州市中级人民法院", amount=Decimal("8600000.00"),
        currency="CNY", description="设备供应商起诉拖欠货款，案件审理中。",
    )
    context["customers"] = customers
    _write(context, f"    customers: {len(customers)} customers, 1 group")


def _existing():
    codes = {complete_credit_code(row[4]): row[0] for row in DEMO_CUSTOMERS if row[4]}
    found = {codes[c.credit_code]: c for c in Customer.objects.filter(credit_code__in=codes)}
    foreign = Customer.objects.filter(is_foreign=True, registration_number="2876543").first()
    if foreign:
        found["pacific_parts"] = foreign
    return found
