"""The demo data: a policy in force, the 3-level matrix, applications in several states; twice is harmless."""
import pytest

from credit import demo, selectors
from credit.models import ApproverAuthority, AuthorityLevel, CreditApplication, CreditPolicy, Facility

pytestmark = pytest.mark.django_db


def test_demo_loads_twice(users, make_customer, ratings_stub, fx):
    keys = [k for k, *_rest in demo.SCENARIOS]
    customers = {k: make_customer(k) for k in keys}
    for c in customers.values():
        ratings_stub[c.pk] = "A"
    context = {"users": users, "customers": customers}
    demo.load(context)
    demo.load(dict(context))
    assert CreditPolicy.objects.filter(status="in_force").count() == 1
    assert selectors.policy_in_force() is not None
    assert list(AuthorityLevel.objects.values_list("number", flat=True)) == [1, 2, 3]
    assert ApproverAuthority.objects.count() == 3
    states = dict(CreditApplication.objects.values_list("customer__name", "status"))
    assert states["huadong_cement"] == "facility_opened"
    assert states["huadong_parent"] == "pending_approval"
    assert states["lingnan_food"] == "submitted"
    assert states["huadong_logistics"] == "under_review"
    assert states["haixin_trade"] == "draft"
    assert Facility.objects.count() == 3
    assert set(context["facilities"]) == {"huadong_cement", "jinghua_tech", "pacific_parts"}
