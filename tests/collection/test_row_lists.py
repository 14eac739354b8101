"""The big lists read from plain rows (``creditportal.core.api.RowListMixin``): the same bytes as DRF's
serializer path, constant query counts, the same refusals and the same portfolio scoping."""
import datetime as dt
from decimal import Decimal as D

import pytest
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from creditportal.core import api as core_api
from tests.row_lists import drf_path, fresh_statements, token_client  # noqa: F401 - fresh_statements: autouse

LISTS = ["/api/v1/customers/", "/api/v1/invoices/"]


@pytest.fixture
def portfolio(users, make_customer, make_invoice):
    """Rows with nulls and without: a group or none, a statement or none, paid, partly paid, foreign currency."""
    from collection import services
    from customers.models import CustomerGroup

    group = CustomerGroup.objects.create(name="华东集团")
    first = make_customer(rm=users["rm"], group=group, registered_capital=D("12345.60"),
                          registered_capital_currency="USD", established_on=dt.date(2001, 2, 3),
                          credit_code=None)
    second = make_customer(name="无集团有限公司", rm=users["rm2"])
    invoices = [make_invoice(first, amount="1000.00", days_past_due=10),
                make_invoice(first, amount="250.50", days_past_due=40, currency="USD"),
                make_invoice(second, amount="99.99", days_past_due=0)]
    services.payment_post(actor=users["rm"], customer=first, amount=D("1000.00"),
                          received_on=invoices[0].due_date, reference="P1")
    services.payment_post(actor=users["rm2"], customer=second, amount=D("10.00"),
                          received_on=invoices[2].due_date, reference="P2")
    return {"customers": [first, second], "invoices": invoices}


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("query", ["", "?page_size=1", "?page_size=1&page=2", "?page_size=500", "?page=last&page_size=1"])
def test_same_bytes_as_drf_serializers(portfolio, users, monkeypatch, path, query):
    for user in (users["analyst"], users["rm"]):
        client = token_client(user)
        rows = client.get(path + query)
        again = client.get(path + query)  # the compiled statement, reused
        drf_path(monkeypatch)
        drf = client.get(path + query)
        monkeypatch.undo()
        assert rows.status_code == drf.status_code == again.status_code  # 404 past the last page
        assert rows.content == drf.content == again.content


def test_the_values_nulls_decimals_dates_choices_and_related_names(portfolio, users):
    body = token_client(users["analyst"]).get("/api/v1/customers/?page_size=500").json()
    by_name = {row["name"]: row for row in body["results"]}
    first, second = by_name["华东机械有限公司"], by_name["无集团有限公司"]
    assert first["group_name"] == "华东集团" and second["group_name"] is None and second["group"] is None
    assert first["relationship_manager"] == "rm" and second["relationship_manager"] == "rm2"
    assert first["registered_capital"] == "12345.60" and first["established_on"] == "2001-02-03"
    assert first["credit_code"] is None and first["created_at"].endswith(("Z", "+08:00"))
    invoices = token_client(users["analyst"]).get("/api/v1/invoices/?page_size=500").json()["results"]
    assert {row["outstanding"] for row in invoices} == {"0.00", "250.50", "89.99"}
    assert {row["status"] for row in invoices} == {"paid", "open"}
    assert all(row["facility"] is None for row in invoices)
    assert {row["paid_on"] is None for row in invoices} == {True, False}


@pytest.mark.parametrize("path", LISTS)
def test_query_count_does_not_grow_with_the_page(portfolio, users, make_customer, make_invoice, path,
                                                 django_assert_num_queries):
    for n in range(30):
        make_invoice(portfolio["customers"][0], amount="10.00", days_past_due=n)
    for n in range(5):
        make_customer(name=f"客户{n}", rm=users["rm"])
    client = token_client(users["rm"])  # filtered (own portfolio): exact count, token + count + page
    client.get(path + "?page_size=2")
    client.get(path + "?page_size=500")
    with django_assert_num_queries(3):
        small = client.get(path + "?page_size=2")
    with django_assert_num_queries(3):
        large = client.get(path + "?page_size=500")
    assert len(small.json()["results"]) == 2 and len(large.json()["results"]) > 2


@pytest.mark.parametrize("path", LISTS)
def test_a_user_without_the_permission_is_refused(portfolio, make_user, users, path):
    nobody = make_user("nobody")
    assert token_client(nobody).get(path).status_code == 403
    assert APIClient().get(path).status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.get(path).status_code == 401 and bad.get(path).json()["detail"] == "Invalid token."
    client = token_client(users["analyst"])
    users["analyst"].is_active = False
    users["analyst"].save()
    refused = client.get(path)
    assert refused.status_code == 401 and refused.json()["detail"] == "User inactive or deleted."


