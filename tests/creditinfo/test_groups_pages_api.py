"""Group suggestions (same actual controller or controlling shareholder), the customer tab, the pages and the API,
each refused to the roles that may not use it."""
import pytest

from creditinfo import rules, selectors, services
from creditinfo.models import OutsideImport
from creditportal.core.errors import NotAllowed, ValidationFailed
from customers.models import Customer, CustomerGroup

from .conftest import json_file

pytestmark = pytest.mark.django_db


def _registration(controller, shareholders=()):
    return {"source": "企查查", "as_of": "2026-11-01",
            "registration": {"status": "存续", "actual_controller": controller,
                             "shareholders": [{"name": n, "share": s} for n, s in shareholders]}}


def test_suggest_groups_rule():
    found = rules.suggest_groups([
        (1, "李四", [], None), (2, " 李 四 ", [], None), (3, "王五", ["华东控股（集团）有限公司"], None),
        (4, "", ["华东控股(集团)有限公司"], None), (5, "赵六", [], 9), (6, "赵六", [], 9), (7, "孤", [], None)])
    assert [(s.reason, s.customer_ids) for s in found] == [("controller", (1, 2)), ("shareholder", (3, 4))]


def test_customers_with_the_same_controller_are_suggested_and_grouped_only_when_confirmed(users, make_customer,
                                                                                         do_import, client_for):
    a, b, c = make_customer(name="甲公司"), make_customer(name="乙公司"), make_customer(name="丙公司")
    other_rm = make_customer(users["rm2"], name="丁公司")
    do_import(a, _registration("李四"))
    do_import(b, _registration("李 四"))
    do_import(c, _registration("王五", [("华东控股", "70")]))
    do_import(other_rm, _registration("李四"), actor=users["rm2"])
    suggestions = selectors.group_suggestions(users["rm"])
    assert [(s["reason"], s["customer_ids"]) for s in suggestions] == [("controller", [a.pk, b.pk])]
    assert Customer.objects.filter(group__isnull=False).count() == 0  # nothing grouped silently
    # the analyst sees every portfolio: the other manager's customer joins the suggestion
    assert selectors.group_suggestions(users["analyst"])[0]["customer_ids"] == [a.pk, b.pk, other_rm.pk]
    page = client_for(users["rm"]).get("/creditinfo/group-suggestions/")
    assert page.status_code == 200 and "甲公司" in page.content.decode() and "丁公司" not in page.content.decode()
    response = client_for(users["rm"]).post("/creditinfo/group-suggestions/confirm/",
                                            {"customers": [a.pk, b.pk], "name": "李四系"})
    group = CustomerGroup.objects.get(name="李四系")
    assert response.status_code == 302 and response.url == f"/customers/groups/{group.pk}/"
    assert set(group.members.values_list("pk", flat=True)) == {a.pk, b.pk}
    assert Customer.objects.get(pk=a.pk).group_relation == "common_control"
    assert selectors.group_suggestions(users["rm"]) == []


def test_confirming_a_group_is_refused_to_others(users, make_customer, do_import, client_for):
    a, b = make_customer(), make_customer()
    theirs = make_customer(users["rm2"])
    with pytest.raises(NotAllowed):
        services.group_suggestion_confirm(actor=users["analyst"], customers=[a, b], name="x")
    with pytest.raises(NotAllowed):
        services.group_suggestion_confirm(actor=users["rm"], customers=[a, theirs], name="x")
    with pytest.raises(ValidationFailed):
        services.group_suggestion_confirm(actor=users["rm"], customers=[a], name="x")
    for role in ("analyst", "collector", "auditor", "riskadmin"):
        response = client_for(users[role]).post("/creditinfo/group-suggestions/confirm/",
                                                {"customers": [a.pk, b.pk], "name": "x"})
        assert response.status_code == 403
    assert not CustomerGroup.objects.exists()


