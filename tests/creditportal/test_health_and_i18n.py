import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_healthz_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"]["ok"] and body["broker"]["ok"]


@pytest.mark.django_db
def test_healthz_down_when_broker_unreachable(client, monkeypatch):
    from kombu import Connection

    from config import views

    monkeypatch.setattr(views.celery_app, "connection_for_write",
                        lambda: Connection("redis://127.0.0.1:1/0", connect_timeout=1))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False


@pytest.mark.django_db
def test_healthz_down_when_database_unreachable(client, monkeypatch):
    from config import views

    def broken():
        raise RuntimeError("connection refused")

    monkeypatch.setattr(views.connection, "cursor", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"]["ok"] is False


@pytest.mark.django_db
def test_language_switch_renders_chinese_and_english(client, users):
    client.force_login(users["rm"])
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "退出登录" in client.get(reverse("home")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Log out" in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_login_page_in_chinese_by_default(client):
    assert "登录" in client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()


@pytest.mark.django_db
def test_openapi_schema_and_docs_page(client, users):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"openapi: 3" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"http://" not in docs.content.replace(b"http://testserver", b"")
    assert b"https://" not in docs.content


@pytest.mark.django_db
def test_error_pages_are_the_portals_in_the_readers_language(client, users, settings, monkeypatch):
    """404 and 403 lead back home; an unexpected error shows the portal's own 500 page, not Django's bare one."""
    from django.test import Client

    settings.DEBUG = False
    client.force_login(users["rm"])
    page = client.get("/customers/999999/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 404 and "Back to the home page" in page.content.decode()
    page = client.get(reverse("accounts:user_list"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 403 and "Back to the home page" in page.content.decode()

    def broken(self, request, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("creditportal.core.views.PortalPermissionMixin.dispatch", broken)
    failing = Client(raise_request_exception=False)
    failing.force_login(users["riskadmin"])
    for language, text in (("en", "Something went wrong"), ("zh-hans", "出错了")):
        page = failing.get(reverse("accounts:user_list"), HTTP_ACCEPT_LANGUAGE=language)
        assert page.status_code == 500 and text in page.content.decode(), language
