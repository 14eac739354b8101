"""The Credit tab of the customer page: facilities, applications, covenant breaches."""
from creditportal.core import access

from .. import rules, security, selectors
from ..models import CovenantBreach, CreditApplication, Facility


# --- Customer tab -----------------------------------------------------------------------------

def customer_credit_tab(customer, user):
    """The "Credit" tab of the customer page: facilities with utilisation, applications, breaches."""
    facilities = list(Facility.objects.visible_to(user).filter(customer=customer).order_by("-id"))
    used = selectors.utilisation(facilities)
    return {
        "facility_rows": [(f, used[f.pk], rules.utilisation_share(f.limit, used[f.pk])) for f in facilities],
        "applications": list(CreditApplication.objects.visible_to(user).filter(customer=customer)
                             .order_by("-created_at")[:20]),
        "breaches": list(CovenantBreach.objects.visible_to(user).filter(customer=customer)
                         .select_related("covenant")[:20]),
        "may_apply": access.has(user, "credit.add_creditapplication"),
        "revaluations": security.revaluations_due(customer_ids=[customer.pk]),
    }
