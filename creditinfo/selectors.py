"""Reads of outside credit information shared by the customer tab, the pages and the API (set-wise)."""
from __future__ import annotations

from collections import defaultdict

from django.db.models import Prefetch

from customers.models import Customer

from . import rules
from .models import (AdministrativePenalty, CourtRecord, CreditReport, OutsideChange, OutsideImport, Pledge,
                     Registration, Shareholder, TaxRating)


def current_records(customer_ids) -> dict[int, dict]:
    """``{customer_id: {"registration", "court_records", "penalties", "tax_ratings", "pledges",
    "credit_report"}}``: the records in force (a constant number of queries)."""
    ids = list(customer_ids)
    result = {cid: {"registration": None, "court_records": [], "penalties": [], "tax_ratings": [], "pledges": [],
                    "credit_report": None} for cid in ids}
    current = {"customer_id__in": ids, "is_current": True}
    for registration in (Registration.objects.filter(**current)
                         .prefetch_related(Prefetch("shareholders", Shareholder.objects.order_by("-share", "name")))
                         .select_related("outside_import")):
        result[registration.customer_id]["registration"] = registration
    for report in CreditReport.objects.filter(**current).prefetch_related("loans").select_related("outside_import"):
        result[report.customer_id]["credit_report"] = report
    for key, model in (("court_records", CourtRecord), ("penalties", AdministrativePenalty),
                       ("tax_ratings", TaxRating), ("pledges", Pledge)):
        for record in model.objects.filter(**current).select_related("outside_import"):
            result[record.customer_id][key].append(record)
    return result


def customer_outside_tab(customer, user) -> dict:
    """The customer page's "Outside information" tab."""
    records = current_records([customer.pk])[customer.pk]
    return {
        "records": records,
        "imports": list(OutsideImport.objects.visible_to(user).filter(customer=customer)
                        .select_related("imported_by")[:20]),
        "changes": list(OutsideChange.objects.visible_to(user).filter(customer=customer)
                        .select_related("outside_import")[:50]),
        "can_import": user.has_perm("creditinfo.add_outsideimport"),
    }


def group_suggestions(user) -> list[dict]:
    """Customers (among those ``user`` sees) sharing an actual controller or a controlling shareholder, as
    ``rules.suggest_groups`` finds them: ``[{"reason", "name", "customers": [Customer, ...], "groups": [...]}]``."""
    visible = Customer.objects.visible_to(user)
    registrations = (Registration.objects.filter(is_current=True, customer__in=visible)
                     .values_list("id", "customer_id", "actual_controller"))
    controlling = defaultdict(list)
    for registration_id, name, share in Shareholder.objects.filter(
            registration__is_current=True, registration__customer__in=visible,
            share__gte=rules.CONTROLLING_SHARE).values_list("registration_id", "name", "share"):
        controlling[registration_id].append(name)
    rows = list(registrations)
    customers = {c.pk: c for c in visible.filter(pk__in=[r[1] for r in rows]).select_related("group")}
    found = rules.suggest_groups([(cid, controller, controlling[rid], customers[cid].group_id)
                                  for rid, cid, controller in rows if cid in customers])
    return [{"reason": s.reason, "name": s.name, "customer_ids": list(s.customer_ids),
             "customers": [customers[i] for i in s.customer_ids],
             "groups": sorted({customers[i].group for i in s.customer_ids if customers[i].group_id},
                              key=lambda g: g.name)}
            for s in found]
