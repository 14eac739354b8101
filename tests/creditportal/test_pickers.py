"""Search-as-you-type pickers (issue 21): the search URLs answer only what the user may see, and the widget
renders only the chosen option."""
import pytest
from django import forms
from django.urls import reverse

from creditportal.core.pickers import Picker
from customers.models import Customer

pytestmark = pytest.mark.django_db


def _customer(users, name, rm="rm", code=""):
    return Customer.objects.create(name=name, is_foreign=True, registration_number=name, country="HK",
                                   industry_section="C", size="medium", relationship_manager=users[rm])


def test_customer_search_is_scoped_to_the_portfolio(users, client_for):
    mine = _customer(users, "华东机械有限公司")
    _customer(users, "华东化工有限公司", rm="rm2")
    url = reverse("customers:pick")
    found = client_for(users["rm"]).get(url, {"q": "华东"}).json()["results"]
    assert found == [{"id": mine.pk, "text": "华东机械有限公司"}]
    assert len(client_for(users["analyst"]).get(url, {"q": "华东"}).json()["results"]) == 2
    assert client_for(users["auditor"]).get(url, {"q": "化工"}).json()["results"][0]["text"] == "华东化工有限公司"


def test_search_refused_without_the_right(users, client_for, client):
    assert client.get(reverse("customers:pick")).status_code == 302  # to the login page
    assert client_for(users["collector"]).get(reverse("accounts:pick"), {"q": "a"}).status_code in (200, 403)


def test_user_search_names_people_by_name(users, client_for):
    users["rm"].first_name, users["rm"].last_name = "小明", "王"
    users["rm"].save()
    results = client_for(users["riskadmin"]).get(reverse("accounts:pick"), {"q": "小明"}).json()["results"]
    assert [r["id"] for r in results] == [users["rm"].pk]
    assert users["rm"].username not in results[0]["text"]


def test_picker_renders_only_the_chosen_option(users):
    chosen = _customer(users, "甲公司")
    _customer(users, "乙公司")

    class Form(forms.Form):
        customer = forms.ModelChoiceField(Customer.objects.all(), widget=Picker("customers:pick"))

    html = str(Form({"customer": chosen.pk})["customer"])
    assert 'data-picker="/customers/pick/"' in html
    assert "甲公司" in html and "乙公司" not in html
    assert "乙公司" not in str(Form()["customer"])


def test_a_bad_search_text_is_refused(users, client_for):
    response = client_for(users["analyst"]).get(reverse("customers:pick"), {"q": "a\x00b"})
    assert response.status_code == 400 and "q" in response.json()["errors"]
    assert client_for(users["analyst"]).get(reverse("customers:pick"), {"q": "x" * 101}).status_code == 400


def test_group_search_is_scoped_refused_anonymous_and_narrows_to_groups_without_a_limit(users, client_for, client):
    """``customers:pick_group``: the groups the user may see, by name; ``?without_limit=1`` leaves out groups that
    already carry a group credit limit; no answer without a login or without the right to see groups."""
    from django.contrib.auth import get_user_model

    from credit.models import GroupLimit
    from customers.models import CustomerGroup

    mine, other = CustomerGroup.objects.create(name="华东集团"), CustomerGroup.objects.create(name="华南集团")
    limited = CustomerGroup.objects.create(name="华北集团")
    for group, rm in ((mine, "rm"), (other, "rm2"), (limited, "rm")):
        customer = _customer(users, f"{group.name}成员", rm=rm)
        customer.group = group
        customer.save()
    GroupLimit.objects.create(group=limited, limit="1000000", currency="CNY", active=True)
    url = reverse("customers:pick_group")
    names = lambda user, **q: [r["text"] for r in client_for(user).get(url, {"q": "集团", **q}).json()["results"]]  # noqa: E731
    assert sorted(names(users["rm"])) == sorted(["华东集团", "华北集团"])  # not another portfolio's group
    assert sorted(names(users["analyst"])) == sorted(["华东集团", "华南集团", "华北集团"])
    assert sorted(names(users["analyst"], without_limit="1")) == sorted(["华东集团", "华南集团"])
    assert client.logout() is None and client.get(url).status_code == 302  # to the login page
    nobody = get_user_model().objects.create_user("no_rights", password="x")
    assert client_for(nobody).get(url, {"q": "集团"}).status_code == 403
