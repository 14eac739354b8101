"""The error answers are documented on every operation and every error body has the documented shape.

``creditportal.core.schema.AutoSchema`` adds them once for the whole API; the fuzzing module then checks
every answer's status against the schema (status_code_conformance). Here: which statuses each kind of
operation documents, and that real answers carry ``detail`` and ``code`` (and ``errors`` on a 400).
"""
import pytest
from rest_framework.test import APIClient

ERROR_REF = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def openapi():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def operations(openapi):
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            yield path, method.upper(), operation


def error_ref(response):
    return response["content"]["application/json"]["schema"]["$ref"]


# Operations whose own ``@extend_schema`` documents a richer 400 body (kept by the AutoSchema).
OWN_400 = {("POST", "/api/v1/financial-statements/import/")}


def test_the_error_body_is_documented(openapi):
    error = openapi["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"detail", "code"}
    assert set(error["properties"]) == {"detail", "code", "errors"}


def test_every_operation_documents_its_error_answers(openapi):
    counted = {"400": 0, "404": 0, "409": 0, "429": 0}
    for path, method, operation in operations(openapi):
        responses = operation["responses"]
        where = f"{method} {path}"
        assert any(code.startswith("2") for code in responses), where
        for code in ("401", "403"):
            assert error_ref(responses[code]) == ERROR_REF, where
        parameters = operation.get("parameters", [])
        if "requestBody" in operation or any(p["in"] == "query" for p in parameters):
            assert error_ref(responses["400"]) == ERROR_REF or (method, path) in OWN_400, where
        if "requestBody" in operation or any(p["in"] == "path" for p in parameters):
            assert error_ref(responses["404"]) == ERROR_REF, where
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            assert error_ref(responses["409"]) == ERROR_REF, where
        else:
            assert "409" not in responses, where
        for code in counted:
            counted[code] += code in responses
    assert counted["429"] >= 1  # the throttled token login
    assert all(counted[code] > 10 for code in ("400", "404", "409")), counted
    token = openapi["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert error_ref(token["429"]) == ERROR_REF


def assert_error_body(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["code"] == code
    assert set(body) <= {"detail", "code", "errors"}
    return body


@pytest.mark.django_db
def test_real_error_answers_have_the_documented_shape(users, api_for, settings):
    from customers.models import Customer

    assert_error_body(APIClient().get("/api/v1/customers/"), 401, "not_authenticated")
    assert_error_body(api_for(users["collector"]).post("/api/v1/customers/", {}, format="json"), 403,
                      "permission_denied")
    assert_error_body(api_for(users["rm"]).get("/api/v1/customers/999999/"), 404, "not_found")
    other = Customer.objects.create(name="别人的客户", is_foreign=True, registration_number="REG-OTHER", country="HK",
                                    relationship_manager=users["rm2"], status="active")
    assert_error_body(api_for(users["rm"]).get(f"/api/v1/customers/{other.pk}/"), 404, "not_found")
    body = assert_error_body(api_for(users["rm"]).post("/api/v1/customers/", {"name": ""}, format="json"), 400,
                             "invalid")
    assert "name" in body["errors"]
    assert_error_body(api_for(users["rm"]).get("/api/v1/customers/?page=999"), 404, "not_found")


@pytest.mark.django_db
def test_a_throttled_token_login_has_the_documented_shape(users):
    from django.core.cache import cache

    cache.clear()
    client = APIClient()
    answers = [client.post("/api/v1/auth/token/", {"username": "analyst", "password": "bad"}, format="json")
               for _ in range(7)]
    assert_error_body(answers[0], 400, "invalid")
    throttled = next(r for r in answers if r.status_code == 429)
    assert_error_body(throttled, 429, "throttled")
    assert int(throttled["Retry-After"]) > 0
    cache.clear()


@pytest.mark.django_db
def test_not_found_and_server_errors_under_the_api_are_json_in_the_callers_language(users, api_for, monkeypatch):
    """A URL under /api/ that names no route, an object the caller may not see, and an unexpected error all
    answer in the API's error format (never the HTML pages), with the portal's message in the caller's language."""
    from customers.models import Customer

    other = Customer.objects.create(name="他人客户有限公司", is_foreign=True, registration_number="R-404",
                                    industry_section="C", size="small", relationship_manager=users["rm2"],
                                    status="active")
    api = api_for(users["rm"])
    for url in ("/api/v1/no-such-resource/", "/api/v1/customers/abc/", "/api/nothing"):
        response = api.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 404 and response["Content-Type"].startswith("application/json"), url
        assert response.json() == {"detail": "The page or object does not exist, or is not in your portfolio.",
                                   "code": "not_found"}, url
    hidden = api.get(f"/api/v1/customers/{other.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert hidden.status_code == 404 and hidden.json()["code"] == "not_found"
    assert "Customer" not in hidden.json()["detail"] and any("\u4e00" <= c <= "\u9fff" for c in hidden.json()["detail"])

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("customers.api.CustomerViewSet.list", broken)
    failing = APIClient(raise_request_exception=False)
    failing.force_authenticate(users["rm"])
    response = failing.get("/api/v1/customers/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 500 and response.json()["code"] == "error"
    assert "could not finish this request" in response.json()["detail"]
