"""What insurance provides to lower apps at start-up (``InsuranceConfig.ready``): the ``coverage`` inputs of a
rating (``ratings.providers.INPUT_SOURCES``) and the uninsured cap by grade as a policy check of an
application (``credit.providers.POLICY_CHECKS``)."""
from __future__ import annotations

import logging

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from creditportal.core.money import MissingRate, RateTable

from . import rules, selectors

log = logging.getLogger(__name__)


class CoverageInputs:
    """``inputs["coverage"]`` of a rating: ``insured_share`` (insured part / exposure, ``"0.4500"``) and
    ``collateral_coverage`` (lendable collateral plus guarantees over the exposure, credit's coverage rule);
    a key is absent when the customer has no exposure. Set-wise: 7 queries for any number of customers."""

    namespace = "coverage"

    def inputs_for(self, customer_ids, on_date) -> dict[int, dict]:
        from credit.selectors import collateral_coverages, customer_exposures

        ids = list(customer_ids)
        if not ids:
            return {}
        table = RateTable(on_date)
        try:
            exposures = customer_exposures(ids, table=table)
        except MissingRate as exc:
            log.warning("coverage inputs: %s", exc)
            return {}
        splits = selectors.split_exposures(exposures, on_date, table=table)
        coverages = collateral_coverages(ids, table=table, exposures=exposures)
        result = {}
        for cid in ids:
            values = {}
            share = splits[cid].insured_share
            if share is not None:
                values["insured_share"] = str(share)
            if coverages.get(cid) is not None:
                values["collateral_coverage"] = str(coverages[cid])
            result[cid] = values
        return result


def _money(amount) -> str:
    """Stored with the policy check as shown everywhere: "CNY 30,000,000.00"."""
    return f"{settings.REPORTING_CURRENCY} {rules.q2(amount):,}"


class UninsuredCapCheck:
    """The credit policy's cap on the uninsured exposure by grade: an application whose customer's uninsured
    exposure after approval exceeds the cap of its grade is a policy exception (a soft violation: credit routes
    it to the top level, the one exception route). The insured and uninsured parts are shown with the check."""

    key = "insurance.uninsured_cap"
    messages = {"max_uninsured": gettext_lazy("The customer's uninsured exposure after this amount exceeds the "
                                              "policy's cap for the grade.")}

    def check(self, application, *, grade, exposure_after, on_date):
        from credit.rules import SOFT, Violation

        split = selectors.split_exposures({application.customer_id: exposure_after}, on_date,
                                          table=RateTable(on_date))[application.customer_id]
        cap = selectors.uninsured_caps().get(grade) if grade else None
        # stored with the policy check: labels as msgids, translated when shown (the reader's language, not the
        # submitter's), amounts with their currency
        facts = [
            {"label": gettext_noop("Insured part after approval"), "value": _money(split.insured)},
            {"label": gettext_noop("Uninsured part after approval"), "value": _money(split.uninsured),
             "grade": grade or "", "cap": "" if cap is None else _money(cap)},
        ]
        violations = []
        if rules.uninsured_over_cap(split.uninsured, cap):
            violations.append(Violation("max_uninsured", SOFT, str(cap), str(split.uninsured)))
        return violations, facts
