"""The portfolio's proportions, the plan, a customer's hidden figures, credit codes and dates."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field


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


def _add_months(day: dt.date, months: int) -> dt.date:
    import calendar

    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