def test_a_manager_sees_only_their_own_rows_also_from_the_reused_statement(portfolio, users):
    rm, rm2 = token_client(users["rm"]), token_client(users["rm2"])
    for _ in range(2):  # the second time from the statements compiled the first time
        own = {row["name"] for row in rm.get("/api/v1/customers/").json()["results"]}
        other = {row["name"] for row in rm2.get("/api/v1/customers/").json()["results"]}
        assert own == {"华东机械有限公司"} and other == {"无集团有限公司"}
        invoices = rm.get("/api/v1/invoices/").json()
        assert invoices["count"] == 2 and invoices["count_exact"] is True
        assert {row["customer"] for row in invoices["results"]} == {portfolio["customers"][0].pk}


def test_a_changed_role_takes_effect_on_the_next_request(portfolio, users):
    from django.contrib.auth.models import Group

    client = token_client(users["rm"])
    assert client.get("/api/v1/invoices/").json()["count"] == 2
    users["rm"].groups.add(Group.objects.get(name="credit_analyst"))  # now sees every portfolio
    assert client.get("/api/v1/invoices/").json()["count"] == 3
    users["rm"].groups.clear()  # no role left: refused
    assert client.get("/api/v1/invoices/").status_code == 403


def test_filters_take_the_full_path(portfolio, users):
    client = token_client(users["analyst"])
    paid = client.get("/api/v1/invoices/?status=paid").json()
    assert [row["outstanding"] for row in paid["results"]] == ["0.00"]
    assert client.get("/api/v1/invoices/?status=nonsense").status_code == 400


def test_a_field_not_read_from_rows_keeps_drfs_path(portfolio, users, monkeypatch):
    from collection.api import InvoiceSerializer
    from collection.models import Invoice

    class WithMethod(InvoiceSerializer):
        shout = serializers.SerializerMethodField()

        class Meta(InvoiceSerializer.Meta):
            fields = [*InvoiceSerializer.Meta.fields, "shout"]

        def get_shout(self, invoice) -> str:
            return invoice.number.upper()

    child = WithMethod()
    assert core_api.row_plan(child, Invoice.objects.all()) is None
    from collection.api import InvoiceViewSet

    monkeypatch.setattr(InvoiceViewSet, "serializer_class", WithMethod)
    rows = token_client(users["analyst"]).get("/api/v1/invoices/").json()["results"]
    assert {row["shout"] for row in rows} == {i.number.upper() for i in portfolio["invoices"]}


def test_row_plan_follows_sources_to_columns(users):
    from collection.api import InvoiceSerializer
    from collection.models import Invoice
    from customers.api import CustomerSerializer
    from customers.selectors import customer_list

    plan = core_api.row_plan(CustomerSerializer(), customer_list(users["analyst"]))
    lookups = dict(zip([name for name, _c in plan.columns], plan.lookups))
    assert lookups["group"] == "group_id" and lookups["group_name"] == "group__name"
    assert lookups["relationship_manager"] == "relationship_manager__username"
    assert lookups["latest_period_end"] == "latest_period_end"
    plan = core_api.row_plan(InvoiceSerializer(), Invoice.objects.all(),
                             {"outstanding": object(), "payment_term_days": object()})
    assert dict(zip([name for name, _c in plan.columns], plan.lookups))["customer"] == "customer_id"
    assert "_row_outstanding" in plan.lookups


def test_token_statement_loads_what_drf_loads(users):
    from creditportal.core.api import ActiveUserTokenAuthentication

    token = Token.objects.create(user=users["rm"])
    user, found = ActiveUserTokenAuthentication().authenticate_credentials(token.key)
    assert found.pk == token.pk and found.created == token.created and user == users["rm"]
    for field in type(user)._meta.concrete_fields:
        assert getattr(user, field.attname) == getattr(users["rm"], field.attname)


