"""What credit reads from apps above it, through slots they fill (credit never imports them;
``creditportal.core.registry``).

Open receivables (provided by ``collection`` in its ``AppConfig.ready``)::

    from credit.providers import OPEN_RECEIVABLES

    class OpenInvoices:
        def open_amounts_by_facility(self, facility_ids) -> dict[int, Decimal]:
            # {facility_id: open (unpaid) invoice amount in THAT FACILITY'S currency}; missing ids count 0
        def open_amounts_by_customer(self, customer_ids) -> dict[int, list[tuple[Decimal, str]]]:
            # {customer_id: [(open amount, currency), ...]} for invoices not tied to a facility or for totals

    OPEN_RECEIVABLES.provide(OpenInvoices())

Both methods are called once per request or batch with every id at once (set-wise); they must not
issue one query per id. With no provider, open receivables count as zero.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Protocol, runtime_checkable

from creditportal.core import registry


@runtime_checkable
class OpenReceivablesProvider(Protocol):
    def open_amounts_by_facility(self, facility_ids) -> dict[int, Decimal]: ...

    def open_amounts_by_customer(self, customer_ids) -> dict[int, list[tuple[Decimal, str]]]: ...


OPEN_RECEIVABLES: registry.Slot[OpenReceivablesProvider] = registry.Slot(
    "credit.open_receivables", OpenReceivablesProvider)


def open_amounts_by_facility(facility_ids) -> dict[int, Decimal]:
    ids = list(facility_ids)
    provider = OPEN_RECEIVABLES.get()
    if provider is None or not ids:
        return {}
    return {k: Decimal(v) for k, v in (provider.open_amounts_by_facility(ids) or {}).items()}


def open_amounts_by_customer(customer_ids) -> dict[int, list[tuple[Decimal, str]]]:
    ids = list(customer_ids)
    provider = OPEN_RECEIVABLES.get()
    if provider is None or not ids:
        return {}
    return dict(provider.open_amounts_by_customer(ids) or {})


@runtime_checkable
class DecisionWarningsProvider(Protocol):
    def for_customer(self, customer) -> list[dict]: ...


# The warnings an approver must acknowledge before approving an application (provided by ``monitoring``:
# a pending downgrade, overdue beyond the policy's tolerance, an open high-severity alert, an expired rating, an
# open collection case): ``[{"code", "text", "params"}]``, text in the active language.
DECISION_WARNINGS: registry.Slot[DecisionWarningsProvider] = registry.Slot(
    "credit.decision_warnings", DecisionWarningsProvider)


def decision_warnings(customer) -> list[dict]:
    provider = DECISION_WARNINGS.get()
    return list(provider.for_customer(customer)) if provider is not None else []


@runtime_checkable
class DaysPastDueProvider(Protocol):
    def days_past_due(self, customer_ids, as_of) -> dict[int, int]: ...


# Days past due by debtor (provided by ``collection``: ``collection.selectors.days_past_due``, the one definition,
# ``collection.rules.debtor_days_past_due``), set-wise: ``{customer_id: days}``, 0 for a customer with nothing
# overdue. Read by the order holds. With no provider nobody is past due.
DAYS_PAST_DUE: registry.Slot[DaysPastDueProvider] = registry.Slot("credit.days_past_due", DaysPastDueProvider)


def days_past_due(customer_ids, as_of) -> dict[int, int]:
    ids = list(customer_ids)
    provider = DAYS_PAST_DUE.get()
    if provider is None or not ids:
        return {cid: 0 for cid in ids}
    found = provider.days_past_due(ids, as_of) or {}
    return {cid: int(found.get(cid, 0) or 0) for cid in ids}


# --- More policy checks of an application (credit insurance's uninsured cap, …) --------------------------
# A higher app adds a ``PolicyCheck`` to ``POLICY_CHECKS`` in its ``AppConfig.ready``. ``analyse`` calls each
# with the application, its grade and the customer's exposure after approval (reporting currency) and adds the
# ``credit.rules.Violation``s it returns to the policy result: a soft one makes the application a policy
# exception (the top level of the matrix decides, the one exception route), a hard one blocks it. ``facts``
# (``[{"label", "value"}]``, text in the active language) are stored with the policy check and shown on the
# application page. ``messages`` give each violation code its text for people.

@runtime_checkable
class PolicyCheck(Protocol):
    key: str
    messages: dict

    def check(self, application, *, grade, exposure_after, on_date) -> tuple[list, list[dict]]: ...


POLICY_CHECKS: registry.Hook[PolicyCheck] = registry.Hook("credit.policy_checks", PolicyCheck,
                                                          key=lambda check: check.key)


def extra_policy_checks(application, *, grade, exposure_after, on_date) -> tuple[list, list[dict]]:
    """(violations, facts) of every registered check; no check registered → none."""
    violations, facts = [], []
    for check in POLICY_CHECKS.all():
        found, shown = check.check(application, grade=grade, exposure_after=exposure_after, on_date=on_date)
        violations.extend(found)
        facts.extend(shown)
    return violations, facts


def policy_check_message(code: str):
    """The text of a violation code a registered check owns (``None``: no check knows it)."""
    for check in POLICY_CHECKS.all():
        if code in check.messages:
            return check.messages[code]
    return None
