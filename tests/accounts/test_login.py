import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts import services
from audit.models import AuditEvent
from creditportal.core import access
from creditportal.core.errors import NotAllowed, ValidationFailed
from proposals.models import Proposal
from tests.config import configured

PASSWORD = "Secret-pass-123"


@pytest.mark.django_db
@pytest.mark.parametrize("role", access.ROLES)
def test_each_role_logs_in_and_sees_its_menu(client, make_user, role):
    make_user("person", role)
    response = client.post(reverse("accounts:login"), {"username": "person", "password": PASSWORD})
    assert response.status_code == 302
    home = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert home.status_code == 200
    from django.utils import translation

    with translation.override("en"):
        assert str(access.ROLE_LABELS[role]) in home.content.decode()
    assert AuditEvent.objects.filter(action="login", actor_username="person").exists()


@pytest.mark.django_db
def test_menu_shows_only_what_the_role_may_do(client, users):
    client.force_login(users["riskadmin"])
    assert reverse("accounts:user_list") in client.get(reverse("home")).content.decode()
    client.force_login(users["rm"])
    assert reverse("accounts:user_list") not in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_logout_ends_the_session(client, users):
    client.post(reverse("accounts:login"), {"username": "rm", "password": PASSWORD})
    key = client.session.session_key
    client.post(reverse("accounts:logout"))
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_session_key_rotates_at_login(client, users):
    client.get(reverse("accounts:login"))
    client.session.save()
    before = client.session.session_key
    client.post(reverse("accounts:login"), {"username": "rm", "password": PASSWORD})
    assert client.session.session_key != before


