"""Customers and groups, their statements, behaviour inputs and negative records."""
from __future__ import annotations

import datetime as dt

from ._common import (
    COMPETITOR_SHARE, Cust, GROUP_SHARE, INDUSTRIES, LEGAL_FORMS, NAME_TRADES, NAME_WORDS, NEGATIVE_KINDS,
    REGIONS, REVENUE_RANGE, SIZES, _weighted, credit_code,
)
from .pgcopy import Copier, cents, next_id
from .templates import _statement_values


def _customers(plan, rng, cursor, users, counts) -> list[Cust]:
    from customers.models import Customer, CustomerGroup

    first_customer = next_id(cursor, Customer)
    first_group = next_id(cursor, CustomerGroup)
    rms = users["rms"]
    custs: list[Cust] = []
    groups = []  # (group id, [member indexes])
    i = 0
    n = plan.customers
    while i < n:
        if rng.random() < GROUP_SHARE / 4.5 and n - i >= 2:
            size = min(n - i, rng.randint(2, 8))
            groups.append((first_group + len(groups), list(range(i, i + size))))
            i += size
        else:
            i += 1
    group_of = {}
    for gid, members in groups:
        for position, index in enumerate(members):
            group_of[index] = (gid, "parent" if position == 0 else "subsidiary")
    base_time = dt.datetime.combine(plan.today - dt.timedelta(days=900), dt.time(9), tzinfo=dt.timezone.utc)
    with Copier(cursor, Customer, ["id", "name", "name_en", "credit_code", "legal_form", "industry_section",
                                   "industry_division", "size", "registered_capital", "established_on",
                                   "legal_representative", "address", "status", "relationship_manager_id",
                                   "group_id", "group_relation", "created_at", "updated_at"],
                {"is_foreign": False, "country": "CN", "registered_capital_currency": "CNY",
                 "registration_number": ""}) as copy:
        for index in range(n):
            pk = first_customer + index
            size = _weighted(rng, SIZES)
            industry = _weighted(rng, INDUSTRIES)
            health = rng.betavariate(2.2, 1.6)
            low, high = REVENUE_RANGE[size]
            revenue = int(low * (high / low) ** rng.random())
            region, city = rng.choice(REGIONS)
            word = rng.choice(NAME_WORDS) + rng.choice(NAME_WORDS)
            gid, relation = group_of.get(index, (None, ""))
            status = "active" if rng.random() < 0.93 else rng.choice(["prospect", "suspended", "closed"])
            rm = rms[index % len(rms)]
            division_low, division_high = _division_range(industry)
            created = base_time + dt.timedelta(minutes=index % 500_000)
            copy.row(pk, f"{city}{word}{NAME_TRADES[industry]}有限公司{pk}", f"{city} {word} Co., Ltd. {pk}",
                     credit_code(pk, region), _weighted(rng, LEGAL_FORMS), industry,
                     f"{rng.randint(division_low, division_high):02d}", size,
                     cents(int(revenue * rng.uniform(0.05, 0.3)) * 100),
                     plan.today - dt.timedelta(days=rng.randint(3 * 365, 30 * 365)),
                     rng.choice(["王", "李", "张", "刘", "陈", "杨"]) + rng.choice(["伟", "芳", "军", "敏", "静", "磊"]),
                     f"{city}市{rng.randint(1, 999)}号", status, rm.pk, gid, relation, created, created)
            custs.append(Cust(id=pk, size=size, industry=industry, health=health, revenue=revenue, rm_id=rm.pk,
                              status=status, group_id=gid))
    counts["customers"] = n
    # Groups go in after their members (a group names its parent company): keys are checked at the end.
    with Copier(cursor, CustomerGroup, ["id", "name", "parent_company_id", "notes"]) as copy:
        for gid, members in groups:
            copy.row(gid, f"{gid}号集团 Group {gid}", first_customer + members[0], "")
    counts["customer groups"] = len(groups)
    return custs


def _division_range(section: str):
    from customers.models import INDUSTRY_DIVISION_RANGES

    return INDUSTRY_DIVISION_RANGES[section]


def _statements(plan, rng, cursor, users, custs, counts):
    from customers.models import FinancialStatement

    first = next_id(cursor, FinancialStatement)
    last_year = plan.today.year - 1
    pk = first
    items = ["cash", "receivables", "inventory", "current_assets", "total_assets", "short_term_debt",
             "current_liabilities", "long_term_debt", "total_liabilities", "equity", "revenue", "cost_of_sales",
             "operating_profit", "interest_expense", "profit_before_tax", "net_profit", "operating_cash_flow",
             "investing_cash_flow", "financing_cash_flow"]
    with Copier(cursor, FinancialStatement, ["id", "customer_id", "period_end", "audited", "unit", "created_by_id",
                                             "source", "created_at", "updated_at", *items],
                {"period_type": "annual", "consolidated": False, "currency": "CNY"}) as copy:
        for c in custs:
            unit = 1000 if c.size == "large" and rng.random() < 0.5 else 1
            customer, rm = str(c.id), str(c.rm_id)
            revenue = float(c.revenue)
            health = c.health
            for back in range(3):
                year = last_year - back
                values = _statement_values(rng, min(1.0, max(0.0, health + rng.gauss(0, 0.05))), revenue, unit)
                created = f"{year + 1}-04-15 02:00:00+00"
                copy.raw(str(pk), customer, f"{year}-12-31", "t" if c.size in ("medium", "large") else "f",
                         str(unit), rm, "manual" if rng.random() < 0.7 else "import", created, created,
                         *[values[k] for k in items])
                pk += 1
                revenue /= 1 + rng.uniform(-0.1, 0.25)
    counts["financial statements"] = pk - first


def _behaviour_and_negative(plan, rng, cursor, users, custs, counts):
    from customers.models import NegativeRecord
    from ratings.models import BehaviourInput

    first = next_id(cursor, BehaviourInput)
    pk = first
    with Copier(cursor, BehaviourInput, ["id", "customer_id", "competitor_share", "updated_by_id"],
                {"note": ""}) as copy:
        for c in custs:
            if rng.random() < 0.6:
                share = _weighted(rng, COMPETITOR_SHARE if c.health > 0.3 else list(reversed(COMPETITOR_SHARE)))
                copy.row(pk, c.id, share, c.rm_id)
                pk += 1
    counts["behaviour inputs"] = pk - first
    first = next_id(cursor, NegativeRecord)
    pk = first
    with Copier(cursor, NegativeRecord, ["id", "customer_id", "kind", "occurred_on", "source", "amount",
                                         "recorded_by_id", "description"], {"currency": "CNY"}) as copy:
        for c in custs:
            if rng.random() < (0.10 if c.health < 0.3 else 0.02):
                for _k in range(rng.randint(1, 3)):
                    copy.row(pk, c.id, rng.choice(NEGATIVE_KINDS),
                             plan.today - dt.timedelta(days=rng.randint(10, 1500)), "中国裁判文书网",
                             cents(rng.randint(10_000, 5_000_000) * 100), c.rm_id, "")
                    pk += 1
    counts["negative records"] = pk - first
