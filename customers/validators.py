"""The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters with a check digit.

Plain Python (no Django), so the rule can be used and tested anywhere.
"""
from __future__ import annotations

# The 31 characters of the code: digits and capital letters without I, O, S, V, Z.
CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CODE_LENGTH = 18


def normalise_credit_code(value: str | None) -> str:
    return (value or "").strip().upper()


def credit_code_check_char(first17: str) -> str:
    """The 18th character for the first 17 (``ValueError`` on a character outside the charset)."""
    if len(first17) != CODE_LENGTH - 1:
        raise ValueError("need exactly 17 characters")
    total = 0
    for char, weight in zip(first17, WEIGHTS):
        index = CODE_CHARSET.find(char)
        if index < 0:
            raise ValueError(f"invalid character {char!r}")
        total += index * weight
    return CODE_CHARSET[(31 - total % 31) % 31]


def credit_code_problem(value: str | None) -> str | None:
    """``None`` when ``value`` is a valid code; otherwise a short English reason key.

    Reasons: ``length``, ``charset``, ``region`` (positions 3–8 must be digits), ``check_digit``.
    """
    code = normalise_credit_code(value)
    if len(code) != CODE_LENGTH:
        return "length"
    if any(c not in CODE_CHARSET for c in code):
        return "charset"
    if not code[2:8].isdigit():
        return "region"
    if credit_code_check_char(code[:17]) != code[17]:
        return "check_digit"
    return None


def is_valid_credit_code(value: str | None) -> bool:
    return credit_code_problem(value) is None


def complete_credit_code(first17: str) -> str:
    """The full 18-character code for 17 characters (used by demo data and tests)."""
    first17 = normalise_credit_code(first17)
    return first17 + credit_code_check_char(first17)
