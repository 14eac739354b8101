"""Lists like NetBox's (issue 21): pickers in the filters, date pickers, errors named on the page and 400 in the
API, saved filters and a column chooser per user, people named by name."""
import pytest
from django.urls import reverse

from creditportal.models import ListSetting
from customers.models import Customer

pytestmark = pytest.mark.django_db

MAIN_LISTS = ["customers:customer_list", "credit:application_list", "credit:facility_list", "ratings:rating_list",
              "collection:invoice_list", "collection:case_list", "monitoring:alert_list", "audit:event_list"]


def _customer(users, name, rm="rm"):
    return Customer.objects.create(name=name, is_foreign=True, registration_number=name, country="HK",
                                   industry_section="C", size="medium", relationship_manager=users[rm])


def _who_may(url_name, users):
    return {"audit:event_list": "auditor", "collection:invoice_list": "collector",
            "collection:case_list": "collector", "monitoring:alert_list": "riskadmin"}.get(url_name, "analyst")


@pytest.mark.parametrize("url_name", MAIN_LISTS)
def test_every_main_list_has_saved_filters_and_a_column_chooser(url_name, users, client_for):
    html = client_for(users[_who_may(url_name, users)]).get(reverse(url_name)).content.decode()
    assert html.count('class="portal-menu"') == 2 and 'name="list_action" value="columns"' in html
    assert 'name="shown"' in html


def test_customer_filter_is_a_picker_and_dates_are_date_inputs(users, client_for):
    customer = _customer(users, "华东机械有限公司")
    _customer(users, "乙公司")
    html = client_for(users["collector"]).get(reverse("collection:invoice_list"),
                                              {"customer": customer.pk}).content.decode()
    assert 'data-picker="/customers/pick/"' in html
    assert "华东机械有限公司" in html and "乙公司" not in html  # only the chosen option is rendered
    assert 'type="date" name="due_from"' in html
    cases = client_for(users["collector"]).get(reverse("collection:case_list")).content.decode()
    assert 'data-picker="/accounts/users/pick/?role=collector"' in cases


def test_manager_filter_is_a_user_picker_named_by_name(users, client_for):
    users["rm"].first_name, users["rm"].last_name = "小明", "王"
    users["rm"].save()
    _customer(users, "甲公司")
    html = client_for(users["analyst"]).get(reverse("customers:customer_list"),
                                            {"relationship_manager": users["rm"].pk}).content.decode()
    assert 'data-picker="/accounts/users/pick/?role=relationship_manager"' in html
    assert "王小明" in html


def test_an_invalid_filter_value_is_named_on_the_page_and_refused_by_the_api(users, client_for, api_for):
    _customer(users, "甲公司")
    page = client_for(users["collector"]).get(reverse("collection:invoice_list"), {"customer": "abc"})
    html = page.content.decode()
    assert page.status_code == 200 and 'aria-invalid="true"' in html and "invalid-feedback" in html
    fullwidth = client_for(users["collector"]).get(reverse("collection:invoice_list"), {"customer": "１"})
    assert 'aria-invalid="true"' in fullwidth.content.decode()
    assert api_for(users["collector"]).get("/api/v1/invoices/", {"customer": "abc"}).status_code == 400


def test_another_portfolios_customer_is_refused_as_a_filter(users, client_for):
    other = _customer(users, "乙公司", rm="rm2")
    html = client_for(users["rm"]).get(reverse("customers:customer_list"), {"relationship_manager": "999999"}).content.decode()
    assert 'aria-invalid="true"' in html
    assert other.name not in html


def test_save_apply_and_delete_a_filter(users, client_for):
    client = client_for(users["analyst"])
    url = reverse("customers:customer_list")
    response = client.post(url, {"list_action": "save_filter", "name": "我的筛选", "query": "status=active&page=3"})
    assert response.status_code == 302 and response["Location"] == f"{url}?status=active"
    saved = ListSetting.objects.get(user=users["analyst"], list_key="customers:customer_list")
    assert (saved.name, saved.value) == ("我的筛选", "status=active")
    html = client.get(url, {"status": "active"}).content.decode()
    assert "我的筛选" in html and 'aria-current="true"' in html
    # the same name replaces; others' lists do not see it
    client.post(url, {"list_action": "save_filter", "name": "我的筛选", "query": "size=medium"})
    assert ListSetting.objects.get(pk=saved.pk).value == "size=medium"
    client.get(url)  # the message shown
    assert "我的筛选" not in client_for(users["analyst2"]).get(url).content.decode()
    # another user cannot delete it
    client_for(users["analyst2"]).post(url, {"list_action": "delete_filter", "setting": saved.pk})
    assert ListSetting.objects.filter(pk=saved.pk).exists()
    client = client_for(users["analyst"])
    client.post(url, {"list_action": "delete_filter", "setting": saved.pk})
    assert not ListSetting.objects.filter(pk=saved.pk).exists()


def test_a_bad_filter_or_name_is_not_saved(users, client_for):
    client = client_for(users["analyst"])
    url = reverse("customers:customer_list")
    response = client.post(url, {"list_action": "save_filter", "name": "坏", "query": "status=nonsense"}, follow=True)
    assert not ListSetting.objects.exists()
    assert "Check the filter" in response.content.decode() or "检查" in response.content.decode()
    client.post(url, {"list_action": "save_filter", "name": "", "query": "status=active"})
    client.post(url, {"list_action": "save_filter", "name": "x", "query": ""})
    client.post(url, {"list_action": "nonsense"})
    assert not ListSetting.objects.exists()


def test_column_chooser_hides_columns_for_that_user_only(users, client_for):
    _customer(users, "甲公司")
    client = client_for(users["analyst"])
    url = reverse("customers:customer_list")
    client.post(url, {"list_action": "columns", "shown": ["name", "code", "status"]})
    html = client.get(url).content.decode()
    assert "hide-col-3" in html and "hide-col-6" in html and "hide-col-2 " not in html
    assert "hide-col-" not in client_for(users["analyst2"]).get(url).content.decode().split("<table")[1][:200]
    # the first column cannot be hidden, an unknown key changes nothing
    client.post(url, {"list_action": "columns", "shown": ["nope"]})
    setting = ListSetting.objects.get(user=users["analyst"], kind="columns")
    assert "name" not in setting.value.split(",") and "code" not in setting.value.split(",")


def test_settings_are_refused_to_roles_without_the_list(users, client_for):
    url = reverse("audit:event_list")
    assert client_for(users["rm"]).post(url, {"list_action": "save_filter", "name": "x",
                                              "query": "action=create"}).status_code == 403
    assert not ListSetting.objects.exists()


def test_list_settings_cost_one_query(users, client_for, django_assert_max_num_queries):
    for n in range(30):
        _customer(users, f"客户{n}")
    client = client_for(users["analyst"])
    url = reverse("customers:customer_list")
    client.get(url)
    client.post(url, {"list_action": "save_filter", "name": "a", "query": "size=medium"})
    client.post(url, {"list_action": "columns", "shown": ["name"]})
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("url_name", ["credit:application_list", "ratings:rating_list"])
def test_made_by_is_a_person_picker_and_dates_are_checked(url_name, users, client_for):
    client = client_for(users["analyst"])
    html = client.get(reverse(url_name)).content.decode()
    assert 'name="made_by"' in html and 'data-picker="/accounts/users/pick/"' in html
    date_field = "created_from" if url_name.startswith("credit") else "approved_from"
    assert f'type="date" name="{date_field}"' in html
    bad = client.get(reverse(url_name), {date_field: "1066-10-14", "made_by": "x"}).content.decode()
    assert bad.count('aria-invalid="true"') == 2
