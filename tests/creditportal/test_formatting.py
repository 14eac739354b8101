"""Money and numbers on pages follow the reader's language: currency + grouped amount in both languages."""
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from creditportal.core.formatting import amount, money


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_money_shows_currency_and_grouped_amount(language):
    with translation.override(language):
        assert money(Decimal("1234567.891"), "CNY") == "CNY 1,234,567.89"
        assert money(Decimal("-0.5"), "EUR") == "EUR -0.50"
        assert money(None, "CNY") == "—" and money("not a number", "CNY") == "—"
        assert amount(Decimal("12345")) == "12,345.00" and amount(Decimal("7.125"), 1) == "7.1"


def test_filters_are_built_in_for_every_template():
    with translation.override("zh-hans"):
        out = Template("{{ v|money:c }} · {{ v|amount }}").render(Context({"v": Decimal("98765.4"), "c": "USD"}))
    assert out == "USD 98,765.40 · 98,765.40"


def test_floatformat_grouping_in_chinese_uses_commas_by_three():
    with translation.override("zh-hans"):
        assert Template('{{ v|floatformat:"2g" }}').render(Context({"v": 1234567})) == "1,234,567.00"


@pytest.mark.django_db
def test_invoice_list_shows_money_formatted(client, users):
    from collection import services as collection_services
    from customers.models import Customer

    customer = Customer.objects.create(name="格式测试有限公司", is_foreign=True, registration_number="REG-F",
                                       industry_section="C", size="medium", relationship_manager=users["rm"],
                                       status="active")
    import datetime as dt

    collection_services.invoice_create(actor=users["rm"], customer=customer, number="INV-FMT",
                                       issue_date=dt.date(2026, 1, 1), due_date=dt.date(2026, 2, 1),
                                       amount=Decimal("1234567.80"), currency="EUR")
    client.force_login(users["collector"])
    for language in ("en", "zh-hans"):
        page = client.get(reverse("collection:invoice_list"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert "EUR 1,234,567.80" in page


def test_a_rate_shows_as_a_percentage_without_trailing_zeros():
    """Haircuts, recovery and counting factors (issue 21): "40%", never "0.4000"."""
    from creditportal.core.formatting import percent

    assert percent("0.4000", -2) == "40%"
    assert percent("0.125", -2) == "12.5%"
    assert percent("0.95", "-2") == "95%"
    assert percent("0.3573", 2) == "35.73%"
    assert percent(None, -2) == "—"


@pytest.mark.django_db
def test_collateral_rates_show_as_percentages_on_the_tables(users, client_for):
    html = client_for(users["analyst"]).get(reverse("credit:haircut_table")).content.decode()
    assert "%" in html and "0.4000" not in html and "0.3000" not in html
