"""A realistic portfolio at scale, loaded set-wise with PostgreSQL ``COPY`` (psycopg 3 ``cursor.copy``).

Used by ``manage.py generate_portfolio`` and the benchmarks (``bench/``). Deterministic: the same
``seed``, size and business date (``clock.today()``) give the same rows.

What one customer gets (proportions are of the customers):

* master data with a valid unified social credit code (GB 32100-2015 check character), an industry,
  a size, a relationship manager; about 35% belong to a group of related companies (2–8 members);
* three annual statements (year ends of the last three years), balanced (assets = liabilities + equity),
  their figures driven by one hidden "health" figure so ratios, ratings and payment behaviour agree;
* ~10 invoices over the last 18 months (some in USD/EUR/HKD), paid on time, late or not at all by the
  customer's payment habit, with payments and their allocations (a few partial payments);
* 85%: a rating history of 1–3 ratings (older ones superseded, the newest approved, its review date by
  letter), each with a real engine result from the shipped corporate model;
* 75% of the active: an approved application and its facility (invoices draw on it), a few orders;
  about 3% carry an application in progress;
* 60%: the relationship manager's answer on competitors' share; 4%: negative records;
* about 6% (mostly the weak ones): alerts of the shipped warning rules.

Rows are written with explicit ids (max(id) + 1 …) and every sequence is moved past them afterwards,
then the tables are vacuumed and ANALYZEd, so the planner sees the real sizes at once.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, models, transaction
from django.utils import timezone

SIZES = [("micro", 0.20), ("small", 0.40), ("medium", 0.30), ("large", 0.10)]
REVENUE_RANGE = {"micro": (2e6, 1e7), "small": (1e7, 8e7), "medium": (8e7, 6e8), "large": (6e8, 1e10)}
INDUSTRIES = [("C", 0.35), ("F", 0.20), ("E", 0.08), ("G", 0.07), ("I", 0.08), ("K", 0.04), ("D", 0.03),
              ("L", 0.06), ("M", 0.04), ("A", 0.02), ("B", 0.02), ("H", 0.01)]
LEGAL_FORMS = [("limited_liability", 0.70), ("joint_stock", 0.15), ("state_owned", 0.07), ("collective", 0.02),
               ("partnership", 0.02), ("foreign_invested", 0.04)]
REGIONS = [("110105", "北京"), ("310115", "上海"), ("440300", "深圳"), ("440106", "广州"), ("330106", "杭州"),
           ("320506", "苏州"), ("510107", "成都"), ("420106", "武汉"), ("120116", "天津"), ("370212", "青岛"),
           ("350203", "厦门"), ("610113", "西安")]
NAME_WORDS = ["华信", "恒通", "中联", "鼎盛", "瑞丰", "宏达", "金桥", "新元", "永泰", "东方", "天成", "嘉禾",
              "海纳", "明德", "盛世", "长江", "同创", "安泰", "博远", "富源", "国信", "和润", "汇丰", "锦程"]
NAME_TRADES = {"C": "制造", "F": "贸易", "E": "建设", "G": "物流", "I": "信息技术", "K": "置业", "D": "能源",
               "L": "商务服务", "M": "科技", "A": "农业", "B": "矿业", "H": "餐饮管理"}
CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CURRENCY_MIX = [("CNY", 0.88), ("USD", 0.07), ("EUR", 0.03), ("HKD", 0.02)]
COMPETITOR_SHARE = [("ours_only", 0.35), ("ours_main", 0.40), ("half", 0.18), ("competitors_main", 0.07)]
NEGATIVE_KINDS = ["litigation", "tax_penalty", "default_elsewhere", "administrative_penalty"]
REVIEW_MONTHS = {"A": 12, "B": 6, "C": 3, "D": 1}
GROUP_SHARE = 0.35
RATED_SHARE = 0.85
FACILITY_SHARE = 0.75


def _weighted(rng: random.Random, table):
    x = rng.random()
    acc = 0.0
    for value, weight in table:
        acc += weight
        if x < acc:
            return value
    return table[-1][0]


def credit_code(number: int, region: str) -> str:
    """A valid unified social credit code, unique for ``number``: 9 (industry and commerce) 1 (company),
    the region, nine characters from ``number`` in base 31, then the check character."""
    from customers.validators import complete_credit_code

    chars = []
    n = number
    for _ in range(9):
        n, r = divmod(n, 31)
        chars.append(CODE_CHARSET[r])
    return complete_credit_code("91" + region + "".join(reversed(chars)))


# --- COPY ---------------------------------------------------------------------------------------

def _esc(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _fmt(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return _esc(value)
    if isinstance(value, (dict, list)):
        return _esc(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def cents(value: int) -> str:
    """Integer cents as a decimal literal (``12345`` → ``123.45``)."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    return f"{sign}{value // 100}.{value % 100:02d}"


class Copier:
    """Streams rows of one model into ``COPY … FROM STDIN``.

    ``columns`` (attnames) vary per row; every other concrete column gets ``constants[name]`` or the
    field's default (``now`` for auto_now fields). A required column with neither is an error, so a field
    added to a model without a default shows up here at once.
    """

    FLUSH = 20000

    def __init__(self, cursor, model, columns: list[str], constants: dict | None = None, now=None,
                 spool: bool = False):
        self.spool = spool  # one connection runs one COPY at a time: spooled rows go in at __exit__
        constants = dict(constants or {})
        now = now or timezone.now()
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [c for c in [*columns, *constants] if c not in fields]
        if unknown:
            raise ValueError(f"{model.__name__}: unknown columns {unknown}")
        fixed = []
        for name, f in fields.items():
            if name in columns:
                continue
            if name in constants:
                value = constants[name]
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            elif isinstance(f, (models.CharField, models.TextField)):
                value = ""
            else:
                raise ValueError(f"{model.__name__}.{name} is required: give it a value")
            if hasattr(value, "pk"):
                value = value.pk
            fixed.append((f.column, _fmt(value)))
        self.table = model._meta.db_table
        self.columns = [fields[c].column for c in columns] + [c for c, _v in fixed]
        self.suffix = ("\t" + "\t".join(v for _c, v in fixed)) if fixed else ""
        self.cursor = cursor
        self.width = len(columns)
        self.rows = 0
        self._buffer: list[str] = []
        self._copy_cm = None
        self._copy = None

    def _statement(self):
        cols = ", ".join(f'"{c}"' for c in self.columns)
        return f'COPY "{self.table}" ({cols}) FROM STDIN'

    def __enter__(self):
        if self.spool:
            import tempfile

            self._copy = tempfile.TemporaryFile("w+", encoding="utf-8")
            return self
        self._copy_cm = self.cursor.copy(self._statement())
        self._copy = self._copy_cm.__enter__()
        return self

    def row(self, *values):
        self._buffer.append("\t".join(map(_fmt, values)) + self.suffix + "\n")
        self.rows += 1
        if len(self._buffer) >= self.FLUSH:
            self.flush()

    def raw(self, *texts: str):
        """A row of values already in COPY text form (no escaping: digits, dates, plain words, ``\\N``)."""
        self._buffer.append("\t".join(texts) + self.suffix + "\n")
        self.rows += 1
        if len(self._buffer) >= self.FLUSH:
            self.flush()

    def flush(self):
        if self._buffer:
            self._copy.write("".join(self._buffer))
            self._buffer = []

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.flush()
        if not self.spool:
            return self._copy_cm.__exit__(exc_type, exc, tb)
        spool = self._copy
        try:
            if exc_type is None:
                spool.seek(0)
                with self.cursor.copy(self._statement()) as copy:
                    while block := spool.read(1 << 20):
                        copy.write(block)
        finally:
            spool.close()
        return False


_TOUCHED: set = set()  # models whose ids the generator chose: their sequences move afterwards


def next_id(cursor, model) -> int:
    _TOUCHED.add(model)
    cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{model._meta.db_table}"')
    return cursor.fetchone()[0]


def move_sequence(cursor, model):
    table = model._meta.db_table
    cursor.execute(f"SELECT pg_get_serial_sequence('\"{table}\"', 'id')")
    sequence = cursor.fetchone()[0]
    if sequence:
        cursor.execute(f'SELECT setval(%s, GREATEST((SELECT COALESCE(MAX(id), 0) FROM "{table}"), 1))', [sequence])


class foreign_keys_dropped:
    """Drop the foreign keys of ``tables`` for the load and add them back (validated set-wise, one
    anti-join per key) instead of a row-by-row check of every inserted row at commit — what pg_restore
    does. Inside the caller's transaction: if a key does not hold, the whole load rolls back."""

    def __init__(self, cursor, tables):
        self.cursor = cursor
        self.tables = list(tables)
        self.saved = []

    def __enter__(self):
        self.cursor.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[])", [self.tables])
        self.saved = self.cursor.fetchall()
        for table, name, _definition in self.saved:
            self.cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            for table, name, definition in self.saved:
                self.cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        return False


