"""Absolute session lifetime: a session ends a fixed time after login, however active it is."""
import time

from django.conf import settings
from django.contrib.auth import logout


class SessionLifetimeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            login_at = request.session.get("login_at")
            if login_at is not None and time.time() - login_at > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
        return self.get_response(request)