def test_the_customer_tab_shows_the_records_in_force(users, make_customer, content, do_import, client_for,
                                                     django_assert_max_num_queries):
    customer = make_customer()
    do_import(customer, content)
    client = client_for(users["rm"])
    client.get(f"/customers/{customer.pk}/?tab=outside")
    with django_assert_max_num_queries(45):
        page = client.get(f"/customers/{customer.pk}/?tab=outside")
    text = page.content.decode()
    assert page.status_code == 200
    for expected in ("李四", "(2026)沪0101执100号", "沪市监罚〔2025〕1号", "DY-001", "招商银行", "outside.json"):
        assert expected in text
    assert "Import outside information" in text
    assert "Import outside information" not in client_for(users["collector"]).get(
        f"/customers/{customer.pk}/?tab=outside").content.decode()


def test_the_import_page(users, make_customer, content, client_for):
    customer = make_customer()
    url = f"/creditinfo/customers/{customer.pk}/import/"
    assert client_for(users["rm"]).get(url).status_code == 200
    response = client_for(users["rm"]).post(url, {"file": json_file(content), "adapter": "portal"})
    assert response.status_code == 302 and OutsideImport.objects.filter(customer=customer).count() == 1
    content["tax_ratings"][0]["rating"] = "Z"
    response = client_for(users["rm"]).post(url, {"file": json_file(content), "adapter": "portal"})
    assert response.status_code == 200 and "tax_ratings[1]" in response.content.decode()
    assert OutsideImport.objects.filter(customer=customer).count() == 1
    for role in ("collector", "approver1", "auditor", "riskadmin"):
        assert client_for(users[role]).get(url).status_code == 403
    assert client_for(users["rm2"]).get(url).status_code == 404
    imp = OutsideImport.objects.get(customer=customer)
    assert client_for(users["auditor"]).get(f"/creditinfo/imports/{imp.pk}/file/").status_code == 200
    assert client_for(users["rm2"]).get(f"/creditinfo/imports/{imp.pk}/file/").status_code == 404


def test_the_api(users, make_customer, content, api_for, django_assert_max_num_queries):
    customer = make_customer()
    response = api_for(users["rm"]).post("/api/v1/outside-imports/", {"customer": customer.pk,
                                                                      "file": json_file(content)},
                                         format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["kinds"] == list(rules.KINDS)
    content["as_of"] = "2026-13-01"
    bad = api_for(users["rm"]).post("/api/v1/outside-imports/", {"customer": customer.pk, "file": json_file(content)},
                                    format="multipart")
    assert bad.status_code == 400 and "as_of" in bad.json()["detail"]
    for role in ("collector", "auditor", "approver1"):
        refused = api_for(users[role]).post("/api/v1/outside-imports/",
                                            {"customer": customer.pk, "file": json_file(content)}, format="multipart")
        assert refused.status_code == 403
    listing = api_for(users["analyst"]).get("/api/v1/outside-imports/", {"customer": customer.pk})
    assert listing.status_code == 200 and len(listing.json()["results"]) == 1
    assert api_for(users["rm2"]).get("/api/v1/outside-imports/").json()["results"] == []
    changes = api_for(users["rm"]).get("/api/v1/outside-changes/", {"customer": customer.pk}).json()["results"]
    assert {c["kind"] for c in changes} == {"new_enforcement", "new_chattel_mortgage", "new_penalty"}
    with django_assert_max_num_queries(15):
        info = api_for(users["collector"]).get(f"/api/v1/outside-information/{customer.pk}/")
    data = info.json()
    assert info.status_code == 200 and data["registration"]["actual_controller"] == "李四"
    assert data["registration"]["shareholders"][0] == {"name": "李四", "share": "60.0000"}
    assert data["credit_report"]["loans"][1]["lender"] == "招商银行"
    assert api_for(users["rm2"]).get(f"/api/v1/outside-information/{customer.pk}/").status_code == 404
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/outside-imports/").status_code in (401, 403)
