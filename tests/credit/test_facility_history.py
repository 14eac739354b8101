"""The facility page (issue 21): the limit history with its applications and dates, the facility's exposure
by the dashboard's definition, actions only where they apply."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from credit import rules, services
from credit.history import facility_limit_history
from credit.models import Facility

pytestmark = pytest.mark.django_db


@pytest.fixture
def facility(make_customer, users):
    customer = make_customer(rm=users["rm"])
    return Facility.objects.create(customer=customer, limit=D("1000"), currency="CNY",
                                   start_date=dt.date(2026, 1, 1), expiry_date=dt.date(2026, 12, 31))


def test_history_lists_each_limit_change(facility, users, client):
    services.facility_reduce_limit(actor=users["approver1"], facility=facility, new_limit=D("600"),
                                   reason="逾期增加")
    rows = facility_limit_history(facility)
    assert [(r["before"], r["after"]) for r in rows] == [(D("1000"), D("600"))]
    assert rows[0]["reason"] == "逾期增加" and rows[0]["change"] == D("-400")
    client.force_login(users["analyst"])
    html = client.get(reverse("credit:facility_detail", args=[facility.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Limit history" in html and "逾期增加" in html and "→" in html
    assert "Exposure" in html


def test_exposure_is_the_dashboards_definition():
    assert rules.facility_exposure(D("1000"), D("1200")) == D("1200")
    assert rules.facility_exposure(D("1000"), D("300")) == D("1000")


def test_empty_history_is_said_in_words(facility, users, client):
    client.force_login(users["analyst"])
    html = client.get(reverse("credit:facility_detail", args=[facility.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No change of the limit has been recorded." in html


def test_a_closed_facility_offers_no_orders_or_changes(facility, users, client):
    Facility.objects.filter(pk=facility.pk).update(status=Facility.Status.CLOSED)
    client.force_login(users["riskadmin"])
    html = client.get(reverse("credit:facility_detail", args=[facility.pk])).content.decode()
    assert reverse("credit:facility_order", args=[facility.pk]) not in html
    assert reverse("credit:facility_close", args=[facility.pk]) not in html