# --- The portfolio ------------------------------------------------------------------------------

@dataclass
class Plan:
    customers: int = 100_000
    invoices_per_customer: int = 10
    seed: int = 42
    rms: int | None = None  # relationship managers; default one per 2,000 customers (at least 2)
    today: dt.date | None = None
    log: callable = print
    timings: dict = field(default_factory=dict)


@dataclass
class Cust:
    id: int
    size: str
    industry: str
    health: float
    revenue: int
    rm_id: int
    status: str
    group_id: int | None = None
    facility_id: int | None = None
    facility_currency: str = "CNY"
    grade: str | None = None


LOADED_TABLES = [
    # Their foreign keys are dropped during the load and added back (validated) at its end.
    "customers_customer", "customers_customergroup", "customers_financialstatement", "customers_negativerecord",
    "ratings_behaviourinput", "ratings_rating", "credit_creditapplication", "credit_facility", "credit_order",
    "collection_invoice", "collection_payment", "collection_paymentallocation", "monitoring_alert",
]

PORTFOLIO_TABLES = [
    # Truncated (CASCADE) by --reset: every table that hangs off a customer goes with it.
    "customers_customergroup", "customers_customer", "ratings_ratingbatch",
]


def portfolio_is_empty() -> bool:
    from customers.models import Customer

    return not Customer.objects.exists()


