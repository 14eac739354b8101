from django.conf import settings

from creditportal.core import access, clock
from creditportal.core.navigation import menu_for


def portal(request):
    user = getattr(request, "user", None)
    return {
        "menu": menu_for(user) if user is not None else [],
        "user_roles": access.roles_of(user) if user is not None else [],
        "business_date": clock.today(),
        "reporting_currency": settings.REPORTING_CURRENCY,
    }
