"""creditportal.core.api.FastListSerializer gives exactly DRF's output (row by row through the serializer)."""
import pytest
from rest_framework import serializers

from collection.api import InvoiceSerializer, PaymentSerializer
from collection.models import Invoice, Payment
from creditportal.core.api import FastListSerializer
from customers.api import CustomerSerializer


def drf_rows(serializer_class, rows, **kwargs):
    return [serializer_class(row, **kwargs).data for row in rows]


def test_invoices_and_payments_as_drf_gives_them(users, customer, make_invoice):
    from collection import services

    invoices = [make_invoice(customer, amount=a, days_past_due=d) for a, d in (("1000.00", 10), ("250.50", 40))]
    services.payment_post(actor=users["rm"], customer=customer, amount=invoices[0].amount,
                          received_on=invoices[0].due_date, reference="P1")
    rows = list(Invoice.objects.order_by("due_date", "pk"))
    assert isinstance(InvoiceSerializer(rows, many=True), FastListSerializer)
    assert InvoiceSerializer(rows, many=True).data == drf_rows(InvoiceSerializer, rows)
    payments = list(Payment.objects.prefetch_related("allocations"))
    assert payments
    assert PaymentSerializer(payments, many=True).data == drf_rows(PaymentSerializer, payments)


def test_customers_with_and_without_group(users, make_customer):
    from customers.models import CustomerGroup

    group = CustomerGroup.objects.create(name="华东集团")
    make_customer(rm=users["rm"], group=group)
    make_customer(name="无集团有限公司", rm=users["rm2"])
    from customers import selectors

    rows = list(selectors.customer_list(users["analyst"]).order_by("name", "id"))
    fast = CustomerSerializer(rows, many=True).data
    assert fast == drf_rows(CustomerSerializer, rows)
    assert {r["group_name"] for r in fast} == {"华东集团", None}
    assert {r["relationship_manager"] for r in fast} == {"rm", "rm2"}


class _Plain:
    def __init__(self, **kw):
        self.__dict__.update(kw)

    def shout(self):
        return self.word.upper()


class _Sample(serializers.Serializer):
    word = serializers.CharField()
    shout = serializers.CharField()  # a method: DRF calls it
    missing = serializers.CharField(required=False)  # absent, not required: left out
    nothing = serializers.CharField(default="d")  # absent with a default
    nested = serializers.CharField(source="inner.word", allow_null=True)  # through a None

    class Meta:
        list_serializer_class = FastListSerializer


@pytest.mark.parametrize("rows", [[_Plain(word="a", inner=None), _Plain(word="b", inner=_Plain(word="c"))]])
def test_drf_rules_for_absent_values_callables_and_defaults(rows):
    fast = _Sample(rows, many=True).data
    assert fast == drf_rows(_Sample, rows)
    assert fast[0] == {"word": "a", "shout": "A", "nothing": "d", "nested": None}
    assert fast[1]["nested"] == "c"


def test_mappings_go_through_drf():
    rows = [{"word": "x", "shout": "X", "inner": {"word": "y"}}]
    assert _Sample(rows, many=True).data == drf_rows(_Sample, rows)
