"""What creditinfo provides to lower apps at start-up (``AppConfig.ready``): the ``outside`` rating inputs."""
from __future__ import annotations

from collections import defaultdict

from django.conf import settings

from creditportal.core.money import MissingRate, RateTable

from . import rules
from .models import AdministrativePenalty, CourtRecord, CreditReport, OutsideImport, Pledge, Registration, TaxRating


class OutsideInputs:
    """``ratings.providers.INPUT_SOURCES`` source ``outside`` (keys: ``rules.rating_inputs``): the records in
    force, read set-wise (seven queries for any number of customers)."""

    namespace = "outside"

    def inputs_for(self, customer_ids, on_date) -> dict[int, dict]:
        ids = list(customer_ids)
        kinds = defaultdict(set)
        for customer_id, covered in OutsideImport.objects.filter(customer_id__in=ids).values_list("customer_id",
                                                                                                   "kinds"):
            kinds[customer_id].update(covered)
        if not kinds:
            return {}
        current = {"customer_id__in": list(kinds), "is_current": True}
        status = dict(Registration.objects.filter(**current).values_list("customer_id", "status"))
        court, tax, penalties, pledges = (defaultdict(list) for _i in range(4))
        for cid, kind, filed, closed in CourtRecord.objects.filter(**current).values_list(
                "customer_id", "kind", "filed_on", "closed"):
            court[cid].append((kind, filed, closed))
        for cid, year, rating in TaxRating.objects.filter(**current).values_list("customer_id", "year", "rating"):
            tax[cid].append((year, rating))
        for cid, decided in AdministrativePenalty.objects.filter(**current).values_list("customer_id", "decided_on"):
            penalties[cid].append(decided)
        for cid, kind, released in Pledge.objects.filter(**current).values_list("customer_id", "kind", "released"):
            pledges[cid].append((kind, released))
        overdue = {}
        table = None
        for cid, amount, currency in CreditReport.objects.filter(**current).values_list(
                "customer_id", "overdue_amount", "currency"):
            if currency != settings.REPORTING_CURRENCY:
                table = table or RateTable(on_date)
                try:
                    amount = table.convert(amount, currency)
                except MissingRate:
                    continue
            overdue[cid] = amount
        return {cid: rules.rating_inputs(on_date=on_date, kinds=covered, registration_status=status.get(cid),
                                         court=court[cid], tax=tax[cid], penalties=penalties[cid],
                                         pledges=pledges[cid], credit_overdue=overdue.get(cid))
                for cid, covered in kinds.items()}
