"""The credit pages as people use them: dates in the Chinese UI, refused items shown next to their fields with
the input kept, labels in words (not codes) and the Chinese words of the application's states."""
import datetime as dt
import re
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
                            "haircut": "150", "valuation_date": ""}, HTTP_ACCEPT_LANGUAGE="zh-hans")
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


def test_manager_changes_a_returned_application_on_the_page_and_submits_it_again(setup, client_for, new_application):
    """A returned application ("lower the amount") could only be withdrawn: the page had no way to change it."""
    app = new_application(amount="3000000")
    u = setup.users
    app = services.application_submit(actor=u["rm"], application=app)
    app = services.application_start_review(actor=u["analyst"], application=app)
    app = services.application_return(actor=u["analyst"], application=app, reason="Lower it to 2m")
    client = client_for(u["rm"])
    detail = client.get(reverse("credit:application_detail", args=[app.pk])).content.decode()
    assert reverse("credit:application_edit", args=[app.pk]) in detail
    form = client.get(reverse("credit:application_edit", args=[app.pk])).content.decode()
    assert 'value="3,000,000.00"' in form and 'name="customer"' not in form
    bad = client.post(reverse("credit:application_edit", args=[app.pk]),
                      {"application_type": "new", "amount": "2000000", "currency": "CNY", "term_months": "12",
                       "product": "trade_credit", "purpose": "  "})
    assert bad.status_code == 200 and 'value="2000000"' in bad.content.decode()   # refused, input kept
    app.refresh_from_db()
    assert app.amount == D("3000000")
    ok = client.post(reverse("credit:application_edit", args=[app.pk]),
                     {"application_type": "new", "amount": "2000000", "currency": "CNY", "term_months": "6",
                      "product": "trade_credit", "purpose": "Stock for the season"})
    assert ok.status_code == 302
    app.refresh_from_db()
    assert (app.amount, app.term_months, app.purpose) == (D("2000000"), 6, "Stock for the season")
    client.post(reverse("credit:application_action", args=[app.pk, "submit"]))
    app.refresh_from_db()
    assert app.status == "submitted"
    # no longer editable: the page and the service refuse
    assert reverse("credit:application_edit", args=[app.pk]) not in client.get(
        reverse("credit:application_detail", args=[app.pk])).content.decode()
    shown = client.get(reverse("credit:application_edit", args=[app.pk]), follow=True)
    assert shown.redirect_chain[-1][0] == reverse("credit:application_detail", args=[app.pk])
    assert "Only a draft or returned application can be changed." in shown.content.decode()
    refused = client.post(reverse("credit:application_edit", args=[app.pk]),
                          {"application_type": "new", "amount": "1", "currency": "CNY", "term_months": "6",
                           "product": "trade_credit", "purpose": "x"})
    assert refused.status_code == 200
    app.refresh_from_db()
    assert app.amount == D("2000000")


def test_edit_page_is_refused_to_an_analyst_and_another_portfolio(setup, client_for, new_application, make_customer,
                                                                 ratings_stub):
    app = new_application()
    assert client_for(setup.users["analyst"]).get(reverse("credit:application_edit", args=[app.pk])).status_code == 403
    other = new_application(customer=make_customer(rm=setup.users["rm2"]), maker=setup.users["rm2"])
    assert client_for(setup.users["rm"]).get(reverse("credit:application_edit", args=[other.pk])).status_code == 404


def test_manager_removes_a_collateral_entered_by_mistake(setup, client_for, new_application):
    app = new_application(collaterals=[
        {"kind": "deposit", "market_value": "500", "currency": "CNY", "haircut": "0"},
        {"kind": "real_estate", "market_value": "9000000", "currency": "CNY", "haircut": "0.3"}],
        guarantors=[{"outside_name": "Zhang San", "amount": "1000", "currency": "CNY"}])
    wrong = app.collaterals.get(kind="real_estate")
    client = client_for(setup.users["rm"])
    page = client.get(reverse("credit:application_detail", args=[app.pk])).content.decode()
    url = reverse("credit:application_item_remove", args=[app.pk, "collateral", wrong.pk])
    assert url in page
    assert client.post(url).status_code == 302
    assert list(app.collaterals.values_list("kind", flat=True)) == ["deposit"]
    assert app.guarantors.count() == 1                               # the other items stay
    assert client.post(url).status_code == 404                       # gone already
    assert client_for(setup.users["analyst"]).post(
        reverse("credit:application_item_remove", args=[app.pk, "guarantor", app.guarantors.get().pk])).status_code == 403
    assert app.guarantors.count() == 1


def test_cancelling_an_order_says_so(setup, client_for):
    from credit.models import Order

    facility = Facility.objects.create(customer=setup.customer, limit=D("1000"), currency="CNY",
                                       start_date=dt.date(2026, 1, 1), expiry_date=dt.date(2027, 1, 1))
    order = services.order_record(actor=setup.users["rm"], facility=facility, amount="100", currency="CNY",
                                  reference="PO-7")
    response = client_for(setup.users["rm"]).post(reverse("credit:facility_cancel_order", args=[facility.pk]),
                                                  {"order": order.pk}, follow=True)
    assert "Order PO-7 cancelled; its reservation is released." in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED


def test_an_action_the_state_does_not_allow_says_so_and_not_that_it_changed(setup, api_for, new_application):
    """Approving a draft answered "The application has changed in the meantime; reload and try again" although
    nobody had changed it."""
    from creditportal.core.errors import Conflict

    app = new_application()
    with pytest.raises(Conflict) as refused:
        services.application_approve(actor=setup.users["approver1"], application=app)
    assert "changed in the meantime" not in refused.value.message
    assert "is Draft: this action is not possible" in str(refused.value.message)
    response = api_for(setup.users["approver1"]).post(f"/api/v1/applications/{app.pk}/approve/", {}, format="json")
    assert response.status_code == 409 and "not possible in that state" in response.json()["detail"]
    # a real race (the row moved on after the caller read it) still says so
    stale = type(app).objects.get(pk=app.pk)
    services.application_submit(actor=setup.users["rm"], application=app)
    with pytest.raises(Conflict) as raced:
        services.application_withdraw(actor=setup.users["rm"], application=stale, comment="")
    assert "changed in the meantime" in raced.value.message


def test_the_facility_picker_is_refused_to_strangers_and_scoped_to_the_user(setup, client, client_for, make_customer):
    search = reverse("credit:pick_facility")
    assert client.get(search).status_code in (302, 403)  # not signed in: nothing listed
    elsewhere = make_customer("他人客户有限公司", rm=setup.users["rm2"])
    hidden = Facility.objects.create(customer=elsewhere, limit=D("3000"), currency="CNY",
                                     start_date=dt.date(2026, 1, 1), expiry_date=dt.date(2027, 1, 1))
    assert hidden.pk not in {row["id"] for row in client_for(setup.users["rm"]).get(search).json()["results"]}
    assert hidden.pk in {row["id"] for row in client_for(setup.users["rm2"]).get(search).json()["results"]}
    assert client_for(setup.users["rm"]).get(search, {"q": "\x00"}).status_code == 400


def test_matrix_and_policy_amounts_are_grouped(setup, client_for):
    client = client_for(setup.users["approver1"])
    matrix = client.get(reverse("credit:matrix")).content.decode()
    assert "5,000,000.00" in matrix and "20,000,000.00" in matrix and "5000000.00" not in matrix
    policy = client.get(reverse("credit:policy_detail", args=[setup.policy.pk])).content.decode()
    assert "100,000,000.00" in policy and "100000000.00" not in policy


def test_new_application_for_a_customer_offers_only_its_facilities(setup, client_for, make_customer, ratings_stub):
    other = make_customer("另一客户有限公司")
    mine = Facility.objects.create(customer=setup.customer, limit=D("1000"), currency="CNY",
                                   start_date=dt.date(2026, 1, 1), expiry_date=dt.date(2027, 1, 1))
    theirs = Facility.objects.create(customer=other, limit=D("2000"), currency="CNY",
                                     start_date=dt.date(2026, 1, 1), expiry_date=dt.date(2027, 1, 1))
    client = client_for(setup.users["rm"])
    def facility_options(page):
        select = re.search(r'<select name="facility".*?</select>', page, re.S).group(0)
        return set(int(v) for v in re.findall(r'<option value="(\d+)"', select))

    page = client.get(reverse("credit:application_create"), {"customer": setup.customer.pk}).content.decode()
    assert facility_options(page) == {mine.pk}
    # without a customer the facility is searched (a department's book is not one <select>): the picker's
    # search offers every facility the user may see, by customer name or #id, and narrows to a customer
    everything = client.get(reverse("credit:application_create")).content.decode()
    assert facility_options(everything) == set()
    assert f'data-picker="{reverse("credit:pick_facility")}"' in everything
    search = reverse("credit:pick_facility")
    assert {row["id"] for row in client.get(search).json()["results"]} == {mine.pk, theirs.pk}
    assert [row["id"] for row in client.get(search, {"q": "另一客户"}).json()["results"]] == [theirs.pk]
    assert [row["id"] for row in client.get(search, {"q": f"#{mine.pk}"}).json()["results"]] == [mine.pk]
    assert [row["id"] for row in client.get(search, {"customer": other.pk}).json()["results"]] == [theirs.pk]
    assert "current limit CNY 2,000.00" in client.get(search, {"q": "另一客户"}).json()["results"][0]["text"]
    # the customer field is a picker too: the page carries the chosen customer only
    assert 'data-picker="' + reverse("customers:pick") + '"' in page and "另一客户有限公司" not in page
    # picking another customer's facility is still refused with the reason
    response = client.post(reverse("credit:application_create") + f"?customer={setup.customer.pk}", {
        "customer": setup.customer.pk, "application_type": "increase", "facility": theirs.pk, "amount": "5000",
        "currency": "CNY", "term_months": "12", "product": "trade_credit", "purpose": "Stock"})
    assert response.status_code == 200 and "Another customer&#x27;s facility." in response.content.decode()


def test_adding_an_item_to_an_application_submitted_meanwhile_says_why(setup, client_for, new_application):
    app = new_application()
    services.application_submit(actor=setup.users["rm"], application=app)
    response = client_for(setup.users["rm"]).post(
        reverse("credit:application_item", args=[app.pk, "collateral"]),
        {"kind": "deposit", "market_value": "500", "currency": "CNY", "haircut": "0", "valuation_date": "2026-06-01"},
        follow=True)
    page = response.content.decode()
    assert response.redirect_chain and "Only a draft or returned application can be changed." in page
    assert app.collaterals.count() == 0