def reset_portfolio():
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in PORTFOLIO_TABLES) + " CASCADE")


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


def generate(plan: Plan) -> dict:
    """Load the portfolio; returns the row counts per table."""
    from creditportal.core import clock

    plan.today = plan.today or clock.today()
    rng = random.Random(plan.seed)
    _TOUCHED.clear()
    started = time.perf_counter()
    counts: dict[str, int] = {}

    def step(name, fn, *args):
        t0 = time.perf_counter()
        result = fn(*args)
        plan.timings[name] = time.perf_counter() - t0
        plan.log(f"  {name}: {plan.timings[name]:.1f} s")
        return result

    with transaction.atomic():
        users = step("users and FX rates", _users, plan, rng)
        templates = step("rating templates (engine)", _model_and_templates, rng)
        with connection.cursor() as wrapper, foreign_keys_dropped(wrapper.cursor, LOADED_TABLES) as keys:
            cursor = wrapper.cursor  # psycopg 3 cursor: .copy()
            customers = step("customers and groups", _customers, plan, rng, cursor, users, counts)
            step("statements", _statements, plan, rng, cursor, users, customers, counts)
            step("behaviour inputs, negative records", _behaviour_and_negative, plan, rng, cursor, users,
                 customers, counts)
            step("ratings", _ratings, plan, rng, cursor, users, customers, templates, counts)
            step("applications, facilities, orders", _credit, plan, rng, cursor, users, customers, counts)
            step("invoices, payments, allocations", _receivables, plan, rng, cursor, users, customers, counts)
            step("current ratings settled on own data", _settle_ratings, plan, cursor, customers, templates)
            step("alerts", _alerts, plan, rng, cursor, users, customers, counts)
            step("sequences", _sequences, cursor)
            t0 = time.perf_counter()
        plan.timings["foreign keys re-added"] = time.perf_counter() - t0
        plan.log(f"  foreign keys re-added ({len(keys.saved)}): {plan.timings['foreign keys re-added']:.1f} s")
    with connection.cursor() as cursor:
        tables = ", ".join(f'"{m._meta.db_table}"' for m in sorted(_TOUCHED, key=lambda m: m._meta.db_table))
        # VACUUM sets the visibility map (index-only scans, as after autovacuum in production); it cannot run
        # inside a transaction (a test's), where ANALYZE alone gives the planner the real sizes.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        step("vacuum and analyze", lambda: cursor.execute(f"{command} {tables}"))
    plan.timings["total"] = time.perf_counter() - started
    return counts


