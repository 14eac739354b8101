"""A collector (or risk admin) runs the nightly dunning from the pages: enqueued, idempotent, audited."""
import pytest
from django.urls import reverse

from audit.models import AuditEvent
from collection import services
from collection.models import CollectionCase, DunningAction
from creditportal.core.errors import NotAllowed

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue(customer, make_invoice, policy, today):
    make_invoice(customer, "5000.00", days_past_due=45)
    make_invoice(customer, "800.00", days_past_due=3)
    return customer


def test_service_enqueues_the_nightly_job_and_a_second_press_creates_nothing(users, overdue, today,
                                                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        status = services.dunning_run_now(actor=users["collector"])
    assert callbacks[0].func.__self__.name == "collection.run_dunning_now" and status["as_of"] == today.isoformat()
    done = services.dunning_run_now_status()
    assert done["state"] == "done" and done["percent"] == 100 and done["created"] >= 1
    actions, cases = DunningAction.objects.count(), CollectionCase.objects.count()
    assert actions >= 1

    with django_capture_on_commit_callbacks(execute=True):
        services.dunning_run_now(actor=users["riskadmin"])
    again = services.dunning_run_now_status()
    assert again["state"] == "done" and again["created"] == 0 and again["requested_by"] == "riskadmin"
    assert DunningAction.objects.count() == actions and CollectionCase.objects.count() == cases
    events = AuditEvent.objects.filter(action="run", verb="dunning_run_now")
    assert sorted(events.values_list("actor_username", flat=True)) == ["collector", "riskadmin"]


def test_a_press_while_queued_does_not_enqueue_again(users, overdue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        services.dunning_run_now(actor=users["collector"])
    with django_capture_on_commit_callbacks(execute=False) as second:
        status = services.dunning_run_now(actor=users["collector"])
    assert status["state"] == "queued" and second == []
    assert AuditEvent.objects.filter(verb="dunning_run_now").count() == 1


@pytest.mark.parametrize("role", ["rm", "analyst", "approver1", "auditor"])
def test_other_roles_are_refused(users, overdue, role, client, django_capture_on_commit_callbacks):
    with pytest.raises(NotAllowed):
        services.dunning_run_now(actor=users[role])
    client.force_login(users[role])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("collection:dunning_run_now")).status_code == 403
    assert client.get(reverse("collection:dunning_run_status")).status_code == 403
    assert "dunning/run-now" not in client.get(reverse("collection:dunning_list")).content.decode()
    assert DunningAction.objects.count() == 0 and services.dunning_run_now_status() is None


def test_page_button_progress_and_csrf(users, overdue, client, django_capture_on_commit_callbacks):
    from django.test import Client

    client.force_login(users["collector"])
    page = client.get(reverse("collection:dunning_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'action="/collection/dunning/run-now/"' in page and "Run dunning now" in page

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(users["collector"])
    assert strict.post(reverse("collection:dunning_run_now")).status_code == 403

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        r = client.post(reverse("collection:dunning_run_now"), HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    body = r.content.decode()
    assert r.status_code == 200 and 'data-run-state="queued"' in body and 'hx-trigger="every 2s"' in body
    status = client.get(reverse("collection:dunning_run_status"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "waiting for a worker" in status
    for callback in callbacks:
        callback()
    status = client.get(reverse("collection:dunning_run_status"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-run-state="done"' in status and "every 2s" not in status and "100%" in status
    assert DunningAction.objects.exists()
    # the list under the panel was drawn before the run: the finished panel links to the refreshed list
    assert f'<a href="{reverse("collection:dunning_list")}" class="dunning-run-reload">Show them in the list</a>' \
        in status

    r = client.post(reverse("collection:dunning_run_now"), HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 302 and r["Location"] == reverse("collection:dunning_list")
