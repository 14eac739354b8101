"""The department's customers: master data, groups of related companies, contacts and three annual statements.

Each customer carries a hidden health at the start and at the end of the 24 months (``Profile``): statements,
ratings and payments follow it, so a customer getting weaker pays later, is downgraded and classified worse.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from demo.generator._common import (
    INDUSTRIES, LEGAL_FORMS, NAME_TRADES, NAME_WORDS, REGIONS, REVENUE_RANGE, SIZES, _weighted, credit_code,
)
from demo.generator.templates import _statement_values

SEED = 21
COUNT = 192  # with the eight hand-made customers: 200
CODE_BASE = 21_000_000  # credit codes from this number on (the bench generator numbers by primary key)
HISTORY_MONTHS = 26  # of invoices: the 24 month ends of the trends and their receivables before them

CITY_EN = {"北京": "Beijing", "上海": "Shanghai", "深圳": "Shenzhen", "广州": "Guangzhou", "杭州": "Hangzhou",
           "苏州": "Suzhou", "成都": "Chengdu", "武汉": "Wuhan", "天津": "Tianjin", "青岛": "Qingdao",
           "厦门": "Xiamen", "西安": "Xi'an"}
PROVINCE = {"北京": "北京市", "上海": "上海市", "深圳": "广东省深圳市", "广州": "广东省广州市", "杭州": "浙江省杭州市",
            "苏州": "江苏省苏州市", "成都": "四川省成都市", "武汉": "湖北省武汉市", "天津": "天津市",
            "青岛": "山东省青岛市", "厦门": "福建省厦门市", "西安": "陕西省西安市"}
WORD_EN = {"华信": "Huaxin", "恒通": "Hengtong", "中联": "Zhonglian", "鼎盛": "Dingsheng", "瑞丰": "Ruifeng",
           "宏达": "Hongda", "金桥": "Jinqiao", "新元": "Xinyuan", "永泰": "Yongtai", "东方": "Dongfang",
           "天成": "Tiancheng", "嘉禾": "Jiahe", "海纳": "Haina", "明德": "Mingde", "盛世": "Shengshi",
           "长江": "Changjiang", "同创": "Tongchuang", "安泰": "Antai", "博远": "Boyuan", "富源": "Fuyuan",
           "国信": "Guoxin", "和润": "Herun", "汇丰": "Huifeng", "锦程": "Jincheng"}
TRADE_EN = {"C": "Manufacturing", "F": "Trading", "E": "Construction", "G": "Logistics", "I": "Information Technology",
            "K": "Property", "D": "Energy", "L": "Business Services", "M": "Technology", "A": "Agriculture",
            "B": "Mining", "H": "Catering Management"}
STREETS = ["人民路", "解放路", "中山路", "建设大道", "长江路", "科技园路", "工业大道", "滨江路", "新华街", "金融街"]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭"]
GIVEN = ["伟", "芳", "军", "敏", "静", "磊", "强", "洋", "艳", "杰", "娟", "涛", "明", "超", "霞", "平"]
POSITIONS = ["财务总监", "采购经理", "总经理助理", "财务经理", "董事会秘书"]
GROUPS = 12  # groups of related companies (2–5 members)


@dataclass
class Profile:
    """A department customer as generated: its master data and hidden health path."""

    index: int
    key: str
    name: str
    name_en: str
    code: str
    city: str
    section: str
    division: str
    size: str
    legal_form: str
    status: str
    manager: str
    revenue: float
    health_start: float
    health_end: float
    word: str = ""  # the brand in the name (a group's members carry their parent's)
    group: int | None = None
    relation: str = ""
    pk: int | None = None
    facility: dict = field(default_factory=dict)

    def health(self, months_ago: float) -> float:
        """The hidden health ``months_ago`` months before the business date (0: today)."""
        share = max(0.0, min(1.0, 1 - months_ago / 24))
        return max(0.02, min(0.98, self.health_start + (self.health_end - self.health_start) * share))


def _division(section: str, rng: random.Random) -> str:
    from customers.models import INDUSTRY_DIVISION_RANGES

    low, high = INDUSTRY_DIVISION_RANGES[section]
    return f"{rng.randint(low, high):02d}"


def profiles() -> list[Profile]:
    """The department, the same every run (``SEED``)."""
    from customers.demo import DEMO_CUSTOMERS

    rng = random.Random(SEED)
    names = {row[2] for row in DEMO_CUSTOMERS}
    result = []
    for index in range(COUNT):
        section = _weighted(rng, INDUSTRIES)
        size = _weighted(rng, SIZES)
        region, city = REGIONS[index % len(REGIONS)] if index < len(REGIONS) else rng.choice(REGIONS)
        trade, trade_en = NAME_TRADES[section], TRADE_EN[section]
        while True:
            first, second = rng.sample(NAME_WORDS, 2)
            name = f"{city}{first}{trade}有限公司"
            name_en = f"{CITY_EN[city]} {WORD_EN[first]} {trade_en} Co., Ltd."
            if name in names:
                name = f"{city}{first}{second}{trade}有限公司"
                name_en = f"{CITY_EN[city]} {WORD_EN[first]} {WORD_EN[second]} {trade_en} Co., Ltd."
            if name not in names:
                break
        names.add(name)
        low, high = REVENUE_RANGE[size]
        start = rng.betavariate(3.6, 1.4)
        drift = rng.gauss(0, 0.15)
        status = "active"
        roll = rng.random()
        if roll < 0.05:
            status = "prospect"
        elif roll < 0.07:
            status = "closed"
        result.append(Profile(
            index=index, key=f"dept_{index:03d}", name=name, name_en=name_en, word=first,
            code=credit_code(CODE_BASE + index, region), city=city, section=section,
            division=_division(section, rng), size=size, legal_form=_weighted(rng, LEGAL_FORMS), status=status,
            manager="rm" if index % 2 == 0 else "rm2", revenue=low * (high / low) ** rng.random(),
            health_start=start, health_end=max(0.03, min(0.97, start + drift))))
    # Groups: a parent and 1–4 subsidiaries, consecutive customers of one manager's book.
    position = 3
    for number in range(GROUPS):
        members = [p for p in result[position:position + 2 * rng.randint(2, 5):2]]
        for k, member in enumerate(members):
            member.group = number
            member.relation = "parent" if k == 0 else rng.choice(["subsidiary", "subsidiary", "common_control"])
            if k:  # a member of the group carries the parent's brand
                _rename(member, members[0].word, names)
        position += 13
    return result


def _rename(member: Profile, word: str, names: set[str]) -> None:
    trade, trade_en = NAME_TRADES[member.section], TRADE_EN[member.section]
    city, city_en = member.city, CITY_EN[member.city]
    choices = [(f"{city}{word}{trade}有限公司", f"{city_en} {WORD_EN[word]} {trade_en} Co., Ltd.")]
    choices += [(f"{city}{word}{other}{trade}有限公司", f"{city_en} {WORD_EN[word]} {WORD_EN[other]} {trade_en} Co., Ltd.")
                for other in [member.word, *NAME_WORDS] if other != word]
    for name, name_en in choices:
        if name not in names:
            names.discard(member.name)
            names.add(name)
            member.name, member.name_en, member.word = name, name_en, word
            return


def write_customers(profs: list[Profile], users, today: dt.date) -> None:
    """Customers, groups and contacts in bulk; sets ``Profile.pk``."""
    from customers.models import Contact, Customer, CustomerGroup

    rng = random.Random(SEED + 1)
    customers = []
    for p in profs:
        customers.append(Customer(
            name=p.name, name_en=p.name_en, credit_code=p.code, legal_form=p.legal_form, industry_section=p.section,
            industry_division=p.division, size=p.size, status=p.status, relationship_manager=users[p.manager],
            registered_capital=Decimal(int(p.revenue * rng.uniform(0.05, 0.3)) // 10_000 * 10_000),
            registered_capital_currency="CNY",
            established_on=today - dt.timedelta(days=rng.randint(4 * 365, 28 * 365)),
            legal_representative=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN]),
            address=f"{PROVINCE[p.city]}{rng.choice(STREETS)}{rng.randint(1, 999)}号"))
    Customer.objects.bulk_create(customers, batch_size=500)
    by_code = dict(Customer.objects.filter(credit_code__in=[p.code for p in profs]).values_list("credit_code", "pk"))
    for p in profs:
        p.pk = by_code[p.code]
    parents = {}
    for p in profs:
        if p.group is not None and p.relation == "parent":
            parents[p.group] = p
    groups = CustomerGroup.objects.bulk_create([
        CustomerGroup(name=f"{parent.name.removesuffix('有限公司')}集团", parent_company_id=parent.pk,
                      notes=f"{parent.name}及其关联企业。") for _number, parent in sorted(parents.items())])
    group_ids = {number: group.pk for (number, _parent), group in zip(sorted(parents.items()), groups)}
    if any(g is None for g in group_ids.values()):  # a database that does not return the keys
        names = {f"{parent.name.removesuffix('有限公司')}集团": number for number, parent in parents.items()}
        group_ids = {names[n]: pk for n, pk in CustomerGroup.objects.filter(name__in=names).values_list("name", "pk")}
    for p in profs:
        if p.group is not None:
            Customer.objects.filter(pk=p.pk).update(group_id=group_ids[p.group], group_relation=p.relation)
    contacts = []
    for p in profs:
        for k in range(1 + p.index % 2):
            contacts.append(Contact(customer_id=p.pk, name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                                    position=POSITIONS[(p.index + k) % len(POSITIONS)],
                                    phone=f"13{rng.randint(100000000, 999999999)}", email=f"finance{p.index}.{k}@example.cn",
                                    is_primary=k == 0))
    Contact.objects.bulk_create(contacts, batch_size=500)


def write_statements(profs: list[Profile], users, today: dt.date) -> None:
    """Three balanced annual statements each (the generator's ``_statement_values``), the latest year first."""
    from customers.models import FinancialStatement

    rng = random.Random(SEED + 2)
    rows = []
    for p in profs:
        unit = 1000 if p.size == "large" else 1
        revenue = p.revenue
        for back in range(3):
            year = today.year - 1 - back
            months_ago = (today - dt.date(year, 12, 31)).days / 30.4
            values = _statement_values(rng, p.health(months_ago), revenue, unit)
            rows.append(FinancialStatement(
                customer_id=p.pk, period_end=dt.date(year, 12, 31), period_type="annual",
                audited=p.size in ("medium", "large") or back > 0, currency="CNY", unit=unit,
                created_by=users[p.manager], source="manual" if rng.random() < 0.7 else "import",
                **{k: Decimal(v) for k, v in values.items()}))
            revenue /= 1 + rng.uniform(-0.08, 0.2)
    FinancialStatement.objects.bulk_create(rows, batch_size=500)