def _sequences(cursor):
    for model in sorted(_TOUCHED, key=lambda m: m._meta.db_table):
        move_sequence(cursor, model)


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


def _add_months(day: dt.date, months: int) -> dt.date:
    import calendar

    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _ratings(plan, rng, cursor, users, custs, templates, counts):
    from creditportal.core.canonical import sha256_of
    from ratings.models import Rating
    from ratings.selectors import quantitative_hash

    model, definition, variants, grades = templates
    first = next_id(cursor, Rating)
    pk = first
    analyst, analyst2 = users["analyst"], users["analyst2"]
    with Copier(cursor, Rating, ["id", "customer_id", "state", "inputs", "inputs_sha256", "quantitative_sha256",
                                 "result", "score", "model_grade", "grade", "letter", "pd", "approved_at",
                                 "approved_on", "submitted_at", "review_due", "superseded_at", "created_at",
                                 "updated_at"],
                {"model_id": model.pk, "model_definition": definition, "origin": "manual",
                 "created_by_id": analyst.pk, "submitted_by_id": analyst.pk, "approved_by_id": analyst2.pk,
                 "override_grade": "", "override_reason": "", "decision_note": "", "returned_count": 0}) as copy:
        for c in custs:
            if rng.random() >= RATED_SHARE:
                continue
            history = rng.choice([1, 1, 2, 2, 3])
            approved_on = plan.today - dt.timedelta(days=rng.randint(10, 330))
            dates = [approved_on - dt.timedelta(days=365 * k + rng.randint(0, 20)) for k in range(history)][::-1]
            for position, day in enumerate(dates):
                current = position == len(dates) - 1
                band = min(4, max(0, int((c.health + rng.gauss(0, 0.05)) * 5)))
                inputs, result = rng.choice(variants[(c.size, band)])
                inputs = {**inputs, "customer": {"id": c.id, "industry_section": c.industry, "size": c.size},
                          "as_of": day.isoformat()}
                grade = grades[result["grade"]]
                at = dt.datetime.combine(day, dt.time(3, 30), tzinfo=dt.timezone.utc)
                review_due = _add_months(day, REVIEW_MONTHS.get(grade["letter"], 1))
                # Hash of the canonical JSON, like the services (sha over 250k snapshots: a few seconds).
                copy.row(pk, c.id, "approved" if current else "superseded", inputs, sha256_of(inputs),
                         quantitative_hash(inputs), result, result["score"], result["grade"], grade["code"],
                         grade["letter"], grade["pd"], at, day, at - dt.timedelta(hours=20), review_due,
                         None if current else at + dt.timedelta(days=365), at - dt.timedelta(days=1),
                         at if current else at + dt.timedelta(days=365))
                pk += 1
                if current:
                    c.grade = grade["code"]
    counts["ratings"] = pk - first


