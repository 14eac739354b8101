"""Issue 18, finding 15 (hardening): a strict Content-Security-Policy that the pages need no exception
from, API tokens revoked when their owner changes the password, and no password that is (or contains) the
username or repeats the current one."""
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts import services
from creditportal.core import csp
from creditportal.core.errors import ValidationFailed

PASSWORD = "Secret-pass-123"
ROOT = Path(settings.BASE_DIR)
# Rendered to PDF by WeasyPrint (its own fetcher, no browser, no script): not under the browser's policy.
PDF_TEMPLATES = {"collection/templates/collection/dunning_letter.html"}

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)


def _problems(html: str) -> list[str]:
    found = []
    for name, pattern in [("inline script", INLINE_SCRIPT), ("on*= handler", EVENT_HANDLER),
                          ("style attribute", STYLE_ATTRIBUTE), ("<style>", STYLE_ELEMENT)]:
        found += [f"{name}: {match.group(0)[:80]}" for match in pattern.finditer(html)]
    return found


def _page_templates():
    for path in sorted(ROOT.glob("*/templates/**/*.html")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv/", "node_modules/")) or "/pdf/" in relative or relative in PDF_TEMPLATES:
            continue
        yield relative, path


def test_no_page_template_needs_inline_script_or_style():
    templates = dict(_page_templates())
    assert len(templates) > 50
    problems = {name: found for name, path in templates.items() if (found := _problems(path.read_text("utf-8")))}
    assert problems == {}


def test_the_policy_is_strict():
    policy = csp.policy()
    for directive in ("script-src", "style-src", "default-src"):
        assert policy[directive] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "unsafe" not in csp.render(policy)


@pytest.mark.django_db
def test_pages_carry_the_policy_and_render_nothing_it_would_block(client, users):
    pages = [("riskadmin", reverse("home")), ("riskadmin", reverse("monitoring:dashboard")),
             ("riskadmin", reverse("audit:chain")), ("riskadmin", reverse("accounts:user_list")),
             ("rm", reverse("customers:customer_list")), ("rm", reverse("customers:customer_create")),
             ("rm", reverse("accounts:password_change")), (None, reverse("accounts:login"))]
    for username, url in pages:
        client.logout()
        if username:
            client.force_login(users[username])
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Security-Policy"] == csp.render(csp.policy()), url
        assert _problems(response.content.decode()) == [], url


@pytest.mark.django_db
def test_only_the_api_docs_relax_the_policy(client, users):
    client.force_login(users["auditor"])
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and "script-src 'self';" in docs["Content-Security-Policy"]
    assert "<script>" not in docs.content.decode()  # Swagger UI's start script is a file of its own


@pytest.mark.django_db
def test_changing_the_password_revokes_the_api_tokens(client, users, api_client):
    token = Token.objects.create(user=users["rm"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api_client.get("/api/v1/customers/").status_code == 200
    client.force_login(users["rm"])
    response = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": "Another-pass-456", "new_password2": "Another-pass-456"})
    assert response.status_code == 302
    assert not Token.objects.filter(user=users["rm"]).exists()
    assert api_client.get("/api/v1/customers/").status_code == 401
    assert client.get(reverse("home")).status_code == 200  # the session that changed it stays signed in
    from audit.models import AuditEvent

    assert AuditEvent.objects.filter(verb="password_change", actor_username="rm").get().after == {"tokens_revoked": 1}


@pytest.mark.django_db
@pytest.mark.parametrize("new_password", ["approver1", "APPROVER1", "x-Approver1-Harbour-99"])
def test_a_password_that_is_or_contains_the_username_is_refused(client, users, new_password):
    client.force_login(users["approver1"])
    response = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
        HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "username" in response.content.decode()
    users["approver1"].refresh_from_db()
    assert users["approver1"].check_password(PASSWORD)
    with pytest.raises(ValidationFailed):
        services.user_create(actor=users["riskadmin"], username="harbourmaster", password="Harbourmaster-2026!",
                             roles=["auditor"])


@pytest.mark.django_db
def test_the_current_password_cannot_be_the_new_one(client, users):
    client.force_login(users["rm"])
    response = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "must differ from the current one" in response.content.decode()
    with pytest.raises(ValidationFailed):
        services.password_change(actor=users["rm"], new_password=PASSWORD)
    services.password_change(actor=users["rm"], new_password="Fresh-pass-789")
    users["rm"].refresh_from_db()
    assert users["rm"].check_password("Fresh-pass-789")
