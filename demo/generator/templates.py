"""The demo logins and FX rates, and the rating templates evaluated by the real engine."""
from __future__ import annotations

import random
from decimal import Decimal

from ._common import COMPETITOR_SHARE, Plan, SIZES, _weighted


def _users(plan: Plan, rng: random.Random):
    """The demo logins (one per role) and FX rates, plus ``bench_rm_NNN`` relationship managers."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.conf import settings

    from accounts.system import system_user
    from creditportal.core import access
    from demo.management.commands.load_demo import Command as LoadDemo

    access.sync_role_permissions()
    loader = LoadDemo()
    users = loader.load_users()
    loader.load_fx_rates()
    system_user()
    User = get_user_model()
    count = plan.rms if plan.rms is not None else max(2, plan.customers // 2000)
    password = make_password(settings.DEMO_PASSWORD)
    names = [f"bench_rm_{i:03d}" for i in range(1, count - 1)]  # rm and rm2 are two of them
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create([User(username=n, password=password, first_name="RM", last_name=n[-3:],
                                   email=f"{n}@example.com") for n in names if n not in existing])
    group = Group.objects.get(name=access.RELATIONSHIP_MANAGER)
    extra = list(User.objects.filter(username__in=names).order_by("username"))
    group.user_set.add(*extra)
    users["system"] = system_user()
    users["rms"] = [users["rm"], users["rm2"], *extra]
    return users


def _model_and_templates(rng: random.Random):
    """The active corporate model, its definition and rating templates: (size, health band) → list of
    (inputs without customer, engine result), evaluated by the real engine."""
    from customers import rules as ratio_math
    from ratings import selectors as rating_selectors
    from ratings.engine import evaluate
    from ratings.engine.behaviour import BehaviourFacts, evaluate_behaviour
    from creditportal.core.canonical import jsonable

    models_ = rating_selectors.active_models()
    if not models_:
        raise RuntimeError("no active rating model (the ratings data migration did not run?)")
    model = next((m for m in models_ if not m.industries and not m.sizes), models_[0])
    definition = jsonable(rating_selectors.definition_of(model))
    qualitative = rating_selectors.qualitative_codes(definition)
    templates = {}
    for size, _w in SIZES:
        for band in range(5):
            variants = []
            for _v in range(6):
                health = (band + rng.random()) / 5
                revenue = 1e8
                stmt = _statement_values(rng, health, revenue, 1)
                prev = _statement_values(rng, health, revenue / 1.08, 1)
                values = {k: Decimal(v) for k, v in stmt.items()}
                previous = {k: Decimal(v) for k, v in prev.items()}
                r = ratio_math.compute_ratios(values, previous, days=365)
                flags = ratio_math.flags(values, previous)
                due = Decimal(10_000_000)
                late = 0 if health > 0.5 else int((0.6 - health) * 30)
                received = due if health > 0.3 else (due * Decimal(str(0.85 + health / 2))).quantize(Decimal("1"))
                facts = BehaviourFacts.from_any({
                    "invoice_count": 10, "amount_due": due, "amount_received": received,
                    "claim_payouts": Decimal(0), "days_late_numerator": received * late,
                    "days_late_denominator": received, "max_days_late": late * 2})
                share = _weighted(rng, COMPETITOR_SHARE)
                behaviour = evaluate_behaviour(facts, share).as_dict()
                negatives = 0 if health > 0.25 else rng.choice([0, 1, 2])
                experts = {code: [str(max(1, min(5, round(1 + 4 * health + rng.uniform(-1, 1)))))
                                  for _e in range(2)] for code in qualitative}
                inputs = jsonable({
                    "statement": {"period_type": "annual", "consolidated": False, "currency": "CNY"},
                    "ratios": {k: (None if v is None else format(v, "f")) for k, v in r.items()},
                    "financials": {"negative_equity": "yes" if flags.get("negative_equity") else "no",
                                   "loss_after_profit": "yes" if flags.get("loss_after_profit") else "no"},
                    "behaviour": behaviour,
                    "negative": {"count_3y": negatives, "records": []},
                    "expert_scores": experts,
                })
                probe = {**inputs, "customer": {"id": 0, "industry_section": "C", "size": size}}
                result = evaluate(definition, probe).as_dict()
                variants.append((inputs, jsonable(result)))
            templates[(size, band)] = variants
    grades = {g["code"]: g for g in definition["scale"]["grades"]}
    return model, definition, templates, grades


def _statement_values(rng: random.Random, health: float, revenue: float, unit: int) -> dict[str, str]:
    """One balanced annual statement as decimal strings in ``unit`` (assets = liabilities + equity)."""
    u = float(unit)
    total_assets = revenue * rng.uniform(0.6, 1.6)
    debt_ratio = min(1.08, max(0.15, 0.85 - 0.6 * health + rng.gauss(0, 0.06)))
    liabilities = round(total_assets * debt_ratio / u)
    equity = round(total_assets * (1 - debt_ratio) / u)
    total = liabilities + equity
    ta = total * u
    current_assets = ta * rng.uniform(0.4, 0.7)
    current_liabilities = liabilities * u * rng.uniform(0.5, 0.8)
    margin = -0.05 + 0.2 * health + rng.gauss(0, 0.02)
    net_profit = revenue * margin
    interest = liabilities * u * rng.uniform(0.02, 0.05)
    pbt = net_profit / 0.75 if net_profit > 0 else net_profit
    values = {
        "cash": current_assets * rng.uniform(0.1, 0.25),
        "receivables": current_assets * rng.uniform(0.2, 0.35),
        "inventory": current_assets * rng.uniform(0.15, 0.3),
        "current_assets": current_assets,
        "short_term_debt": current_liabilities * rng.uniform(0.2, 0.5),
        "current_liabilities": current_liabilities,
        "long_term_debt": (liabilities * u - current_liabilities) * rng.uniform(0.5, 0.9),
        "revenue": revenue,
        "cost_of_sales": revenue * rng.uniform(0.6, 0.85),
        "operating_profit": pbt + interest,
        "interest_expense": interest,
        "profit_before_tax": pbt,
        "net_profit": net_profit,
        "operating_cash_flow": net_profit * rng.uniform(0.5, 1.5) + revenue * 0.02 * (health - 0.3),
        "investing_cash_flow": -ta * rng.uniform(0.02, 0.08),
        "financing_cash_flow": ta * rng.uniform(-0.05, 0.05),
    }
    out = {k: f"{round(v / u)}.00" for k, v in values.items()}
    out["total_assets"] = f"{total}.00"
    out["total_liabilities"] = f"{liabilities}.00"
    out["equity"] = f"{equity}.00"
    return out