def _settle_ratings(plan, cursor, custs, templates):
    """Each current rating becomes the model's result on the customer's own data as of the day before the
    business date, as last night's batch left the portfolio (every proposal decided): the templates gave the
    ratings a plausible history, this gives them the figures a real rating of this customer would show.
    Tonight's batch then sees what moved in a day (invoices entering and leaving the behaviour window),
    not a portfolio whose every rating disagrees with its data. Expert scores, dates and approvers stay."""
    from creditportal.core.canonical import jsonable, sha256_of
    from ratings import selectors
    from ratings.engine import evaluate
    from ratings.engine.scorecard import ModelDefinition
    from ratings.models import Rating
    from ratings.providers import behaviour_facts_for

    model, definition, _variants, grades = templates
    parsed = ModelDefinition(definition)
    last_night = plan.today - dt.timedelta(days=1)
    window = selectors.behaviour_window(last_night, definition.get("settings"))
    facts = {selectors.window_key(window): behaviour_facts_for(None, window)}
    settings = {"_": definition.get("settings") or {}}
    by_id = {c.id: c for c in custs}
    cursor.execute("SELECT id, customer_id, approved_on, inputs -> 'expert_scores', inputs ->> 'as_of' "
                   "FROM ratings_rating WHERE state = 'approved' ORDER BY customer_id")
    current = cursor.fetchall()
    cursor.execute("CREATE TEMP TABLE settled_rating (id bigint PRIMARY KEY, inputs jsonb, inputs_sha256 text, "
                   "quantitative_sha256 text, result jsonb, score numeric, model_grade text, grade text, "
                   "letter text, pd numeric, review_due date) ON COMMIT DROP")
    # One COPY per chunk, after the chunk's reads: the connection can't run a query in the middle of a COPY.
    for start in range(0, len(current), selectors.BATCH_CHUNK):
        rows = current[start:start + selectors.BATCH_CHUNK]
        customers = selectors.customers_by_id([r[1] for r in rows])
        inputs_by = selectors.gather_inputs(customers, on_date=last_night, behaviour=facts,
                                            settings_by_customer={c.pk: settings["_"] for c in customers})
        lines = []
        for rating_id, customer_id, approved_on, experts, as_of in rows:
            experts = json.loads(experts) if isinstance(experts, str) else experts  # raw jsonb is text here
            inputs = {**inputs_by[customer_id], "expert_scores": experts or {}, "as_of": as_of}
            result = jsonable(evaluate(parsed, inputs).as_dict())
            grade = grades[result["grade"]]
            review_due = _add_months(approved_on, REVIEW_MONTHS.get(grade["letter"], 1))
            lines.append("\t".join(map(_fmt, (
                rating_id, inputs, sha256_of(inputs), selectors.quantitative_hash(inputs), result,
                result["score"], result["grade"], grade["code"], grade["letter"], grade["pd"],
                review_due))) + "\n")
            if customer_id in by_id:
                by_id[customer_id].grade = grade["code"]
        with cursor.copy("COPY settled_rating FROM STDIN") as copy:
            copy.write("".join(lines))
    cursor.execute("UPDATE ratings_rating r SET inputs = s.inputs, inputs_sha256 = s.inputs_sha256, "
                   "quantitative_sha256 = s.quantitative_sha256, result = s.result, score = s.score, "
                   "model_grade = s.model_grade, grade = s.grade, letter = s.letter, pd = s.pd, "
                   "review_due = s.review_due FROM settled_rating s WHERE r.id = s.id")


