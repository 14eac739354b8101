"""The Suspend / Lift buttons of the customer page come from ``services.customer_actions``, which follows the
statuses the services accept and the permissions (suspend: credit roles; lift: approvers)."""
import pytest
from django.urls import reverse

from customers import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(make_customer):
    return make_customer()


def _holder(users, permission, customer):
    """A user with ``permission`` who sees ``customer``."""
    from customers.models import Customer

    return next(u for u in users.values() if u.has_perm(permission)
                and Customer.objects.visible_to(u).filter(pk=customer.pk).exists())


def test_suspend_then_lift(users, customer, client_for):
    suspender = _holder(users, "customers.suspend_customer", customer)
    lifter = _holder(users, "customers.resume_customer", customer)
    assert services.customer_actions(suspender, customer) == {"suspend": True, "resume": False}
    url = reverse("customers:customer_detail", args=[customer.pk])
    assert reverse("customers:customer_suspend", args=[customer.pk]) in client_for(suspender).get(url).content.decode()

    services.customer_suspend(actor=suspender, customer=customer, reason="Fraud alert")
    customer.refresh_from_db()
    assert not services.customer_actions(suspender, customer)["suspend"]
    assert services.customer_actions(lifter, customer)["resume"]
    page = client_for(lifter).get(url).content.decode()
    assert reverse("customers:customer_resume", args=[customer.pk]) in page
    assert reverse("customers:customer_suspend", args=[customer.pk]) not in page


def test_no_permission_no_button(users, customer):
    nobody = next(u for u in users.values() if not u.has_perm("customers.suspend_customer")
                  and not u.has_perm("customers.resume_customer"))
    assert services.customer_actions(nobody, customer) == {"suspend": False, "resume": False}
