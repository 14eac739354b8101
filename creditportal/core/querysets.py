"""Querysets shared by the apps' models (the customer-scoped one is ``customers.models.ScopedQuerySet``)."""
from django.db import models


class StaffQuerySet(models.QuerySet):
    """Configuration and portfolio-level results: every active user holding the model's view permission sees
    all of them; anyone else none."""

    def visible_to(self, user):
        perm = f"{self.model._meta.app_label}.view_{self.model._meta.model_name}"
        if user and user.is_authenticated and user.is_active and user.has_perm(perm):
            return self
        return self.none()
