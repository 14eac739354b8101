"""The cached permission set (creditportal.core.permcache): no permission queries on a warm request, and
every change of roles, permissions or the active flag takes effect on the very next request."""
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import services
from creditportal.core import access, permcache

LIST = "/api/v1/invoices/"


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def permission_queries(queries):
    return [q["sql"] for q in queries.captured_queries if "auth_permission" in q["sql"]]


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)  # what token authentication gives each request


@pytest.fixture
def analyst(users):
    return users["analyst"]


def test_a_warm_request_reads_no_permissions(analyst):
    client = token_client(analyst)
    with CaptureQueriesContext(connection) as first:
        assert client.get(LIST).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert client.get(LIST).status_code == 200
    assert len(permission_queries(first)) == 2  # the user's own and the groups' permissions, once
    assert permission_queries(second) == []
    assert len(second) <= len(first) - 2


def test_the_cached_set_is_the_backends_set(analyst, users):
    for user in (analyst, users["rm"], users["collector"], users["auditor"]):
        expected = fresh(user).get_all_permissions()  # computed, then cached
        assert fresh(user).get_all_permissions() == expected  # from the cache
        assert fresh(user).has_perm("collection.view_invoice") == ("collection.view_invoice" in expected)


def test_a_revoked_role_is_refused_on_the_very_next_request(analyst, users):
    client = token_client(analyst)
    assert client.get(LIST).status_code == 200
    services.user_update(actor=users["riskadmin"], user=fresh(analyst), roles=[], first_name="", last_name="",
                         email="")
    assert client.get(LIST).status_code == 403
    services.user_update(actor=users["riskadmin"], user=fresh(analyst), roles=["credit_analyst"], first_name="",
                         last_name="", email="")
    assert client.get(LIST).status_code == 200


def test_a_role_removed_from_the_group_side_is_refused_at_once(analyst):
    client = token_client(analyst)
    assert client.get(LIST).status_code == 200
    Group.objects.get(name="credit_analyst").user_set.remove(analyst)
    assert client.get(LIST).status_code == 403


def test_a_permission_taken_from_a_role_is_refused_at_once(analyst):
    client = token_client(analyst)
    assert client.get(LIST).status_code == 200
    view_invoice = Permission.objects.get(codename="view_invoice", content_type__app_label="collection")
    Group.objects.get(name="credit_analyst").permissions.remove(view_invoice)
    assert client.get(LIST).status_code == 403
    access.sync_role_permissions()  # the table puts it back
    assert client.get(LIST).status_code == 200


def test_a_permission_given_to_the_user_counts_at_once(users):
    rm = users["rm"]
    needed = "credit.approve_creditapplication"
    assert not fresh(rm).has_perm(needed)  # cached now
    rm.user_permissions.add(Permission.objects.get(codename="approve_creditapplication"))
    assert fresh(rm).has_perm(needed)
    rm.user_permissions.clear()
    assert not fresh(rm).has_perm(needed)


def test_deactivation_takes_effect_at_once(analyst, users):
    client = token_client(analyst)
    assert client.get(LIST).status_code == 200
    assert fresh(analyst).has_perm("collection.view_invoice")
    services.user_deactivate(actor=users["riskadmin"], user=fresh(analyst))
    assert client.get(LIST).status_code == 401
    assert not fresh(analyst).has_perm("collection.view_invoice")
    assert not access.has(fresh(analyst), "collection.view_invoice")
    services.user_activate(actor=users["riskadmin"], user=fresh(analyst))
    assert token_client(analyst).get(LIST).status_code == 200


def test_an_inactive_user_has_no_permissions_even_with_a_warm_cache(analyst):
    assert fresh(analyst).has_perm("collection.view_invoice")  # cached now
    get_user_model().objects.filter(pk=analyst.pk).update(is_active=False)  # even without the signal
    assert not fresh(analyst).has_perm("collection.view_invoice")


def test_a_change_inside_a_transaction_is_bumped_again_when_it_commits(analyst, django_capture_on_commit_callbacks):
    before = permcache.versions(analyst.pk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        analyst.groups.clear()
        during = permcache.versions(analyst.pk)
    assert during != before
    assert callbacks, "a second bump waits for the commit"
    for callback in callbacks:
        callback()
    assert permcache.versions(analyst.pk) not in (before, during)


def test_a_lost_cache_starts_new_versions(analyst):
    client = token_client(analyst)
    assert client.get(LIST).status_code == 200
    key = permcache.versions(analyst.pk)
    cache.clear()
    assert permcache.versions(analyst.pk) != key
    assert client.get(LIST).status_code == 200
    analyst.groups.clear()
    assert client.get(LIST).status_code == 403


def test_users_have_their_own_entries(users):
    assert fresh(users["analyst"]).has_perm("credit.view_creditapplication")
    assert not fresh(users["collector"]).has_perm("credit.approve_creditapplication")
    assert permcache.versions(users["analyst"].pk) != permcache.versions(users["collector"].pk)
