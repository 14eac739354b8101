"""The credit pages as people use them: dates in the Chinese UI, refused items shown next to their fields with
the input kept, labels in words (not codes) and the Chinese words of the application's states."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from credit import services
from credit.models import Facility, GroupLimit

pytestmark = pytest.mark.django_db


def _zh(client, url, **kwargs):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans", **kwargs)
    assert response.status_code == 200
    return response.content.decode()


def test_date_inputs_keep_their_value_in_chinese(setup, client_for, new_application):
    """An <input type="date"> shows only an ISO value: "2027/06/30" (the Chinese format) came out empty, and
    saving the edit page then cleared the group limit's expiry date."""
    from customers.models import CustomerGroup

    row = GroupLimit.objects.create(group=CustomerGroup.objects.create(name="华东集团"), limit=D("1000"),
                                    currency="CNY", expiry_date=dt.date(2027, 6, 30))
    client = client_for(setup.users["riskadmin"])
    page = _zh(client, reverse("credit:group_limit_edit", args=[row.pk]))
    assert 'value="2027-06-30"' in page and "2027/06/30" not in page
    app = new_application()
    page = _zh(client_for(setup.users["rm"]), reverse("credit:application_detail", args=[app.pk]))
    assert 'name="valuation_date" value="2026-06-15"' in page   # today, as the collateral's valuation date


def test_refused_collateral_is_shown_next_to_its_fields_with_the_input_kept(setup, client_for, new_application):
    app = new_application()
    client = client_for(setup.users["rm"])
    response = client.post(reverse("credit:application_item", args=[app.pk, "collateral"]),
                           {"kind": "real_estate", "description": "上海仓库", "market_value": "-5", "currency": "CNY",
                            "haircut": "1.5", "valuation_date": ""}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    page = response.content.decode()
    assert "market_value:" not in page and "haircut:" not in page        # no field codes
    assert page.count("invalid-feedback") >= 3                          # each error at its field
    assert 'id="add-collateral" open' in page and 'value="上海仓库"' in page and 'value="-5"' in page
    assert app.collaterals.count() == 0


def test_a_guarantor_refused_by_the_service_keeps_the_form_open(setup, client_for, new_application):
    app = new_application()
    response = client_for(setup.users["rm"]).post(reverse("credit:application_item", args=[app.pk, "guarantor"]),
                                                  {"outside_name": "", "amount": "1000", "currency": "CNY"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "A guarantor is a customer or a named outside party." in page and 'id="add-guarantor" open' in page
    assert app.guarantors.count() == 0


def test_a_bad_order_is_shown_next_to_its_fields(setup, client_for):
    facility = Facility.objects.create(customer=setup.customer, limit=D("1000"), currency="CNY",
                                       start_date=dt.date(2026, 1, 1), expiry_date=dt.date(2027, 1, 1))
    response = client_for(setup.users["rm"]).post(reverse("credit:facility_order", args=[facility.pk]),
                                                  {"amount": "abc", "currency": "CNY", "reference": "PO-9"},
                                                  HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    page = response.content.decode()
    assert "amount:" not in page and 'value="PO-9"' in page and "invalid-feedback" in page
    assert facility.orders.count() == 0


def test_application_states_and_routing_read_right_in_chinese(setup, client_for, new_application, to_pending):
    app = new_application()
    services.application_submit(actor=setup.users["rm"], application=app)
    page = _zh(client_for(setup.users["rm"]), reverse("credit:application_detail", args=[app.pk]))
    assert "已提交" in page and "提交时间" not in page      # "submitted" is a state here, not a time
    app = to_pending(new_application(amount="25000000"))
    page = _zh(client_for(setup.users["approver1"]), reverse("credit:application_detail", args=[app.pk]))
    # the routing decision says why, in words, and how many levels must approve (not "level 3", "amount")
    assert "依据：" in page and "需 3 级审批" in page
    assert '<div class="small">amount</div>' not in page and '<div class="small">grade</div>' not in page
    english = client_for(setup.users["approver1"]).get(reverse("credit:application_detail", args=[app.pk]))
    assert "3 levels must approve" in english.content.decode()
    assert "Because of the " in english.content.decode()


def test_facility_page_labels_in_chinese(setup, client_for, new_application, to_pending):
    app = to_pending(new_application(amount="1000000"))
    services.application_approve(actor=setup.users["approver1"], application=app)
    facility = Facility.objects.get(application=app)
    page = _zh(client_for(setup.users["rm"]), reverse("credit:facility_detail", args=[facility.pk]),
               data={"amount": "5000000", "currency": "CNY"})
    assert "批准申请" in page and "该订单将被拒绝" in page and "无权访问" not in page


def test_group_exposure_is_an_amount_with_its_currency(setup, client_for, new_application, to_pending):
    app = to_pending(new_application(amount="1000000"))
    page = client_for(setup.users["approver1"]).get(reverse("credit:application_detail", args=[app.pk])).content
    assert '<dd class="col-sm-8">CNY 0.00</dd>' in page.decode()        # was a bare "0.00"
    assert b"in the reporting currency" not in page                      # no "(≈ 1000000.00 …)" copy of a CNY amount
