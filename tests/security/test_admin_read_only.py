"""The Django admin writes nothing: every write goes through the services (permissions, four-eyes, audit)."""
import pytest
from django.contrib import admin
from django.test import RequestFactory

PROJECT_APPS = {"accounts", "audit", "customers", "ratings", "credit", "collection", "insurance", "monitoring", "reports",
                "validation"}


@pytest.mark.django_db
def test_every_project_model_in_the_admin_is_read_only_even_for_a_superuser(django_user_model):
    superuser = django_user_model.objects.create_superuser("root", "root@example.cn", "x-Strong-pass-1")
    request = RequestFactory().get("/admin/")
    request.user = superuser
    registered = {model: model_admin for model, model_admin in admin.site._registry.items()
                  if model._meta.app_label in PROJECT_APPS}
    assert len(registered) >= 15, sorted(m._meta.label for m in registered)
    for model, model_admin in registered.items():
        label = model._meta.label
        assert not model_admin.has_add_permission(request), label
        assert not model_admin.has_change_permission(request), label
        assert not model_admin.has_delete_permission(request), label
        assert model_admin.has_view_permission(request), label
