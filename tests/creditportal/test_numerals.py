"""Chinese capital numerals (大写金额) and amounts as people type them (creditportal.core.numerals)."""
from decimal import Decimal as D

import pytest

from creditportal.core.numerals import capital_amount, parse_amount


@pytest.mark.parametrize("amount, words", [
    # the examples of the People's Bank's 支付结算办法 (附一 正确填写票据和结算凭证的基本规定)
    ("1409.50", "人民币壹仟肆佰零玖元伍角整"),
    ("6007.14", "人民币陆仟零柒元壹角肆分"),
    ("1680.32", "人民币壹仟陆佰捌拾元叁角贰分"),
    ("107000.53", "人民币壹拾万零柒仟元伍角叁分"),
    ("16409.02", "人民币壹万陆仟肆佰零玖元零贰分"),
    ("325.04", "人民币叁佰贰拾伍元零肆分"),
    ("0", "人民币零元整"),
    ("0.35", "人民币叁角伍分"),
    ("0.05", "人民币伍分"),
    ("10", "人民币壹拾元整"),
    ("100005", "人民币壹拾万零伍元整"),
    ("39000", "人民币叁万玖仟元整"),
    ("1010000", "人民币壹佰零壹万元整"),
    ("100000000", "人民币壹亿元整"),
    ("100000001", "人民币壹亿零壹元整"),
    ("5000000.10", "人民币伍佰万元壹角整"),
    ("123456789012.34", "人民币壹仟贰佰叁拾肆亿伍仟陆佰柒拾捌万玖仟零壹拾贰元叁角肆分"),
    ("-20", "人民币负贰拾元整"),
    ("0.005", "人民币壹分"),
])
def test_capital_amount(amount, words):
    assert capital_amount(D(amount)) == words


def test_other_currencies_have_no_renminbi_prefix():
    assert capital_amount(D("1000"), "USD") == "壹仟元整"


@pytest.mark.parametrize("text, value", [
    ("1,234,567.89", "1234567.89"), ("1 234.5", "1234.5"), ("1，000", "1000"), ("500元", "500"),
    ("12.5万", "125000"), ("12.5 万元", "125000"), ("3亿", "300000000"), ("1.2亿元", "120000000"),
    (".5", "0.5"), ("-1,000", "-1000"), (" 42 ", "42"),
])
def test_parse_amount_accepts_what_people_type(text, value):
    assert parse_amount(text) == D(value)


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "12万万", "12 美元", "１２３", "1e5", "12元万", ",100", "--5"])
def test_parse_amount_refuses_the_rest(text):
    with pytest.raises(ValueError):
        parse_amount(text)
