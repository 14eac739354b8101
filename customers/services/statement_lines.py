"""The detailed lines of a statement (``customers.chart``): reading them, checking them through
``customers.rules`` (subtotals, balance, change in cash) and naming the line in every refusal."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _

from creditportal.core.money import to_decimal

from .. import chart
from .. import rules
from ..labels import line_label
from ..models import FinancialStatement, PeriodType

LINE_LIMIT = Decimal("1e17")
REQUIRED_CODES = ["BS199", "BS249", "BS399"]


def field_name(code: str) -> str:
    """The error key (and form field) of a line: ``lines.BS101``."""
    return f"lines.{code}"


def clean_lines(raw, errors: dict) -> dict[str, Decimal]:
    """``{code: Decimal}`` from ``{code: number or text}``; a bad entry adds an error under its line."""
    if not isinstance(raw, dict):
        errors.setdefault("lines", []).append(_("Give the lines as an object of line code → amount."))
        return {}
    unknown = sorted(str(code) for code in raw if code not in chart.BY_CODE)
    if unknown:
        errors.setdefault("lines", []).append(
            _("Unknown line code(s): %(codes)s.") % {"codes": ", ".join(unknown)})
    result = {}
    for code in chart.CODES:
        value = raw.get(code)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if isinstance(value, (bool, float)):
            value = None if isinstance(value, bool) else repr(value)
        try:
            number = to_decimal(value) if value is not None else None
        except ValueError:
            number = None
        if number is None:
            errors.setdefault(field_name(code), []).append(
                _("%(line)s: enter a number.") % {"line": line_label(code)})
        elif abs(number) >= LINE_LIMIT:
            errors.setdefault(field_name(code), []).append(
                _("%(line)s: this number is too large.") % {"line": line_label(code)})
        elif number != number.quantize(Decimal("0.01")):
            errors.setdefault(field_name(code), []).append(
                _("%(line)s: use at most two decimals.") % {"line": line_label(code)})
        else:
            result[code] = number
    return result


def problem_message(problem: rules.StatementProblem) -> str:
    v = problem.values
    line = line_label(problem.code)
    if problem.kind == "negative":
        return _("%(line)s cannot be negative (%(given)s).") % {"line": line, "given": v["given"]}
    if problem.kind == "subtotal":
        return _("%(line)s is %(given)s but its lines add up to %(expected)s (difference %(diff)s).") % {
            "line": line, "given": v["given"], "expected": v["expected"], "diff": v["difference"]}
    if problem.kind == "equal":
        return _("%(line)s is %(given)s but must equal %(other)s, %(expected)s (difference %(diff)s).") % {
            "line": line, "given": v["given"], "other": line_label(v["other"]), "expected": v["expected"],
            "diff": v["difference"]}
    if problem.kind == "balance":
        return _("The balance sheet does not balance: %(line)s %(given)s ≠ total liabilities and owners' equity "
                 "%(expected)s (difference %(diff)s).") % {
            "line": line, "given": v["given"], "expected": v["expected"], "diff": v["difference"]}
    if problem.kind == "cash_change":
        return _("%(line)s is %(given)s yuan but cash changed by %(expected)s yuan since the previous period "
                 "(%(previous)s → %(closing)s).") % {
            "line": line, "given": v["given"], "expected": v["expected"], "previous": v["previous"],
            "closing": v["closing"]}
    return line  # pragma: no cover - every kind is listed above


def previous_statement(*, customer_id, period_end: dt.date, period_type: str, consolidated: bool, exclude_pk=None):
    """The statement whose closing cash opens this one's cash flow: for an annual statement the annual one a year
    before; for an interim one (year to date) the annual one of the previous year end. ``None`` if absent."""
    candidates = FinancialStatement.objects.filter(
        customer_id=customer_id, consolidated=consolidated, period_type=PeriodType.ANNUAL,
        period_end__lt=period_end, period_end__gte=period_end - dt.timedelta(days=400))
    if exclude_pk:
        candidates = candidates.exclude(pk=exclude_pk)
    for candidate in candidates.order_by("-period_end"):
        if period_type == PeriodType.ANNUAL and rules.is_previous_period(period_end, candidate.period_end):
            return candidate
        if period_type != PeriodType.ANNUAL and candidate.period_end == dt.date(period_end.year - 1, 12, 31):
            return candidate
    return None


def validate_lines(raw, data: dict, errors: dict, *, customer_id=None, exclude_pk=None) -> None:
    """Check the detailed lines of a statement whose header is ``data``; on success put the completed lines
    (subtotals computed where missing), the layout and the key figures into ``data``; problems go to
    ``errors`` under ``lines.<code>``."""
    from ..models import StatementLayout

    lines = clean_lines(raw, errors)
    if any(key == "lines" or key.startswith("lines.") for key in errors):
        return
    for problem in rules.check_lines(lines):
        errors.setdefault(field_name(problem.code), []).append(problem_message(problem))
    complete = rules.complete_subtotals(lines)
    for code in REQUIRED_CODES:
        if code not in complete and field_name(code) not in errors:
            errors.setdefault(field_name(code), []).append(
                _("%(line)s is required.") % {"line": line_label(code)})
    if errors:
        return
    unit = data.get("unit")
    if customer_id and data.get("period_end") and unit:
        previous = previous_statement(customer_id=customer_id, period_end=data["period_end"],
                                      period_type=data["period_type"], consolidated=data["consolidated"],
                                      exclude_pk=exclude_pk)
        if previous is not None:
            in_yuan = {code: value * unit for code, value in complete.items()}
            problem = rules.check_cash_change(in_yuan, previous.lines_in_yuan(),
                                              tolerance=Decimal(max(unit, previous.unit)))
            if problem is not None:
                errors.setdefault(field_name(problem.code), []).append(problem_message(problem))
                return
    data["layout"] = StatementLayout.GENERAL_2019
    data["lines"] = {code: format(value, "f") for code, value in complete.items()}
    data.update(chart.key_figures_from_lines(complete))
