"""Checking a read import (``adapters.RawImport``) into the portal's cleaned format, or refusing it whole.

The first bad value refuses the file, naming the row (``ImportRefused``: 400, ``row`` and ``errors``): an import
is stored completely or not at all. The cleaned content is plain JSON (dates ISO, amounts as text) — what is
stored, hashed and compared (``rules.diff``).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from creditportal.core import dates
from creditportal.core.errors import ValidationFailed
from creditportal.core.money import CURRENCIES, to_decimal

from . import rules

TRUE_WORDS = {"yes", "true", "1", "y", "是", "已结案", "closed", "released", "已解除"}
FALSE_WORDS = {"", "no", "false", "0", "n", "否", "未结案", "open"}
MAX_AMOUNT = Decimal("1e16")


class ImportRefused(ValidationFailed):
    """The file imports nothing; ``row`` says where the first problem is."""

    def __init__(self, message, *, row: str = "", field: str = ""):
        text = _("%(row)s: %(message)s") % {"row": row, "message": message} if row else message
        super().__init__(text, field_errors={"file": [text]})
        self.row = row
        self.field = field


class _Row:
    def __init__(self, data, where: str):
        if not isinstance(data, dict):
            raise ImportRefused(_("expected a record (an object with fields)."), row=where)
        self.data = data
        self.where = where

    def refuse(self, field, message):
        raise ImportRefused(_("%(field)s: %(message)s") % {"field": field, "message": message}, row=self.where,
                            field=field)

    def text(self, field, *, required=False, max_length=200) -> str:
        value = self.data.get(field)
        text = "" if value is None else str(value).strip()
        if required and not text:
            self.refuse(field, _("This value is required."))
        if len(text) > max_length:
            self.refuse(field, _("At most %(n)s characters.") % {"n": max_length})
        return text

    def date(self, field, *, required=True) -> str | None:
        text = self.text(field, required=required)
        if not text:
            return None
        try:
            value = dt.date.fromisoformat(text[:10])
        except ValueError:
            self.refuse(field, _("Enter a date as YYYY-MM-DD, not %(value)s.") % {"value": text})
        try:
            dates.require_plausible(value, field=field)
        except ValidationFailed:
            self.refuse(field, _("%(value)s is not a plausible date.") % {"value": text})
        return value.isoformat()

    def amount(self, field, *, required=False) -> str | None:
        text = self.text(field, required=required)
        if not text:
            return None
        try:
            value = to_decimal(text)
        except Exception:
            value = None
        if value is None or not value.is_finite() or value < 0 or value >= MAX_AMOUNT:
            self.refuse(field, _("%(value)s is not an amount (digits, a decimal point, not negative).")
                        % {"value": text})
        return str(value.quantize(Decimal("0.01")))

    def number(self, field, *, low, high) -> int:
        text = self.text(field, required=True)
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not (low <= value <= high):
            self.refuse(field, _("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high})
        return value

    def share(self, field) -> str:
        text = self.text(field, required=True).rstrip("%")
        try:
            value = to_decimal(text)
        except Exception:
            value = None
        if value is None or not (Decimal(0) < value <= Decimal(100)):
            self.refuse(field, _("A share is a percentage above 0 and at most 100."))
        return str(value.quantize(Decimal("0.0001")))

    def flag(self, field) -> bool:
        value = self.data.get(field)
        if isinstance(value, bool):
            return value
        text = "" if value is None else str(value).strip().lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        self.refuse(field, _("Answer yes or no."))

    def currency(self, field="currency") -> str:
        text = self.text(field).upper() or settings.REPORTING_CURRENCY
        if text not in {code for code, _label in CURRENCIES}:
            self.refuse(field, _("Unknown currency %(value)s.") % {"value": text})
        return text

    def choice(self, field, table: dict) -> str:
        text = self.text(field, required=True)
        code = rules.code_for(text, table)
        if code is None:
            self.refuse(field, _("%(value)s is not one of %(choices)s.")
                        % {"value": text, "choices": ", ".join(w for words in table.values() for w in words[:2])})
        return code


def _list(raw, section) -> list:
    value = raw.content.get(section)
    if not isinstance(value, list):
        raise ImportRefused(_("expected a list of records."), row=raw.locate(section))
    return value


def _registration(raw) -> dict:
    row = _Row(raw.content[rules.REGISTRATION], raw.locate(rules.REGISTRATION))
    record = {
        "status": row.choice("status", rules.STATUS_WORDS),
        "registered_capital": row.amount("registered_capital"),
        "paid_in_capital": row.amount("paid_in_capital"),
        "currency": row.currency(),
        "legal_representative": row.text("legal_representative", max_length=120),
        "actual_controller": row.text("actual_controller"),
        "shareholders": [], "changes": [],
    }
    for key in ("shareholders", "changes"):
        items = row.data.get(key) or []
        if not isinstance(items, list):
            row.refuse(key, _("Expected a list of records."))
        for index, item in enumerate(items):
            child = _Row(item, raw.locate(f"{rules.REGISTRATION}.{key}", index))
            if key == "shareholders":
                record[key].append({"name": child.text("name", required=True), "share": child.share("share")})
            else:
                record[key].append({"changed_on": child.date("changed_on"), "item": child.text("item", required=True),
                                    "before": child.text("before", max_length=500),
                                    "after": child.text("after", max_length=500)})
    total = sum(Decimal(s["share"]) for s in record["shareholders"])
    if total > Decimal(100):
        row.refuse("shareholders", _("The shares add up to %(total)s%%, more than 100%%.") % {"total": total})
    return record


def _court(row: _Row) -> dict:
    return {"kind": row.choice("kind", rules.COURT_WORDS), "case_number": row.text("case_number", required=True),
            "court": row.text("court"), "filed_on": row.date("filed_on"), "amount": row.amount("amount"),
            "currency": row.currency(), "closed": row.flag("closed")}


def _penalty(row: _Row) -> dict:
    return {"decision_number": row.text("decision_number", required=True),
            "authority": row.text("authority", required=True), "decided_on": row.date("decided_on"),
            "reason": row.text("reason", max_length=2000), "amount": row.amount("amount"), "currency": row.currency()}


def _tax(row: _Row) -> dict:
    rating = row.text("rating", required=True).upper()
    if rating not in rules.TAX_ORDER:
        row.refuse("rating", _("A tax credit rating is one of A, B, M, C, D."))
    return {"year": row.number("year", low=2000, high=2100), "rating": rating}


def _pledge(row: _Row) -> dict:
    return {"kind": row.choice("kind", rules.PLEDGE_WORDS),
            "registration_number": row.text("registration_number", required=True),
            "pledgee": row.text("pledgee", required=True), "amount": row.amount("amount"),
            "currency": row.currency(), "registered_on": row.date("registered_on"), "released": row.flag("released")}


def _credit_report(raw) -> dict:
    row = _Row(raw.content[rules.CREDIT_REPORT], raw.locate(rules.CREDIT_REPORT))
    record = {"report_date": row.date("report_date"), "currency": row.currency(),
              "overdue_amount": row.amount("overdue_amount") or "0.00",
              "guarantees_given": row.amount("guarantees_given") or "0.00",
              "queries_3m": row.number("queries_3m", low=0, high=100000) if row.text("queries_3m") else 0,
              "loans": []}
    loans = row.data.get("loans") or []
    if not isinstance(loans, list):
        row.refuse("loans", _("Expected a list of records."))
    for index, item in enumerate(loans):
        child = _Row(item, raw.locate(f"{rules.CREDIT_REPORT}.loans", index))
        record["loans"].append({"lender": child.text("lender", required=True),
                                "outstanding": child.amount("outstanding", required=True),
                                "overdue": child.amount("overdue") or "0.00"})
    return record


_LISTS = {rules.COURT: (_court, ("kind", "case_number")), rules.PENALTY: (_penalty, ("decision_number",)),
          rules.TAX: (_tax, ("year",)), rules.PLEDGE: (_pledge, ("kind", "registration_number"))}


def clean(raw) -> dict:
    """``{"source", "as_of", <section>: cleaned}`` for the sections the file holds; ``ImportRefused`` otherwise."""
    head = _Row(raw.content, _("The file"))
    source = head.text("source", required=True, max_length=120)
    as_of = head.date("as_of")
    unknown = [key for key in raw.content if key not in ("source", "as_of", "customer", *rules.KINDS)]
    if unknown:
        head.refuse(unknown[0], _("unknown section; the sections are %(sections)s.")
                    % {"sections": ", ".join(rules.KINDS)})
    cleaned = {"source": source, "as_of": as_of}
    if rules.REGISTRATION in raw.content:
        cleaned[rules.REGISTRATION] = _registration(raw)
    if rules.CREDIT_REPORT in raw.content:
        cleaned[rules.CREDIT_REPORT] = _credit_report(raw)
    for section, (clean_row, key_fields) in _LISTS.items():
        if section not in raw.content:
            continue
        records, seen = [], set()
        for index, item in enumerate(_list(raw, section)):
            row = _Row(item, raw.locate(section, index))
            record = clean_row(row)
            key = tuple(rules.name_key(record[f]) for f in key_fields)
            if key in seen:
                row.refuse(key_fields[-1], _("the same record appears twice in the file."))
            seen.add(key)
            records.append(record)
        cleaned[section] = records
    if not any(kind in cleaned for kind in rules.KINDS):
        head.refuse("sections", _("The file holds no section; expected one of %(sections)s.")
                    % {"sections": ", ".join(rules.KINDS)})
    return cleaned