def _credit(plan, rng, cursor, users, custs, counts):
    from credit.models import CreditApplication, Facility, Order

    first_app = next_id(cursor, CreditApplication)
    first_fac = next_id(cursor, Facility)
    first_order = next_id(cursor, Order)
    app_pk, fac_pk, order_pk = first_app, first_fac, first_order
    analyst, approver = users["analyst"], users["approver1"]
    apps_rows, facs_rows, orders_rows = [], [], []
    for c in custs:
        if c.status == "active" and rng.random() < FACILITY_SHARE:
            limit = max(100_000, int(c.revenue * rng.uniform(0.03, 0.12)) // 10_000 * 10_000)
            start = plan.today - dt.timedelta(days=rng.randint(20, 700))
            term = rng.choice([12, 24, 36])
            expiry = _add_months(start, term)
            status = "active" if expiry >= plan.today else "expired"
            if status == "active" and c.health < 0.12 and rng.random() < 0.5:
                status = "suspended"
            at = dt.datetime.combine(start - dt.timedelta(days=10), dt.time(2), tzinfo=dt.timezone.utc)
            apps_rows.append((app_pk, c.id, cents(limit * 100), term, "facility_opened", c.grade or "", c.rm_id,
                              analyst.pk, at, at + dt.timedelta(days=9), cents(limit * 100), 1, 1))
            facs_rows.append((fac_pk, c.id, app_pk, cents(limit * 100), start, expiry, status,
                              at + dt.timedelta(days=10)))
            c.facility_id = fac_pk
            if rng.random() < 0.2:
                for k in range(rng.randint(1, 3)):
                    orders_rows.append((order_pk, fac_pk, f"PO-{fac_pk}-{k + 1}",
                                        cents(int(limit * rng.uniform(0.01, 0.1)) * 100),
                                        rng.choice(["reserved", "released", "released"]), c.rm_id,
                                        at + dt.timedelta(days=30 + k)))
                    order_pk += 1
            app_pk += 1
            fac_pk += 1
        if c.status in ("active", "prospect") and rng.random() < 0.03:
            status, level, required = rng.choice([("draft", 0, 0), ("submitted", 0, 0), ("under_review", 0, 0),
                                                  ("recommended", 0, 0), ("pending_approval", 1, 2),
                                                  ("returned", 0, 0)])
            at = timezone.make_aware(dt.datetime.combine(plan.today - dt.timedelta(days=rng.randint(1, 40)),
                                                         dt.time(10)))
            amount = max(100_000, int(c.revenue * rng.uniform(0.03, 0.1)) // 10_000 * 10_000)
            apps_rows.append((app_pk, c.id, cents(amount * 100), 12, status, c.grade or "", c.rm_id,
                              analyst.pk if status not in ("draft", "submitted") else None, at, None,
                              cents(amount * 100), level, required))
            app_pk += 1
    with Copier(cursor, CreditApplication, ["id", "customer_id", "amount", "term_months", "status", "rating_grade",
                                            "created_by_id", "reviewer_id", "created_at", "decided_at",
                                            "amount_reporting", "current_level", "required_levels",
                                            "status_changed_at", "updated_at"],
                {"currency": "CNY", "application_type": "new", "product": "trade_credit",
                 "purpose": "流动资金周转 / working capital for purchases", "policy_result": {},
                 "policy_exception": False}) as copy:
        for row in apps_rows:
            copy.row(*row, row[9] or row[8], row[9] or row[8])
    with Copier(cursor, Facility, ["id", "customer_id", "application_id", "limit", "start_date", "expiry_date",
                                   "status", "created_at", "updated_at"],
                {"currency": "CNY", "product": "trade_credit", "temporary": False}) as copy:
        for row in facs_rows:
            copy.row(*row, row[-1])
    with Copier(cursor, Order, ["id", "facility_id", "reference", "amount", "status", "created_by_id",
                                "created_at"], {"currency": "CNY"}) as copy:
        for row in orders_rows:
            copy.row(*row)
    counts["credit applications"] = app_pk - first_app
    counts["facilities"] = fac_pk - first_fac
    counts["orders"] = order_pk - first_order


def _delay(rng: random.Random, health: float) -> int | None:
    """Days paid after the due date (negative: early); ``None``: not paid (yet)."""
    x = rng.random()
    if health > 0.5:
        table = [(0.80, (-7, 0)), (0.95, (1, 9)), (0.995, (10, 30)), (1.0, (31, 90))]
        unpaid = 0.003
    elif health > 0.25:
        table = [(0.55, (-3, 0)), (0.80, (1, 9)), (0.95, (10, 45)), (1.0, (46, 150))]
        unpaid = 0.02
    else:
        table = [(0.30, (-2, 0)), (0.55, (1, 9)), (0.80, (10, 60)), (1.0, (61, 300))]
        unpaid = 0.15
    if rng.random() < unpaid:
        return None
    for limit, (low, high) in table:
        if x < limit:
            return rng.randint(low, high)
    return 0


def _receivables(plan, rng, cursor, users, custs, counts):
    from collection.models import Invoice, Payment, PaymentAllocation

    today = plan.today
    inv_pk = first_inv = next_id(cursor, Invoice)
    pay_pk = first_pay = next_id(cursor, Payment)
    alloc_pk = first_alloc = next_id(cursor, PaymentAllocation)
    collector = str(users["collector"].pk)
    per = plan.invoices_per_customer
    with Copier(cursor, Invoice, ["id", "number", "customer_id", "facility_id", "issue_date", "due_date", "amount",
                                  "currency", "paid_amount", "paid_on", "status", "created_by_id", "created_at"],
                {"written_off_amount": "0.00", "description": ""}, spool=True) as inv, \
            Copier(cursor, Payment, ["id", "customer_id", "received_on", "amount", "currency", "reference",
                                     "allocated_amount", "created_by_id", "created_at"],
                   {"is_recovery": False}, spool=True) as pay, \
            Copier(cursor, PaymentAllocation, ["id", "payment_id", "invoice_id", "amount"], spool=True) as alloc:
        for c in custs:
            if c.status == "prospect":
                continue
            n = max(0, per + rng.randint(-per // 2, per // 2)) if per > 1 else per
            scale = max(5_000, c.revenue // 200)
            customer, rm = str(c.id), str(c.rm_id)
            for _k in range(n):
                issue = today - dt.timedelta(days=rng.randint(3, 540))
                term = rng.choice([30, 30, 45, 60, 90])
                due = issue + dt.timedelta(days=term)
                currency = _weighted(rng, CURRENCY_MIX)
                amount = int(scale * rng.uniform(0.2, 2.5) * 100)
                delay = _delay(rng, c.health)
                paid_on = None if delay is None else due + dt.timedelta(days=delay)
                if paid_on is not None and paid_on > today:
                    paid_on = None
                partial = paid_on is None and due < today and rng.random() < 0.15
                if paid_on is not None:
                    paid, status = amount, "paid"
                elif partial:
                    paid, status = amount * rng.randint(2, 8) // 10, "open"
                else:
                    paid, status = 0, "open"
                issue_text = issue.isoformat()
                facility = str(c.facility_id) if c.facility_id and currency == "CNY" else "\\N"
                inv.raw(str(inv_pk), f"INV{inv_pk:010d}", customer, facility, issue_text, due.isoformat(),
                        cents(amount), currency, cents(paid), paid_on.isoformat() if paid_on else "\\N", status, rm,
                        issue_text + " 01:30:00+00")
                if paid:
                    received = paid_on or (due + dt.timedelta(days=rng.randint(0, max(0, (today - due).days))))
                    received_text = received.isoformat()
                    pay.raw(str(pay_pk), customer, received_text, cents(paid), currency, f"BANK-{pay_pk}", cents(paid),
                            collector, received_text + " 06:00:00+00")
                    alloc.raw(str(alloc_pk), str(pay_pk), str(inv_pk), cents(paid))
                    pay_pk += 1
                    alloc_pk += 1
                inv_pk += 1
    counts["invoices"] = inv_pk - first_inv
    counts["payments"] = pay_pk - first_pay
    counts["payment allocations"] = alloc_pk - first_alloc


def _alerts(plan, rng, cursor, users, custs, counts):
    from monitoring.models import Alert, WarningRule

    rules = list(WarningRule.objects.filter(enabled=True).order_by("code").values_list("pk", "severity",
                                                                                          "recommended_action"))
    first = next_id(cursor, Alert)
    pk = first
    if rules:
        with Copier(cursor, Alert, ["id", "rule_id", "customer_id", "severity", "status", "value", "detail",
                                    "recommended_action", "raised_on", "last_seen_on", "times_seen", "owner_id",
                                    "created_at", "updated_at"],
                    {"still_firing": True, "comment": "", "action_taken": ""}) as copy:
            for c in custs:
                if rng.random() >= (0.25 if c.health < 0.25 else 0.03):
                    continue
                for rule_pk, severity, action in rng.sample(rules, k=min(len(rules), rng.randint(1, 2))):
                    raised = plan.today - dt.timedelta(days=rng.randint(0, 150))
                    status = _weighted(rng, [("open", 0.6), ("acknowledged", 0.2), ("resolved", 0.15),
                                             ("dismissed", 0.05)])
                    at = dt.datetime.combine(raised, dt.time(1), tzinfo=dt.timezone.utc)
                    copy.row(pk, rule_pk, c.id, severity, status, f"{rng.uniform(0, 200):.4f}", {"generated": True},
                             action, raised, plan.today, rng.randint(1, 30), c.rm_id, at, at)
                    pk += 1
    counts["alerts"] = pk - first


def describe(counts: dict, timings: dict) -> str:
    lines = [f"{name:>22}: {n:>10,}" for name, n in counts.items()]
    lines.append(f"{'total time':>22}: {timings.get('total', 0):>10.1f} s")
    return "\n".join(lines)


def fingerprint() -> str:
    """A short digest of the portfolio's size (for RESULTS.md: which data a run measured)."""
    from collection.models import Invoice
    from customers.models import Customer

    raw = f"{Customer.objects.count()}:{Invoice.objects.count()}"
    return hashlib.sha256(raw.encode()).hexdigest()[:12]
