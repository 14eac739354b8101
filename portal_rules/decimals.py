"""The one parse of a number into a ``Decimal``.

``creditportal.core.money.to_decimal`` (Django-side: amounts typed by people or read from files) and the pure
rules modules' helpers (``ratings.engine``, ``provisions.rules``) all parse here; each keeps the error type
its callers expect by catching ``NotANumber`` (whose ``reason`` says what was wrong).
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation


class NotANumber(InvalidOperation, ValueError):
    """``value`` is not usable as a number. ``reason``: ``"float"``, ``"ascii"`` (non-ASCII digits),
    ``"syntax"`` or ``"infinite"`` (NaN, Infinity). Both a ``ValueError`` and a ``decimal.InvalidOperation``,
    as ``Decimal(text)`` itself raises."""

    def __init__(self, reason: str, value):
        super().__init__(f"{reason}: {value!r}")
        self.reason = reason
        self.value = value


def parse_decimal(value, *, floats: bool = False, commas: bool = False, ascii_only: bool = False,
                  finite: bool = True) -> Decimal:
    """``value`` (``str``, ``int``, ``Decimal``; a ``float`` only with ``floats=True``) as a ``Decimal``.

    A ``Decimal`` is returned as it is; anything else is read from ``str(value)`` without surrounding blanks,
    thousands separators removed with ``commas=True``, refused unless in ASCII with ``ascii_only=True``.
    ``finite=True`` refuses NaN and infinities."""
    if isinstance(value, float) and not floats:
        raise NotANumber("float", value)
    if isinstance(value, Decimal):
        result = value
    else:
        text = str(value).strip()
        if commas:
            text = text.replace(",", "")
        if ascii_only and not text.isascii():
            raise NotANumber("ascii", value)
        try:
            result = Decimal(text)
        except (InvalidOperation, ValueError, TypeError):
            raise NotANumber("syntax", value) from None
    if finite and not result.is_finite():
        raise NotANumber("infinite", value)
    return result
