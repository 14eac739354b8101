"""The API: scoped querysets, services behind writes, ratios in statements, constant queries."""
import datetime as dt

from customers.models import Customer, FinancialStatement

from .conftest import next_code, statement_data


def _json(data):
    return {k: (v.isoformat() if isinstance(v, dt.date) else (str(v) if v is not None and not isinstance(v, bool) else v))
            for k, v in data.items()}


def test_rm_creates_and_sees_own_portfolio_only(users, api_for, make_customer):
    theirs = make_customer(manager=users["rm2"])
    api = api_for(users["rm"])
    response = api.post("/api/v1/customers/", {
        "name": "接口客户有限公司", "credit_code": next_code(), "industry_section": "I", "industry_division": "65",
        "size": "small", "legal_form": "limited_liability"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["relationship_manager"] == "rm"
    ids = [row["id"] for row in api.get("/api/v1/customers/").json()["results"]]
    assert ids == [response.json()["id"]]
    assert api.get(f"/api/v1/customers/{theirs.pk}/").status_code == 404
    assert api.patch(f"/api/v1/customers/{theirs.pk}/", {"name": "x"}, format="json").status_code == 404


def test_invalid_code_is_a_400_with_field_errors(users, api_for):
    response = api_for(users["rm"]).post("/api/v1/customers/", {
        "name": "坏代码有限公司", "credit_code": "91350100M000100Y44", "industry_section": "C",
        "size": "small", "legal_form": "limited_liability"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert "credit_code" in body["errors"] and "check digit" in body["detail"]


def test_other_portfolio_refused_on_every_endpoint(users, api_for, make_customer, make_statement):
    customer = make_customer(manager=users["rm2"])
    statement = make_statement(customer)
    api = api_for(users["rm"])
    assert api.get(f"/api/v1/financial-statements/{statement.pk}/").status_code == 404
    assert api.get("/api/v1/financial-statements/").json()["count"] == 0
    response = api.post("/api/v1/financial-statements/", _json({"customer": customer.pk, **statement_data(year=2020)}),
                        format="json")
    assert response.status_code == 400 and "customer" in response.json()["errors"]
    response = api.post("/api/v1/contacts/", {"customer": customer.pk, "name": "x"}, format="json")
    assert response.status_code == 400
    response = api.post("/api/v1/negative-records/", {"customer": customer.pk, "kind": "litigation",
                                                      "occurred_on": "2024-01-01", "source": "x"}, format="json")
    assert response.status_code == 400
    assert FinancialStatement.objects.count() == 1


def test_statement_api_with_ratios_and_refusal(users, api_for, make_customer):
    customer = make_customer()
    api = api_for(users["rm"])
    response = api.post("/api/v1/financial-statements/", _json({"customer": customer.pk, **statement_data(year=2022)}),
                        format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["ratios"]["current_ratio"] == "2.0000"
    response = api.post("/api/v1/financial-statements/",
                        _json({"customer": customer.pk, **statement_data(year=2023, equity="1")}), format="json")
    assert response.status_code == 400
    assert "balance" in response.json()["detail"]
    response = api.post("/api/v1/financial-statements/", _json({"customer": customer.pk, **statement_data(year=2022)}),
                        format="json")
    assert response.status_code == 400 and "already exists" in response.json()["detail"]
    response = api_for(users["analyst"]).get(f"/api/v1/financial-statements/?customer={customer.pk}")
    assert response.json()["count"] == 1
    assert response.json()["results"][0]["ratios"]["revenue_growth"] is None


def test_statement_import_api(users, api_for, make_customer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from customers import statement_io

    customer = make_customer()
    row = dict.fromkeys(statement_io.COLUMNS, "") | {"period_end": "2023-12-31", "total_assets": "100",
                                                     "total_liabilities": "40", "equity": "65"}
    body = ",".join(statement_io.COLUMNS) + "\n" + ",".join(row[c] for c in statement_io.COLUMNS) + "\n"
    api = api_for(users["rm"])
    response = api.post("/api/v1/financial-statements/import/",
                        {"customer": customer.pk, "file": SimpleUploadedFile("s.csv", body.encode())}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"]["file"][0].startswith("Row 2")
    body = body.replace(",65,", ",60,")
    response = api.post("/api/v1/financial-statements/import/",
                        {"customer": customer.pk, "file": SimpleUploadedFile("s.csv", body.encode())}, format="multipart")
    assert response.status_code == 201, response.json()
    assert len(response.json()) == 1


def test_auditor_refused_every_write(users, api_for, make_customer, make_statement):
    customer = make_customer()
    statement = make_statement(customer)
    api = api_for(users["auditor"])
    writes = [
        ("post", "/api/v1/customers/", {"name": "x"}),
        ("patch", f"/api/v1/customers/{customer.pk}/", {"name": "x"}),
        ("post", f"/api/v1/customers/{customer.pk}/reassign/", {"relationship_manager": "rm2"}),
        ("post", "/api/v1/customer-groups/", {"name": "x"}),
        ("post", "/api/v1/contacts/", {"customer": customer.pk, "name": "x"}),
        ("post", "/api/v1/negative-records/", {"customer": customer.pk}),
        ("post", "/api/v1/financial-statements/", {"customer": customer.pk}),
        ("patch", f"/api/v1/financial-statements/{statement.pk}/", {"equity": "1"}),
        ("post", "/api/v1/financial-statements/import/", {"customer": customer.pk}),
        ("post", "/api/v1/customer-documents/", {"customer": customer.pk}),
    ]
    for method, url, data in writes:
        assert getattr(api, method)(url, data, format="json").status_code == 403, url
    assert api.get("/api/v1/customers/").json()["count"] == 1


def test_reassign_via_api(users, api_for, make_customer):
    customer = make_customer()
    assert api_for(users["rm"]).post(f"/api/v1/customers/{customer.pk}/reassign/", {"relationship_manager": "rm2"},
                                     format="json").status_code == 403
    response = api_for(users["riskadmin"]).post(f"/api/v1/customers/{customer.pk}/reassign/",
                                                {"relationship_manager": "rm2"}, format="json")
    assert response.status_code == 200 and response.json()["relationship_manager"] == "rm2"


def test_filters_and_search(users, api_for, make_customer):
    make_customer(name="甲钢铁有限公司", size="large")
    make_customer(name="乙食品有限公司", size="small", industry_section="F", industry_division="51")
    api = api_for(users["analyst"])
    assert api.get("/api/v1/customers/?search=钢铁").json()["count"] == 1
    assert api.get("/api/v1/customers/?industry_section=F").json()["count"] == 1
    names = [r["name"] for r in api.get("/api/v1/customers/?ordering=-name").json()["results"]]
    assert names == sorted(names, reverse=True)


def _add(users, make_customer, make_statement, count):
    for i in range(count):
        customer = make_customer(manager=users["rm"] if i % 2 else users["rm2"])
        make_statement(customer)
        make_statement(customer, year=2022)


def test_list_api_constant_queries(users, api_for, make_customer, make_statement, django_assert_max_num_queries):
    """5 rows and 50 rows: the same number of queries (and few)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = api_for(users["analyst"])
    api.get("/api/v1/customers/")  # warm the user's permission cache
    counts = {}
    for total in (5, 50):
        _add(users, make_customer, make_statement, total - Customer.objects.count())
        for url in ("/api/v1/customers/?page_size=100", "/api/v1/financial-statements/?page_size=200",
                    "/api/v1/customers/?page_size=100&search=%E5%AE%A2%E6%88%B7&ordering=-latest_statement"):
            with django_assert_max_num_queries(6), CaptureQueriesContext(connection) as queries:
                response = api.get(url)
            assert response.status_code == 200
            counts[(total, url)] = len(queries)
        assert api.get("/api/v1/customers/?page_size=100").json()["count"] == total
    for url in {u for _t, u in counts}:
        assert counts[(5, url)] == counts[(50, url)], url


def test_schema_lists_the_customer_endpoints(users, api_for):
    response = api_for(users["analyst"]).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ["/api/v1/customers/", "/api/v1/financial-statements/", "/api/v1/customer-documents/",
                 "/api/v1/customer-documents/{id}/download/", "/api/v1/negative-records/", "/api/v1/customer-groups/",
                 "/api/v1/contacts/", "/api/v1/financial-statements/import/"]:
        assert path in paths, path
