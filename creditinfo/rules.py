"""The rules of outside credit information, in plain Python (no Django, no other app).

* **Changes between two imports** (``diff``): for each record kind a new import covers, what it shows against the
  information in force before it (the previous import covering that kind; none: everything is new):

  ============================  ===========================================================================
  change                        when
  ============================  ===========================================================================
  ``registration_status``       the registration status is not 存续 (active) and was not the same before
  ``controller_changed``        the actual controller differs from the one before (names compared by
                                ``name_key``: case, spaces and brackets ignored); not raised when either is blank
  ``new_dishonest``             a 失信被执行人 record (court kind ``dishonest``) not seen before (kind + case number)
  ``new_bankruptcy``            a bankruptcy record not seen before
  ``new_enforcement``           another court record (被执行人, 限制高消费, lawsuit as defendant) not seen before
  ``new_penalty``               an administrative penalty not seen before (decision number)
  ``tax_downgraded``            the latest year's tax credit rating is worse (A > B > M > C > D) than the latest
                                one before; with nothing before, a C or D
  ``new_equity_pledge``         an equity pledge not seen before (registration number), not released
  ``new_chattel_mortgage``      a chattel mortgage not seen before, not released
  ``credit_overdue_up``         the overdue amount of the central bank's credit report is higher than before
                                (nothing before: above zero)
  ============================  ===========================================================================

* **Rating inputs** (``rating_inputs``, namespace ``outside`` of ``ratings.providers.INPUT_SOURCES``): from the
  records in force; a kind never imported leaves its keys out (the rating sees "not available").
* **Controlling shareholder**: a share of ``CONTROLLING_SHARE`` per cent or more (``is_controlling``).
* **Group suggestions** (``suggest_groups``): customers sharing an actual controller, or a controlling
  shareholder, are suggested as one group unless they already all belong to the same group.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from portal_rules.decimals import parse_decimal

# Record kinds (sections of an import).
REGISTRATION = "registration"
COURT = "court_records"
PENALTY = "penalties"
TAX = "tax_ratings"
PLEDGE = "pledges"
CREDIT_REPORT = "credit_report"
KINDS = (REGISTRATION, COURT, PENALTY, TAX, PLEDGE, CREDIT_REPORT)
SINGLE_KINDS = (REGISTRATION, CREDIT_REPORT)  # one record per import; the others are lists

STATUS_ACTIVE, STATUS_REVOKED, STATUS_CANCELLED = "active", "revoked", "cancelled"
COURT_DISHONEST, COURT_ENFORCED, COURT_CONSUMPTION_BAN = "dishonest", "enforced", "consumption_ban"
COURT_LAWSUIT, COURT_BANKRUPTCY = "lawsuit", "bankruptcy"
PLEDGE_EQUITY, PLEDGE_CHATTEL = "equity_pledge", "chattel_mortgage"
TAX_ORDER = ("A", "B", "M", "C", "D")  # best first

CHANGE_STATUS = "registration_status"
CHANGE_CONTROLLER = "controller_changed"
CHANGE_DISHONEST = "new_dishonest"
CHANGE_BANKRUPTCY = "new_bankruptcy"
CHANGE_ENFORCEMENT = "new_enforcement"
CHANGE_PENALTY = "new_penalty"
CHANGE_TAX = "tax_downgraded"
CHANGE_EQUITY_PLEDGE = "new_equity_pledge"
CHANGE_CHATTEL = "new_chattel_mortgage"
CHANGE_OVERDUE = "credit_overdue_up"
CHANGES = (CHANGE_STATUS, CHANGE_CONTROLLER, CHANGE_DISHONEST, CHANGE_BANKRUPTCY, CHANGE_ENFORCEMENT, CHANGE_PENALTY,
           CHANGE_TAX, CHANGE_EQUITY_PLEDGE, CHANGE_CHATTEL, CHANGE_OVERDUE)

CONTROLLING_SHARE = Decimal("50")
COURT_YEARS = 3

# Words a source may use for a status, court kind or pledge kind → the portal's code.
STATUS_WORDS = {
    STATUS_ACTIVE: ("active", "存续", "在业", "开业", "存续（在营、开业、在册）"),
    STATUS_REVOKED: ("revoked", "吊销", "吊销，未注销", "吊销,未注销"),
    STATUS_CANCELLED: ("cancelled", "canceled", "deregistered", "注销", "已注销"),
}
COURT_WORDS = {
    COURT_DISHONEST: ("dishonest", "失信被执行人", "失信"),
    COURT_ENFORCED: ("enforced", "被执行人"),
    COURT_CONSUMPTION_BAN: ("consumption_ban", "限制高消费", "限高"),
    COURT_LAWSUIT: ("lawsuit", "被告", "诉讼", "lawsuit as defendant"),
    COURT_BANKRUPTCY: ("bankruptcy", "破产", "破产重整", "破产清算"),
}
PLEDGE_WORDS = {
    PLEDGE_EQUITY: ("equity_pledge", "股权出质", "股权质押"),
    PLEDGE_CHATTEL: ("chattel_mortgage", "动产抵押"),
}


def code_for(word, table: dict) -> str | None:
    """The code ``word`` names in ``table`` (code or one of its words, case and spaces ignored), or None."""
    text = str(word or "").strip().lower()
    for code, words in table.items():
        if text in (w.lower() for w in words):
            return code
    return None


_NAME_NOISE = re.compile(r"[\s()（）【】\[\]·.,，、]+")


def name_key(name) -> str:
    """A person's or company's name as compared: case, spaces, brackets and punctuation ignored."""
    return _NAME_NOISE.sub("", str(name or "")).casefold()


def is_controlling(share) -> bool:
    return share is not None and parse_decimal(share) >= CONTROLLING_SHARE


def _amount(value) -> Decimal:
    return Decimal(0) if value in (None, "") else parse_decimal(value)


# --- Changes between two imports --------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    kind: str
    detail: dict


def diff(kind: str, old, new) -> list[Change]:
    """The changes section ``kind`` of a new import shows against the section in force (``old``; None: none).
    Sections are in the portal's cleaned format (a dict for registration and the credit report, else a list)."""
    return _DIFFS[kind](old, new)