@pytest.mark.django_db
def test_lockout_is_per_address_and_username_at_the_address(client, users, settings):
    url = reverse("accounts:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "rm", "password": "wrong"}, REMOTE_ADDR="10.0.0.1")
    # the right password no longer works from that address, for that user or another ...
    locked = client.post(url, {"username": "rm", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1")
    assert locked.status_code == 429
    from django.test import Client

    assert Client().post(url, {"username": "rm2", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1").status_code == 429
    # ... but the same user from another address still logs in
    other_address = Client().post(url, {"username": "rm", "password": PASSWORD}, REMOTE_ADDR="10.0.0.2")
    assert other_address.status_code == 302
    assert AuditEvent.objects.filter(action="login_failed").count() >= settings.AXES_FAILURE_LIMIT


@pytest.mark.django_db
def test_lockout_expires_by_itself(client, users, settings):
    import datetime as dt

    from axes.models import AccessAttempt

    url = reverse("accounts:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "rm", "password": "wrong"}, REMOTE_ADDR="10.0.0.9")
    assert client.post(url, {"username": "rm", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9").status_code == 429
    # Move the failures back past the cool-off time.
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.first().attempt_time - settings.AXES_COOLOFF_TIME - dt.timedelta(minutes=1))
    from axes.models import AccessAttemptExpiration

    AccessAttemptExpiration.objects.update(expires_at=AccessAttempt.objects.first().attempt_time)
    assert client.post(url, {"username": "rm", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9").status_code == 302


@pytest.mark.django_db
def test_password_change(client, users):
    client.force_login(users["rm"])
    response = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": "Another-pass-456", "new_password2": "Another-pass-456"})
    assert response.status_code == 302
    users["rm"].refresh_from_db()
    assert users["rm"].check_password("Another-pass-456")
    done = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert "Your password was changed." in done.content.decode()


@pytest.mark.django_db
def test_password_pages_are_the_portals_not_the_admins(client, users):
    """django.contrib.admin ships registration/password_change_*.html too; the portal's pages must win."""
    client.force_login(users["rm"])
    page = client.get(reverse("accounts:password_change"), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200 and "Django administration" not in html and 'id="mainnav"' in html
    refused = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": "123", "new_password2": "123"}, HTTP_ACCEPT_LANGUAGE="en")
    html = refused.content.decode()
    assert refused.status_code == 200 and 'id="mainnav"' in html and "too short" in html
    users["rm"].refresh_from_db()
    assert users["rm"].check_password(PASSWORD)
    done = client.get(reverse("accounts:password_done"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Django administration" not in done and 'id="mainnav"' in done


@pytest.mark.django_db
def test_weak_password_is_refused_with_a_message(users):
    with pytest.raises(ValidationFailed):
        services.user_create(actor=users["riskadmin"], username="newbie", password="123", roles=["auditor"])


@pytest.mark.django_db
def test_risk_admin_manages_users_through_pages(client, users):
    client.force_login(users["riskadmin"])
    response = client.post(reverse("accounts:user_create"), {
        "username": "newrm", "first_name": "New", "last_name": "Manager", "email": "n@example.com",
        "roles": ["relationship_manager"], "password": "Good-pass-2024x"})
    assert response.status_code == 302
    from django.contrib.auth import get_user_model

    newrm = get_user_model().objects.get(username="newrm")
    assert not access.has_role(newrm, "relationship_manager")  # role grants take four-eyes
    configured(Proposal.objects.get(subject=newrm, state="proposed"))
    newrm = get_user_model().objects.get(username="newrm")
    assert access.has_role(newrm, "relationship_manager")
    response = client.post(reverse("accounts:user_edit", args=[newrm.pk]), {
        "username": "newrm", "first_name": "New", "last_name": "Analyst", "email": "n@example.com",
        "roles": ["credit_analyst"]})
    assert response.status_code == 302
    configured(Proposal.objects.get(subject=newrm, state="proposed"))
    assert list(newrm.groups.values_list("name", flat=True)) == ["credit_analyst"]
    assert AuditEvent.objects.filter(object_type="auth.user", object_id=str(newrm.pk), action="update").exists()


@pytest.mark.django_db
def test_deactivating_a_user_ends_sessions_and_tokens(client, users, api_client):
    from django.test import Client

    victim = Client()
    victim.post(reverse("accounts:login"), {"username": "rm", "password": PASSWORD})
    token = Token.objects.create(user=users["rm"])
    client.force_login(users["riskadmin"])
    response = client.post(reverse("accounts:user_deactivate", args=[users["rm"].pk]))
    assert response.status_code == 302
    assert victim.get(reverse("home")).status_code == 302  # back to login
    assert not Token.objects.filter(pk=token.pk).exists()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api_client.get("/api/v1/users/").status_code == 401


@pytest.mark.django_db
def test_other_roles_cannot_manage_users(client, users):
    for name in ["rm", "analyst", "approver1", "collector", "auditor"]:
        client.force_login(users[name])
        assert client.post(reverse("accounts:user_create"), {"username": "x"}).status_code == 403
        assert client.post(reverse("accounts:user_deactivate", args=[users["rm2"].pk])).status_code == 403
    with pytest.raises(NotAllowed):
        services.user_deactivate(actor=users["auditor"], user=users["rm2"])
    users["rm2"].refresh_from_db()
    assert users["rm2"].is_active


@pytest.mark.django_db
def test_api_token_endpoint_and_throttle(api_client, users):
    ok = api_client.post("/api/v1/auth/token/", {"username": "rm", "password": PASSWORD}, format="json")
    assert ok.status_code == 200 and ok.json()["token"]
    statuses = [api_client.post("/api/v1/auth/token/", {"username": "analyst", "password": "bad"},
                                format="json").status_code for _ in range(7)]
    assert statuses[0] == 400
    assert 429 in statuses
    # another username from the same address is not affected
    other = api_client.post("/api/v1/auth/token/", {"username": "auditor", "password": PASSWORD}, format="json")
    assert other.status_code == 200


@pytest.mark.django_db
def test_api_without_credentials_is_refused(api_client):
    response = api_client.get("/api/v1/users/")
    assert response.status_code in (401, 403)
    assert "detail" in response.json()


@pytest.mark.django_db
def test_every_role_table_entry_names_a_real_permission():
    from django.contrib.auth.models import Permission

    names = {f"{a}.{c}" for a, c in Permission.objects.values_list("content_type__app_label", "codename")}
    assert access.unknown_entries(names) == []


@pytest.mark.django_db
def test_user_list_names_roles_and_status_in_the_users_language(client, users):
    from django.utils import translation

    from accounts import services as account_services

    client.force_login(users["riskadmin"])
    url = reverse("accounts:user_list")
    with translation.override("en"):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Credit analyst" in page and ">credit_analyst<" not in page
    assert ">Unknown<" not in page and ">All roles<" in page
    client.cookies["django_language"] = "zh-hans"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "信用分析师" in page and ">credit_analyst<" not in page

    # the role filter takes the role, the status filter active / deactivated
    page = client.get(url, {"role": "approver"}).context["object_list"]
    assert sorted(u.username for u in page) == ["approver1", "approver2", "approver3"]
    account_services.user_deactivate(actor=users["riskadmin"], user=users["collector"])
    page = client.get(url, {"is_active": "false"}).context["object_list"]
    assert [u.username for u in page] == ["collector"]
    page = client.get(url, {"is_active": "true"}).context["object_list"]
    assert "collector" not in [u.username for u in page] and "rm" in [u.username for u in page]
