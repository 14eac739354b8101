"""Helpers shared by the documents: number formats, languages, the page footer and the SVG charts.

Everything here is cheap on purpose: the time a report spends outside WeasyPrint stays small.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ..models import ReportLanguage

DASH = "—"


def normalise_language(language: str | None) -> str:
    """``zh-hans`` or ``en`` from a requested or active language code (Chinese by default)."""
    code = (language or translation.get_language() or ReportLanguage.ZH_HANS).lower().replace("_", "-")
    return ReportLanguage.EN if code.startswith("en") else ReportLanguage.ZH_HANS


def dec(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def grouped(value: Decimal, places: int) -> str:
    quantum = Decimal(1).scaleb(-places)
    value = value.quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{value:,.{places}f}"


def amount(value, places: int = 2) -> str:
    number = dec(value)
    return DASH if number is None else grouped(number, places)


def money(value, currency: str = "", places: int = 2) -> str:
    number = dec(value)
    if number is None:
        return DASH
    return f"{currency} {grouped(number, places)}".strip()


def percent(value, places: int = 2) -> str:
    """A fraction shown as a percentage (0.0123 → 1.23%)."""
    number = dec(value)
    return DASH if number is None else f"{grouped(number * 100, places)}%"


def plain(value, places: int = 2) -> str:
    number = dec(value)
    return DASH if number is None else grouped(number, places)


def ratio_text(value, kind: str) -> str:
    if kind == "percent":
        return percent(value, 1)
    if kind == "days":
        return plain(value, 1)
    return plain(value, 2)


def date_text(value) -> str:
    if value is None or value == "":
        return DASH
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.strftime("%Y-%m-%d %H:%M")
    return value.strftime("%Y-%m-%d")


def person(user) -> str:
    if user is None:
        return DASH
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return f"{full} ({user.username})" if full else user.username


def css_string(text: str) -> str:
    """``text`` as a CSS string literal (for ``content:`` in the page margin boxes).

    Only translated labels go here (user text goes into running elements in the body, never into
    ``<style>``). Still, every character but letters, digits, space and a few harmless marks is written as
    a six-digit CSS escape, so no text can close the string, the rule or the ``<style>`` element.
    """
    parts = []
    for char in str(text):
        if char.isspace():
            char = " "
        if char.isalnum() or char in " .,:;·%()/-_#":
            parts.append(char)
        else:
            parts.append(f"\\{ord(char):06x}")
    return '"' + "".join(parts) + '"'


def page_counter_css() -> str:
    """``content`` value showing "Page n of m" in the active language, for ``@page`` margin boxes."""
    pattern = _("Page %(page)s of %(pages)s")
    marker_page, marker_pages = "\x00page\x00", "\x00pages\x00"
    text = pattern % {"page": marker_page, "pages": marker_pages}
    parts = []
    for chunk in text.split("\x00"):
        if chunk == "page":
            parts.append("counter(page)")
        elif chunk == "pages":
            parts.append("counter(pages)")
        elif chunk:
            parts.append(css_string(chunk))
    return mark_safe(" ".join(parts))


def footer_text(report_number: str, sha256: str, sha_label: str) -> str:
    """The left footer (a running element, escaped by the template): report number and the inputs' SHA-256."""
    return f"{report_number} · {sha_label} {sha256 or DASH}"


# --- Charts (inline SVG, drawn here: no JavaScript, no images) ------------------------------------

def factor_chart_svg(rows: list[dict], *, font_family: str) -> str:
    """Horizontal bars: each factor's contribution (dark) against its weight, the most it can give (light).

    ``rows``: ``[{"name", "weight", "contribution"}]`` with Decimal-like numbers (points out of 100 × weight).
    """
    label_width, bar_width, row_height, top = 190, 330, 18, 20
    width = label_width + bar_width + 70
    height = top + row_height * len(rows) + 10
    scale_max = max([dec(r["weight"]) or Decimal(0) for r in rows] + [Decimal(1)])
    caption = escape(_("Contribution to the score (points)"))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{escape(font_family)}" font-size="9">',
        f'<text x="{label_width}" y="11" fill="#555">{caption}</text>',
    ]
    for i, row in enumerate(rows):
        y = top + i * row_height
        weight = dec(row["weight"]) or Decimal(0)
        contribution = max(dec(row["contribution"]) or Decimal(0), Decimal(0))
        full = float(weight / scale_max) * bar_width
        got = float(min(contribution, weight) / scale_max) * bar_width
        name = str(row["name"])
        if len(name) > 28:
            name = name[:27] + "…"
        parts.append(f'<text x="{label_width - 6}" y="{y + 12}" text-anchor="end">{escape(name)}</text>')
        parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{full:.1f}" height="12" fill="#dde5f0"/>')
        parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{got:.1f}" height="12" fill="#2f5d8a"/>')
        parts.append(f'<text x="{label_width + full + 4:.1f}" y="{y + 12}" fill="#333">'
                     f'{escape(plain(contribution))} / {escape(plain(weight))}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def bar_chart_svg(items: list[tuple[str, object]], *, font_family: str, unit: str = "") -> str:
    """A small vertical bar chart of labelled values (the portfolio report's distributions)."""
    values = [max(dec(v) or Decimal(0), Decimal(0)) for _label, v in items]
    if not items:
        return ""
    column, gap, height, top, bottom = 38, 8, 120, 14, 26
    width = len(items) * (column + gap) + gap
    peak = max(values + [Decimal(1)])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + top + bottom}" '
             f'viewBox="0 0 {width} {height + top + bottom}" font-family="{escape(font_family)}" font-size="8">']
    for i, ((label, _v), value) in enumerate(zip(items, values)):
        x = gap + i * (column + gap)
        h = float(value / peak) * height
        y = top + height - h
        parts.append(f'<rect x="{x}" y="{y:.1f}" width="{column}" height="{h:.1f}" fill="#2f5d8a"/>')
        parts.append(f'<text x="{x + column / 2}" y="{y - 3:.1f}" text-anchor="middle">'
                     f'{escape(plain(value, 0))}{escape(unit)}</text>')
        parts.append(f'<text x="{x + column / 2}" y="{top + height + 12}" text-anchor="middle">{escape(str(label))}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def trend_of(values: list, *, lower_is_better: bool = False) -> tuple[str, str]:
    """Arrow and tone of a series (oldest first): ("↑", "good"), ("↓", "bad"), ("→", "flat") or ("", "")."""
    numbers = [dec(v) for v in values if dec(v) is not None]
    if len(numbers) < 2:
        return "", ""
    first, last = numbers[0], numbers[-1]
    if last == first:
        return "→", "flat"
    rising = last > first
    good = rising != lower_is_better
    return ("↑" if rising else "↓"), ("good" if good else "bad")