def _diff_registration(old, new) -> list[Change]:
    changes = []
    if new["status"] != STATUS_ACTIVE and (old is None or old["status"] != new["status"]):
        changes.append(Change(CHANGE_STATUS, {"status": new["status"],
                                              "before": old["status"] if old else None}))
    if old is not None:
        before, after = old.get("actual_controller") or "", new.get("actual_controller") or ""
        if before and after and name_key(before) != name_key(after):
            changes.append(Change(CHANGE_CONTROLLER, {"before": before, "after": after}))
    return changes


def _new_rows(old, new, key):
    seen = {key(row) for row in (old or [])}
    return [row for row in new if key(row) not in seen]


def _diff_court(old, new) -> list[Change]:
    kinds = {COURT_DISHONEST: CHANGE_DISHONEST, COURT_BANKRUPTCY: CHANGE_BANKRUPTCY}
    return [Change(kinds.get(row["kind"], CHANGE_ENFORCEMENT),
                   {"court_kind": row["kind"], "case_number": row["case_number"], "filed_on": row["filed_on"],
                    "amount": row.get("amount")})
            for row in _new_rows(old, new, lambda r: (r["kind"], name_key(r["case_number"])))]


def _diff_penalties(old, new) -> list[Change]:
    return [Change(CHANGE_PENALTY, {"decision_number": row["decision_number"], "authority": row["authority"],
                                    "decided_on": row["decided_on"], "amount": row.get("amount")})
            for row in _new_rows(old, new, lambda r: name_key(r["decision_number"]))]


def latest_tax_rating(rows) -> tuple[int, str] | None:
    rows = list(rows or [])
    if not rows:
        return None
    latest = max(rows, key=lambda r: int(r["year"]))
    return int(latest["year"]), latest["rating"]


def _diff_tax(old, new) -> list[Change]:
    after, before = latest_tax_rating(new), latest_tax_rating(old)
    if after is None:
        return []
    if before is None:
        worse = after[1] in ("C", "D")
    else:
        worse = TAX_ORDER.index(after[1]) > TAX_ORDER.index(before[1])
    if not worse:
        return []
    return [Change(CHANGE_TAX, {"year": after[0], "rating": after[1],
                                "before": before[1] if before else None})]


def _diff_pledges(old, new) -> list[Change]:
    kinds = {PLEDGE_EQUITY: CHANGE_EQUITY_PLEDGE, PLEDGE_CHATTEL: CHANGE_CHATTEL}
    return [Change(kinds[row["kind"]], {"registration_number": row["registration_number"], "pledgee": row["pledgee"],
                                        "registered_on": row["registered_on"], "amount": row.get("amount")})
            for row in _new_rows(old, new, lambda r: (r["kind"], name_key(r["registration_number"])))
            if not row.get("released")]


