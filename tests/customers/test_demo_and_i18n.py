from django.urls import reverse
from django.utils import translation

from customers import demo, selectors
from customers.models import Customer, CustomerGroup, FinancialStatement, NegativeRecord
from customers.validators import is_valid_credit_code


def test_demo_loads_once_with_valid_codes_and_balanced_statements(users):
    context = {"users": users}
    demo.load(context)
    assert len(context["customers"]) == 8
    assert {c.relationship_manager.username for c in context["customers"].values()} == {"rm", "rm2"}
    assert all(is_valid_credit_code(c.credit_code) for c in Customer.objects.filter(is_foreign=False))
    assert FinancialStatement.objects.count() == 24
    assert CustomerGroup.objects.get().members.count() == 3
    assert NegativeRecord.objects.count() == 1
    ratios = selectors.latest_ratios_for([c.pk for c in context["customers"].values()])
    assert len(ratios) == 8
    again = {"users": users}
    demo.load(again)
    assert Customer.objects.count() == 8 and set(again["customers"]) == set(context["customers"])


def test_pages_in_chinese(users, client_for, make_customer, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    customer = make_customer()
    client = client_for(users["rm"])
    with translation.override("zh-hans"):
        page = client.get(reverse("customers:customer_detail", args=[customer.pk]) + "?tab=profile",
                          HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "统一社会信用代码" in page or "Unified social credit code" in page  # Chinese once messages are compiled
