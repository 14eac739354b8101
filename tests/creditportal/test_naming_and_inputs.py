"""Issue 21, clean language and numbers: the kernel's helpers for names in two languages
(``creditportal.core.naming``), amount and percentage inputs (``creditportal.core.forms``) and the
reporting-currency and percentage filters."""
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django import forms
from django.template import Context, Template
from django.utils import translation

from creditportal.core.forms import AmountField, PercentField
from creditportal.core.naming import LocalizedNameMixin, localized, split_bilingual


class Named(LocalizedNameMixin):
    def __init__(self, name, name_en="", description="", description_en=""):
        self.name, self.name_en, self.description, self.description_en = name, name_en, description, description_en


def test_a_name_shows_in_the_readers_language_and_never_both():
    rule = Named("逾期超过 30 天", "Invoices overdue more than 30 days", "最早未结发票逾期。", "The oldest invoice.")
    with translation.override("en"):
        assert str(rule) == rule.localized_name == "Invoices overdue more than 30 days"
        assert localized(rule, "description") == "The oldest invoice."
        assert Template('{{ r|localized }} / {{ r|localized:"description" }}').render(Context({"r": rule})) == \
            "Invoices overdue more than 30 days / The oldest invoice."
    with translation.override("zh-hans"):
        assert str(rule) == "逾期超过 30 天"
        assert Template("{{ r|localized }}").render(Context({"r": rule})) == "逾期超过 30 天"


def test_a_name_in_one_language_is_shown_in_both():
    typed = Named("华东专项政策")
    english_only = Named("", "Special policy")
    with translation.override("en"):
        assert str(typed) == "华东专项政策" and str(english_only) == "Special policy"
    with translation.override("zh-hans"):
        assert str(typed) == "华东专项政策" and str(english_only) == "Special policy"
    assert localized(None) == ""


def test_a_name_the_portal_shipped_in_english_is_translated_by_its_catalogue():
    model = SimpleNamespace(name="Corporate scorecard", name_en="")
    with translation.override("zh-hans"):
        assert localized(model) != "Corporate scorecard"  # the ratings catalogue translates the shipped name
    with translation.override("en"):
        assert localized(model) == "Corporate scorecard"


@pytest.mark.parametrize("text, expected", [
    ("逾期超过 30 天 Invoices overdue more than 30 days", ("逾期超过 30 天", "Invoices overdue more than 30 days")),
    ("授信政策 Credit policy 2026", ("授信政策", "Credit policy 2026")),
    ("额度使用率超过 90% Limit utilisation above 90%", ("额度使用率超过 90%", "Limit utilisation above 90%")),
    ("资不抵债 (our wording)", ("资不抵债 (our wording)", "")),
    ("Standard", ("Standard", "")),
    ("华东专项政策", ("华东专项政策", "")),
    ("", ("", "")),
])
def test_split_bilingual(text, expected):
    assert split_bilingual(text) == expected


class MoneyForm(forms.Form):
    amount = AmountField(min_value=0)
    haircut = PercentField(label="Haircut", required=False)
    daily = PercentField(label="Late fee daily rate", max_digits=9, decimal_places=7, max_value=None,
                         required=False)


@pytest.mark.parametrize("typed, expected", [
    ("1,234,567.89", Decimal("1234567.89")), ("1 234 567.89", Decimal("1234567.89")),
    ("12.5万元", Decimal("125000")), ("12.5 万", Decimal("125000")), ("3亿", Decimal("300000000")),
    ("500元", Decimal("500")), ("39000", Decimal("39000")),
])
def test_amount_inputs_accept_separators_and_units(typed, expected):
    form = MoneyForm({"amount": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == expected


@pytest.mark.parametrize("typed", ["１２３", "1.2.3", "abc", "12 dollars", "1.234", "-5", "12万美元"])
def test_amount_inputs_refuse_what_is_no_amount_with_a_clear_message(typed):
    with translation.override("en"):
        form = MoneyForm({"amount": typed})
        assert not form.is_valid()
        assert form.errors["amount"]


def test_an_invalid_amount_is_explained_in_both_languages():
    with translation.override("en"):
        assert MoneyForm({"amount": "abc"}).errors["amount"] == ["Enter an amount, e.g. 1,234,567.89 or 120 万元."]
    with translation.override("zh-hans"):
        assert MoneyForm({"amount": "abc"}).errors["amount"] == ["请输入金额，例如 1,234,567.89 或 120 万元。"]


def test_an_amount_input_shows_its_value_grouped_and_asks_for_the_echo():
    html = str(MoneyForm(initial={"amount": Decimal("39000.00")})["amount"])
    assert 'value="39,000.00"' in html and "data-amount-echo" in html and 'inputmode="decimal"' in html


@pytest.mark.parametrize("typed, expected", [
    ("30", Decimal("0.3000")), ("2.5", Decimal("0.0250")), ("2.5%", Decimal("0.0250")), ("100", Decimal("1.0000")),
    ("0", Decimal("0.0000")), (" 40 ", Decimal("0.4000")),
])
def test_percentages_are_typed_as_percentages_and_kept_as_fractions(typed, expected):
    form = MoneyForm({"amount": "1", "haircut": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["haircut"] == expected
    assert form.cleaned_data["haircut"].as_tuple().exponent == -4


def test_a_daily_rate_keeps_its_precision():
    form = MoneyForm({"amount": "1", "daily": "0.05"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["daily"] == Decimal("0.0005000")


@pytest.mark.parametrize("typed, message", [
    ("101", "Enter at most 100%."), ("-1", "Enter at least 0%."), ("30.255", "Enter at most 2 decimals."),
    ("thirty", "Enter a percentage, e.g. 30 for 30%."),
])
def test_a_percentage_out_of_bounds_is_explained_in_percent(typed, message):
    with translation.override("en"):
        form = MoneyForm({"amount": "1", "haircut": typed})
        assert not form.is_valid()
        assert form.errors["haircut"] == [message]


def test_a_percentage_field_shows_the_stored_fraction_as_a_percentage():
    form = MoneyForm(initial={"haircut": Decimal("0.4000"), "daily": Decimal("0.0005000")})
    assert 'value="40"' in str(form["haircut"]) and 'value="0.05"' in str(form["daily"])
    assert 'max="100"' in str(form["haircut"])
    with translation.override("en"):
        assert str(form["haircut"].label) == "Haircut (%)"
    bound = MoneyForm({"amount": "1", "haircut": "40"})
    assert 'value="40"' in str(bound["haircut"])  # what the person typed stays as typed


def test_model_amount_fields_take_typed_amounts_in_model_forms():
    from creditportal.core.money import AmountField as ModelAmountField

    field = ModelAmountField(verbose_name="amount").formfield()
    assert isinstance(field, AmountField)
    assert field.clean("1,000万") == Decimal("10000000")


def test_reporting_money_and_percent_filters():
    with translation.override("en"):
        out = Template("{{ a|reporting_money }} · {{ pd|percent }} · {{ h|percent:0 }}").render(
            Context({"a": Decimal("39000"), "pd": Decimal("0.025"), "h": Decimal("0.4")}))
    assert out == "CNY 39,000.00 · 2.50% · 40%"