def _diff_credit_report(old, new) -> list[Change]:
    before = _amount(old["overdue_amount"]) if old else Decimal(0)
    after = _amount(new["overdue_amount"])
    if after > before:
        return [Change(CHANGE_OVERDUE, {"before": str(before), "after": str(after), "currency": new["currency"],
                                        "report_date": new["report_date"]})]
    return []


_DIFFS = {REGISTRATION: _diff_registration, COURT: _diff_court, PENALTY: _diff_penalties, TAX: _diff_tax,
          PLEDGE: _diff_pledges, CREDIT_REPORT: _diff_credit_report}


# --- Rating inputs ----------------------------------------------------------------------------------------

def _years_before(on_date: dt.date, years: int) -> dt.date:
    try:
        return on_date.replace(year=on_date.year - years)
    except ValueError:  # 29 February
        return on_date.replace(year=on_date.year - years, day=28)


def rating_inputs(*, on_date: dt.date, kinds, registration_status=None, court=(), tax=(), penalties=(),
                  pledges=(), credit_overdue=None) -> dict:
    """The ``outside`` inputs of one customer from the records in force.

    ``kinds``: the record kinds ever imported for the customer; ``court``: ``(kind, filed_on, closed)``;
    ``tax``: ``(year, rating)``; ``penalties``: ``decided_on`` dates; ``pledges``: ``(kind, released)``;
    ``credit_overdue``: the credit report's overdue amount (reporting currency, text).

    Keys: ``registration_status`` (active / revoked / cancelled); ``court_records_3y`` (court records filed in
    the three years up to ``on_date``); ``dishonest`` and ``bankruptcy`` (``yes`` when an open record exists,
    else ``no``); ``tax_rating`` (the latest year's letter); ``penalties_3y``; ``equity_pledges`` (not released);
    ``credit_report_overdue``. Numbers as text."""
    kinds = set(kinds)
    result: dict = {}
    since = _years_before(on_date, COURT_YEARS)
    if REGISTRATION in kinds and registration_status:
        result["registration_status"] = registration_status
    if COURT in kinds:
        court = list(court)
        result["court_records_3y"] = str(sum(1 for _k, filed, _c in court if since < filed <= on_date))
        result["dishonest"] = "yes" if any(k == COURT_DISHONEST and not c for k, _f, c in court) else "no"
        result["bankruptcy"] = "yes" if any(k == COURT_BANKRUPTCY and not c for k, _f, c in court) else "no"
    if TAX in kinds:
        latest = latest_tax_rating({"year": y, "rating": r} for y, r in tax)
        if latest is not None:
            result["tax_rating"] = latest[1]
    if PENALTY in kinds:
        result["penalties_3y"] = str(sum(1 for decided in penalties if since < decided <= on_date))
    if PLEDGE in kinds:
        result["equity_pledges"] = str(sum(1 for k, released in pledges if k == PLEDGE_EQUITY and not released))
    if CREDIT_REPORT in kinds and credit_overdue is not None:
        result["credit_report_overdue"] = str(credit_overdue)
    return result


# --- Group suggestions ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Suggestion:
    reason: str  # "controller" or "shareholder"
    name: str  # the shared controller's or shareholder's name as first reported
    customer_ids: tuple


def suggest_groups(customers) -> list[Suggestion]:
    """``customers``: ``(customer_id, controller_name, [controlling shareholder names], group_id)``.
    One suggestion per shared name (controller first), customers in id order; none where every customer named
    already belongs to the same group, and a set of customers suggested once."""
    by_key: dict[tuple[str, str], list] = {}
    names: dict[tuple[str, str], str] = {}
    groups = {}
    for customer_id, controller, shareholders, group_id in customers:
        groups[customer_id] = group_id
        entries = [("controller", controller)] + [("shareholder", name) for name in shareholders]
        for reason, name in entries:
            key = name_key(name)
            if not key:
                continue
            members = by_key.setdefault((reason, key), [])
            if customer_id not in members:
                members.append(customer_id)
            names.setdefault((reason, key), str(name).strip())
    result, seen = [], set()
    for (reason, key), members in sorted(by_key.items(), key=lambda item: (item[0][0] != "controller", item[0][1])):
        ids = tuple(sorted(members))
        if len(ids) < 2 or ids in seen:
            continue
        member_groups = {groups[i] for i in ids}
        if len(member_groups) == 1 and None not in member_groups:
            continue
        seen.add(ids)
        result.append(Suggestion(reason, names[(reason, key)], ids))
    return result
