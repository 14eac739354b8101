"""Amounts in words and amounts as people type them (plain Python).

* ``capital_amount``: an amount in Chinese capital numerals (大写金额) as the People's Bank's 支付结算办法 writes
  them on financial documents: 壹贰叁肆伍陆柒捌玖 with 拾佰仟, 万 and 亿; one 零 for a run of zeros inside the
  number; 整 after 元 or 角 when there are no 分; 零 after 元 when the 角 is 0 and the 分 is not.
* ``parse_amount``: what an amount input accepts: thousands separators (``1,234,567.89``, spaces, ``，``), and a
  unit: 元, 万 / 万元 (× 10,000), 亿 / 亿元 (× 100,000,000). Anything else is refused with ``ValueError``.
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("仟", "佰", "拾", "")
BIG_UNITS = ("", "万", "亿", "万亿")
CURRENCY_PREFIX = {"CNY": "人民币"}
UNITS = {"": Decimal(1), "元": Decimal(1), "万": Decimal(10_000), "万元": Decimal(10_000),
         "亿": Decimal(100_000_000), "亿元": Decimal(100_000_000)}
_AMOUNT = re.compile(r"^(?P<sign>[-+]?)(?P<number>[0-9][0-9,，\s]*(?:\.[0-9]+)?|\.[0-9]+)\s*(?P<unit>[元万亿]*元?)$")


def _integer_capital(n: int) -> str:
    if n == 0:
        return DIGITS[0]
    groups = []
    while n:
        groups.append(n % 10_000)
        n //= 10_000
    if len(groups) > len(BIG_UNITS):
        raise ValueError("amount too large for capital numerals")
    out: list[str] = []
    pending_zero = False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            pending_zero = pending_zero or bool(out)
            continue
        digits = (group // 1000, group // 100 % 10, group // 10 % 10, group % 10)
        for position, digit in enumerate(digits):
            if digit == 0:
                pending_zero = pending_zero or bool(out)
                continue
            if pending_zero:
                out.append(DIGITS[0])
                pending_zero = False
            out.append(DIGITS[digit] + SMALL_UNITS[position])
        out.append(BIG_UNITS[index])
    return "".join(out)


def capital_amount(amount, currency: str | None = "CNY") -> str:
    """``Decimal("16409.02")`` → ``人民币壹万陆仟肆佰零玖元零贰分`` (rounded half up to the fen). Other currencies
    have no prefix (the caller names the currency)."""
    value = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "负" if value < 0 else ""
    value = abs(value)
    yuan = int(value)
    cents = int((value - yuan) * 100)
    jiao, fen = divmod(cents, 10)
    text = ""
    if yuan or not cents:
        text = _integer_capital(yuan) + "元"
    if not cents:
        text += "整"
    elif jiao == 0:
        text += ("零" if yuan else "") + DIGITS[fen] + "分"
    else:
        text += DIGITS[jiao] + "角" + (DIGITS[fen] + "分" if fen else "整")
    return CURRENCY_PREFIX.get(currency or "", "") + sign + text


def parse_amount(text) -> Decimal:
    """An amount typed by a person: ``"1,234.50"``, ``"12.5 万元"``, ``"3亿"``, ``"500元"`` → ``Decimal``.

    Separators must be ASCII digits' separators (``,``, ``，``, spaces) between digits; one unit at the end.
    Raises ``ValueError`` for anything else (letters, two decimal points, an unknown unit, an empty text)."""
    if isinstance(text, Decimal):
        return text
    raw = str(text or "").strip()
    match = _AMOUNT.match(raw)
    if not match or match.group("unit") not in UNITS:
        raise ValueError(f"not an amount: {raw!r}")
    number = re.sub(r"[,，\s]", "", match.group("number"))
    try:
        value = Decimal(number)
    except InvalidOperation as error:  # pragma: no cover - the pattern admits only digits and one point
        raise ValueError(f"not an amount: {raw!r}") from error
    value *= UNITS[match.group("unit")]
    return -value if match.group("sign") == "-" else value
