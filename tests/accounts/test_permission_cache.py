"""The remembered permission set (creditportal.core.permcache): no permission queries on a warm request, and
every change of roles, permissions or the active flag takes effect on the very next request."""
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import services
from creditportal.models import PermissionVersion
from creditportal.core import access, permcache
from tests.config import configured

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
    regranted = services.user_update(actor=users["riskadmin"], user=fresh(analyst), roles=["credit_analyst"],
                                     first_name="", last_name="", email="")
    assert client.get(LIST).status_code == 403  # a role grant takes four-eyes
    configured(regranted.role_proposal)
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


def test_a_change_replaces_the_versions_in_its_transaction_and_a_rollback_restores_them(analyst):
    before = permcache.versions(analyst.pk)
    assert fresh(analyst).has_perm("collection.view_invoice")  # remembered under `before`
    with pytest.raises(RuntimeError), transaction.atomic():
        analyst.groups.clear()
        during = permcache.versions(analyst.pk)
        assert during[0] != before[0] and during[1] == before[1]
        assert not fresh(analyst).has_perm("collection.view_invoice")  # remembered under `during`
        raise RuntimeError("roll back")
    assert permcache.versions(analyst.pk) == before
    assert fresh(analyst).has_perm("collection.view_invoice")


def test_a_missing_version_means_nothing_is_remembered(analyst):
    client = token_client(analyst)
    assert client.get(LIST).status_code == 200
    PermissionVersion.objects.filter(scope=permcache.user_scope(analyst.pk)).delete()
    assert permcache.versions(analyst.pk)[0] is None
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        assert len(permission_queries(queries)) == 2  # read every time
    analyst.groups.clear()  # starts a new version
    assert permcache.versions(analyst.pk)[0] is not None
    assert client.get(LIST).status_code == 403


def test_a_login_keeps_the_versions(analyst, client):
    before = permcache.versions(analyst.pk)
    analyst.set_password("a-long-password-9")
    analyst.save()
    assert permcache.versions(analyst.pk) != before  # any other save replaces the user's version
    before = permcache.versions(analyst.pk)
    response = client.post(reverse("accounts:login"), {"username": analyst.username, "password": "a-long-password-9"})
    assert response.status_code == 302
    assert get_user_model().objects.get(pk=analyst.pk).last_login is not None
    assert permcache.versions(analyst.pk) == before


def test_a_deleted_user_takes_their_version_along(users):
    user = get_user_model().objects.create_user("leaving", password="x")
    assert permcache.versions(user.pk)[0] is not None
    user_id = user.pk
    user.delete()
    assert not PermissionVersion.objects.filter(scope=permcache.user_scope(user_id)).exists()


def test_a_warm_page_reads_no_permissions_and_no_versions(analyst, client):
    client.force_login(analyst)
    url = "/customers/"
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as warm:
        assert client.get(url).status_code == 200
    assert permission_queries(warm) == []
    assert not [q for q in warm.captured_queries if "accounts_permissionversion" in q["sql"]
                and "auth_user" not in q["sql"]]  # the versions come with the session's user row


def test_a_page_refuses_a_revoked_role_at_once(analyst, client):
    client.force_login(analyst)
    assert client.get("/customers/").status_code == 200
    analyst.groups.clear()
    assert client.get("/customers/").status_code == 403


def test_users_have_their_own_entries(users):
    assert fresh(users["analyst"]).has_perm("credit.view_creditapplication")
    assert not fresh(users["collector"]).has_perm("credit.approve_creditapplication")
    assert permcache.versions(users["analyst"].pk) != permcache.versions(users["collector"].pk)
