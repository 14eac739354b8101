"""``{% customer_header customer %}``: the risk picture of the customer (``customers.header``)."""
from django import template
from django.template.loader import render_to_string

from customers.header import CUSTOMER_HEADER

register = template.Library()


@register.simple_tag(takes_context=True)
def customer_header(context, customer):
    provider = CUSTOMER_HEADER.get()
    request = context.get("request")
    if provider is None or customer is None or request is None:
        return ""
    return render_to_string(provider.template_name, provider.context(customer, request.user), request=request)
