from django.conf import settings

from creditportal.core import access, clock
from creditportal.core.navigation import menu_for


def portal(request):
    user = getattr(request, "user", None)
    return {
        "menu": menu_for(user) if user is not None else [],
        "user_roles": [access.ROLE_LABELS.get(r, r) for r in access.roles_of(user)] if user is not None else [],
        "business_date": clock.today(),
        "reporting_currency": settings.REPORTING_CURRENCY,
        "unread_notifications": _unread(user),
        "global_search_url": _global_search_url(user),
    }


def _unread(user):
    if user is None or not user.is_authenticated:
        return 0
    from django.apps import apps

    return apps.get_model("accounts", "Notification").objects.filter(recipient=user, read_at__isnull=True).count()


def _global_search_url(user):
    """The customer list with its search box, for every signed-in user who may see customers."""
    from django.urls import NoReverseMatch, reverse

    if user is None or not user.is_authenticated or not user.has_perm("customers.view_customer"):
        return None
    try:
        return reverse("customers:customer_list")
    except NoReverseMatch:
        return None
