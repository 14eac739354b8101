"""Read scoping: the two rules every model's ``visible_to(user)`` is built from.

- ``CustomerScopedQuerySet``: rows reached from a customer through ``customer_path``. A user holding
  ``customers.view_all_customers`` sees all of them; a user holding ``customers.view_customer`` the rows of the
  customers they are relationship manager of; anyone else none.
- ``StaffQuerySet``: configuration and portfolio-level results: every active user holding the model's view
  permission sees all of them; anyone else none.

A model with another rule (a batch visible to its requester) builds it from ``active_user`` and
``sees_all_customers`` here rather than re-deriving them.
"""
from django.db import models

from .access import model_permission

VIEW_ALL_CUSTOMERS = "customers.view_all_customers"
VIEW_OWN_CUSTOMERS = "customers.view_customer"


def active_user(user) -> bool:
    """A signed-in, active user (anonymous, missing and deactivated users see nothing)."""
    return bool(user and user.is_authenticated and user.is_active)


def sees_all_customers(user) -> bool:
    return active_user(user) and user.has_perm(VIEW_ALL_CUSTOMERS)


def sees_own_customers(user) -> bool:
    return active_user(user) and user.has_perm(VIEW_OWN_CUSTOMERS)


def customer_scoped(queryset, user, customer_path: str = "customer"):
    """``queryset`` restricted to the rows of customers ``user`` may see; ``customer_path`` leads from the
    queryset's model to ``Customer`` (empty for ``Customer`` itself)."""
    if sees_all_customers(user):
        return queryset
    if sees_own_customers(user):
        prefix = f"{customer_path}__" if customer_path else ""
        return queryset.filter(**{f"{prefix}relationship_manager": user})
    return queryset.none()


class CustomerScopedQuerySet(models.QuerySet):
    """``visible_to(user)`` for a model reached from ``Customer`` through ``customer_path``."""

    customer_path = "customer"

    def visible_to(self, user):
        return customer_scoped(self, user, self.customer_path)


class StaffQuerySet(models.QuerySet):
    """Configuration and portfolio-level results: every active user holding the model's view permission sees
    all of them; anyone else none."""

    def visible_to(self, user):
        if active_user(user) and user.has_perm(model_permission(self.model, "view")):
            return self
        return self.none()


# A view's rows are the rows its user may see: ``get_queryset()`` is the declared ``queryset`` (or the ``model``'s
# rows) ``visible_to(request.user)``. For Django's generic views (a detail page answers 404 for another
# portfolio's object as for a missing one) and DRF's viewsets alike; declare the joins and the order on
# ``queryset`` (``queryset = Payment.objects.select_related("customer").order_by("-received_on", "-pk")``).
# (A comment, not a docstring: a viewset without one of its own keeps its description in the API schema.)
class VisibleRowsMixin:
    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)
