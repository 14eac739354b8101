import pytest
from django.core import mail
from django.urls import reverse

from accounts import services
from accounts.models import Notification


@pytest.mark.django_db
def test_notification_inbox_email_and_read_on_open(client, users, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "http://testserver.example/"
    users["rm"].email = "rm@example.com"
    users["rm"].save()
    with django_capture_on_commit_callbacks(execute=True):
        note = services.notification_send(recipient=users["rm"], title="Application decided", url="/accounts/notifications/")
    assert len(mail.outbox) == 1 and mail.outbox[0].subject == "Application decided"
    text = mail.outbox[0].body
    assert text.splitlines()[0] == "rm，您好：" and "Application decided" in text  # the site default: Chinese
    assert "http://testserver.example/accounts/notifications/" in text  # an absolute link (SITE_URL)
    client.force_login(users["rm"])
    page = client.get(reverse("home"))
    assert 'badge text-bg-danger">1<' in page.content.decode()
    response = client.get(reverse("accounts:notification_open", args=[note.pk]))
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.read_at is not None


@pytest.mark.django_db
def test_someone_elses_notification_is_not_found(client, api_for, users):
    note = services.notification_send(recipient=users["rm"], title="x", email=False)
    client.force_login(users["rm2"])
    assert client.get(reverse("accounts:notification_open", args=[note.pk])).status_code == 404
    assert api_for(users["rm2"]).post(f"/api/v1/notifications/{note.pk}/read/").status_code == 404
    assert api_for(users["rm"]).post(f"/api/v1/notifications/{note.pk}/read/").status_code == 200
    assert Notification.objects.get(pk=note.pk).read_at is not None


@pytest.mark.django_db
def test_system_user_gets_no_notifications(users):
    from accounts.system import system_user

    assert services.notification_send(recipient=system_user(), title="x") is None


@pytest.mark.django_db
def test_notification_email_in_the_recipients_language(users, django_capture_on_commit_callbacks, settings):
    from django.utils.translation import gettext_lazy

    settings.SITE_URL = "https://credit.example.com"
    users["rm"].email, users["rm"].first_name, users["rm"].last_name = "rm@example.com", "小明", "王"
    users["rm"].save()
    services.preference_set_language(actor=users["rm"], language="zh-hans")
    with django_capture_on_commit_callbacks(execute=True):
        services.notification_send(recipient=users["rm"], title=gettext_lazy("Application decided"), body="#8",
                                   url="/credit/applications/8/")
    text = mail.outbox[-1].body
    assert "小明" in text and "https://credit.example.com/credit/applications/8/" in text
    assert "请勿回复" in text and "Dear" not in text
