"""Every page a signed-in user reaches: the home page, each page of the user's menu, and the detail pages of
one customer, application, facility, rating, invoice and collection case the user may see.

Shared by the page sweep (``tests/creditportal/test_page_sweep.py``: every page answers 200 within a query
budget) and the page benchmark (``bench/benchmarks/pages.py``: every page timed through gunicorn), so both
walk the same pages. ``demo`` is the top layer: it may read every app's models.
"""
from __future__ import annotations

from django.urls import reverse

from creditportal.core.navigation import menu_for

# (URL name of the detail page, "app_label.Model", permission to see it)
DETAIL_PAGES = [
    ("customers:customer_detail", "customers.Customer", "customers.view_customer"),
    ("credit:application_detail", "credit.CreditApplication", "credit.view_creditapplication"),
    ("credit:facility_detail", "credit.Facility", "credit.view_facility"),
    ("ratings:rating_detail", "ratings.Rating", "ratings.view_rating"),
    ("collection:invoice_detail", "collection.Invoice", "collection.view_invoice"),
    ("collection:case_detail", "collection.CollectionCase", "collection.view_collectioncase"),
]


def _visible(model, user):
    manager = model.objects
    return manager.visible_to(user) if hasattr(manager, "visible_to") else manager.all()


def _invoice_counts(user):
    from django.db.models import Count

    from collection.models import Invoice

    return (_visible(Invoice, user).filter(customer__facilities__isnull=False).values("customer_id")
            .annotate(n=Count("id", distinct=True)))


def largest_customer_id(user):
    """Of the customers with a facility the user may see, the one with the most invoices (its pages hold
    the most rows), or None."""
    row = _invoice_counts(user).order_by("-n", "customer_id").first()
    return row["customer_id"] if row else None


def typical_customer_id(user):
    """Of the customers with a facility the user may see, one with the median number of invoices, or None."""
    counts = _invoice_counts(user)
    total = counts.count()
    if not total:
        return None
    return counts.order_by("n", "customer_id")[total // 2]["customer_id"]


def detail_pages(user, customer_id=None) -> list[tuple[str, str]]:
    """(label, URL) of one object of each detail page the user may see: the first by primary key, or, with
    ``customer_id``, the customer itself and the newest of its applications, facilities, ratings, invoices
    and cases."""
    from django.apps import apps

    pages = []
    for url_name, model_label, permission in DETAIL_PAGES:
        if not user.has_perm(permission):
            continue
        model = apps.get_model(model_label)
        visible = _visible(model, user)
        if customer_id is None:
            obj = visible.order_by("pk").only("pk").first()
        elif model_label == "customers.Customer":
            obj = visible.filter(pk=customer_id).only("pk").first()
        else:
            obj = visible.filter(customer_id=customer_id).order_by("-pk").only("pk").first()
        if obj is not None:
            pages.append((url_name, reverse(url_name, args=[obj.pk])))
    return pages


def pages_of(user, *, customer_ids=(None,)) -> list[tuple[str, str]]:
    """(label, URL) of every page ``user`` reaches: home, the menu, and the detail pages (see
    ``detail_pages``) of each of ``customer_ids`` (None: the first object of each kind)."""
    pages = [("home", reverse("home"))]
    for group, items in menu_for(user):
        pages += [(f"{group} / {label}", url) for label, url in items]
    for customer_id in customer_ids:
        suffix = "" if customer_id is None else f" (customer {customer_id})"
        pages += [(label + suffix, url) for label, url in detail_pages(user, customer_id)]
    return pages
