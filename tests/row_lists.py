"""Shared by the tests of the lists read from plain rows (``creditportal.core.api.RowListMixin``)."""
import pytest
from rest_framework import mixins
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from creditportal.core import api as core_api


@pytest.fixture(autouse=True)
def fresh_statements():
    """No compiled statement or table estimate left over from another test (they live in the process)."""
    core_api.forget_statements()
    core_api.forget_table_estimates()
    yield
    core_api.forget_statements()


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}",
                       HTTP_ACCEPT_LANGUAGE="en")
    return client


def drf_path(monkeypatch):
    """The lists as DRF serialises them (model instances through the serializer), for comparison."""
    monkeypatch.setattr(core_api.RowListMixin, "list",
                        lambda self, request, *a, **k: mixins.ListModelMixin.list(self, request, *a, **k))
