"""Users choose their language (profile page or the top-bar switcher); notifications and e-mails are written in
the recipient's language, whatever language the person acting reads."""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from accounts import services as account_services
from accounts.models import Notification, UserPreference
from audit.models import AuditEvent
from creditportal.core import clock
from creditportal.core.errors import ValidationFailed
from creditportal.core.i18n import Message
from tests.credit.conftest import (  # noqa: F401
    customer, fx, make_customer, matrix, new_application, policy, ratings_stub, setup, to_pending,
)

pytestmark = pytest.mark.django_db


def test_default_language_is_the_sites(users, settings):
    assert account_services.language_of(users["rm"]) == settings.LANGUAGE_CODE


def test_service_saves_validates_and_audits(users):
    pref = account_services.preference_set_language(actor=users["rm"], language="en")
    assert pref.language == "en" and account_services.language_of(users["rm"]) == "en"
    assert AuditEvent.objects.filter(verb="language", actor_username="rm").count() == 1
    account_services.preference_set_language(actor=users["rm"], language="en")  # unchanged: no new event
    assert AuditEvent.objects.filter(verb="language", actor_username="rm").count() == 1
    with pytest.raises(ValidationFailed):
        account_services.preference_set_language(actor=users["rm"], language="fr")
    assert UserPreference.objects.get(user=users["rm"]).language == "en"


def test_profile_page_saves_and_pages_follow(client, users):
    client.force_login(users["collector"])
    page = client.get(reverse("accounts:profile"))
    assert page.status_code == 200 and 'for="id_language"' in page.content.decode()
    r = client.post(reverse("accounts:profile"), {"language": "en"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 302
    assert UserPreference.objects.get(user=users["collector"]).language == "en"
    # the choice wins over the browser's Accept-Language, now and after the next login
    assert "My settings" in client.get(reverse("accounts:profile"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    client.logout()
    client.force_login(users["collector"])
    assert "My settings" in client.get(reverse("accounts:profile"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    bad = client.post(reverse("accounts:profile"), {"language": "fr"})
    assert bad.status_code == 200 and UserPreference.objects.get(user=users["collector"]).language == "en"


def test_profile_offers_the_language_the_page_is_read_in_until_one_is_saved(client, users, settings):
    """A user who never chose reads pages in the browser's language: the form must not claim the site default
    (Chinese) is their choice, and says what notifications use until they save."""
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(users["auditor"])
    page = client.get(reverse("accounts:profile"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["form"].initial["language"] == "en"
    assert "You have not saved a language yet" in page.content.decode()
    client.post(reverse("accounts:profile"), {"language": "en"})
    page = client.get(reverse("accounts:profile"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.context["form"].initial["language"] == "en"
    assert "You have not saved a language yet" not in page.content.decode()


def test_language_switcher_saves_the_preference_of_a_logged_in_user(client, users):
    client.force_login(users["analyst"])
    r = client.post(reverse("accounts:set_language"), {"language": "en", "next": "/"})
    assert r.status_code == 302
    assert UserPreference.objects.get(user=users["analyst"]).language == "en"
    client.post(reverse("accounts:set_language"), {"language": "zh-hans", "next": "/"})
    assert UserPreference.objects.get(user=users["analyst"]).language == "zh-hans"
    home = client.get(reverse("accounts:profile"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "我的设置" in home
    assert 'action="/accounts/language/"' in home


def test_switcher_for_anonymous_visitor_saves_nothing(client):
    r = client.post(reverse("accounts:set_language"), {"language": "en", "next": "/"})
    assert r.status_code == 302 and not UserPreference.objects.exists()


def test_chinese_approver_gets_chinese_when_english_manager_submits(users, new_application, to_pending, mailoutbox,
                                                                    django_capture_on_commit_callbacks):
    from credit import services

    clock.set_today(dt.date(2026, 6, 15))
    for name in ("rm", "analyst"):
        account_services.preference_set_language(actor=users[name], language="en")
    for name in ("analyst2", "approver1"):
        account_services.preference_set_language(actor=users[name], language="zh-hans")
    users["approver1"].email = "approver1@example.cn"
    users["approver1"].save()
    app = new_application(amount="1000000")
    with translation.override("en"):  # the manager reads English
        app = services.application_submit(actor=users["rm"], application=app)
    zh_review = Notification.objects.get(recipient=users["analyst2"]).title
    en_review = Notification.objects.get(recipient=users["analyst"]).title
    assert en_review == f"Credit application {app.pk} awaits review"
    assert zh_review != en_review and str(app.pk) in zh_review and any("\u4e00" <= ch <= "\u9fff" for ch in zh_review)

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        app = services.application_start_review(actor=users["analyst"], application=app)
        app = services.application_recommend(actor=users["analyst"], application=app, opinion="Fine.")
    title = Notification.objects.get(recipient=users["approver1"]).title
    with translation.override("zh-hans"):
        expected = str(Message(translation.gettext_lazy(
            "Credit application %(number)s awaits your approval (level %(level)s)"), number=app.pk, level=1))
    assert title == expected and "awaits" not in title
    # the amount reads as on the pages: currency code, grouped, two decimals
    body = Notification.objects.get(recipient=users["approver1"]).body
    assert body == f"{app.customer} · CNY 1,000,000.00"
    mail = [m for m in mailoutbox if m.to == ["approver1@example.cn"]]
    assert mail and mail[0].subject == expected


def test_message_renders_in_the_active_language():
    text = Message(translation.gettext_lazy("Credit application %(number)s is approved"), number=7)
    with translation.override("en"):
        assert str(text) == "Credit application 7 is approved"
    with translation.override("zh-hans"):
        assert str(text) != "Credit application 7 is approved" and "7" in str(text)
    with translation.override("en"):
        assert str(Message(translation.gettext_lazy("Credit application %(number)s is approved")) % {"number": 8}) \
            == "Credit application 8 is approved"