def test_api_routes_grouped_by_prefix_resolve_as_before():
    import re

    from django.urls import Resolver404
    from django.urls.resolvers import RegexPattern, URLResolver

    from config.urls import grouped_by_prefix, router

    flat = URLResolver(RegexPattern(r"^"), router.urls)
    grouped = URLResolver(RegexPattern(r"^"), grouped_by_prefix(router.urls, [p for p, _v, _b in router.registry]))
    samples = set()
    for pattern in router.urls:
        text = re.sub(r"\(\?P<format>[^)]*\)", "json", str(pattern.pattern))
        text = re.sub(r"\(\?P<\w+>[^)]*\)", "12", text).lstrip("^").rstrip("$")
        text = text.replace("\\.", ".").replace("/?", "/").replace("\\-", "-")
        samples |= {text, text.rstrip("/"), text + "x/", text.replace("12", "ab")}

    def resolved(resolver, path):
        try:
            match = resolver.resolve(path)
        except Resolver404:
            return None
        return match.url_name, match.kwargs

    assert len(grouped.url_patterns) < len(flat.url_patterns) / 3
    assert {s: resolved(grouped, s) for s in samples} == {s: resolved(flat, s) for s in samples}
    # the installed resolver: the groups looked up by the path's first segment
    from config.urls import SegmentIndexedResolver, urlpatterns

    installed = next(p for p in urlpatterns if isinstance(p, SegmentIndexedResolver))
    samples |= {"", "nothing/", ".json", "nothing.json"}
    assert {s: resolved(installed, "api/v1/" + s) for s in samples} == {s: resolved(flat, s) for s in samples}


def test_redis_cache_reuses_its_client(settings):
    from creditportal.core.cache import RedisCache

    cache = RedisCache("redis://127.0.0.1:6379/0", {})
    assert cache._cache.get_client("a") is cache._cache.get_client("b")


@pytest.mark.postgres
def test_pages_and_tokens_run_as_prepared_statements(portfolio, users, monkeypatch):
    from django.db import connection, connections

    client = token_client(users["rm"])
    expected = client.get("/api/v1/invoices/?page_size=1").content  # queries logged: Django's cursor
    monkeypatch.setattr(type(connections["default"]), "queries_logged", property(lambda self: False))
    for _ in range(2):
        assert client.get("/api/v1/invoices/?page_size=1").content == expected
    monkeypatch.undo()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('"authtoken_token"' in sql for sql in prepared)
    assert any('FROM "collection_invoice"' in sql and " LIMIT 1" in sql for sql in prepared), prepared


def test_columns_output_as_they_are_only_where_drf_would_not_change_them():
    from collection.models import Invoice
    from customers.models import Customer

    unchanged = core_api._unchanged_by
    number, amount, customer = (Invoice._meta.get_field(name) for name in ("number", "amount", "customer"))
    assert unchanged(serializers.CharField(), number)
    assert not unchanged(serializers.CharField(), amount)  # str(Decimal): a conversion
    assert not unchanged(serializers.IntegerField(), number)
    assert unchanged(serializers.IntegerField(), customer)  # "customer_id": the key's integer column
    assert unchanged(serializers.BooleanField(), Customer._meta.get_field("is_foreign"))
    assert unchanged(serializers.ChoiceField(choices=[("a", "A")]), number)
    assert not unchanged(serializers.ChoiceField(choices=[(1, "one")]), number)  # "1" → 1
    assert not unchanged(serializers.BigIntegerField(coerce_to_string=True), Invoice._meta.pk)
    assert not unchanged(serializers.DateField(), Invoice._meta.get_field("due_date"))
    assert not unchanged(serializers.CharField(), None)  # an annotation: its type is not known


def test_decimals_of_the_columns_scale_are_written_as_drf_writes_them():
    from collection.models import Invoice

    amount = Invoice._meta.get_field("amount")  # numeric(18, 2)
    field = serializers.DecimalField(max_digits=18, decimal_places=2)
    assert core_api._same_scale_decimal(field, amount)
    convert = core_api._decimal_as_written(field)
    for value in ["0.00", "0.01", "-12.30", "100.00", "9999999999999999.99", "-9999999999999999.99"]:
        assert convert(D(value)) == field.to_representation(D(value)) == value
    assert convert(5) == field.to_representation(5) == "5.00"  # not a Decimal: DRF's own path
    assert not core_api._same_scale_decimal(serializers.DecimalField(max_digits=18, decimal_places=3), amount)
    assert not core_api._same_scale_decimal(serializers.DecimalField(max_digits=10, decimal_places=2), amount)
    assert not core_api._same_scale_decimal(serializers.DecimalField(max_digits=18, decimal_places=2,
                                                                     coerce_to_string=False), amount)
    assert not core_api._same_scale_decimal(field, None)  # an expression: its scale is not the column's
