"""Absolute session lifetime: a session ends a fixed time after login, however active it is; and the language a
logged-in user chose (kept in the session at login and by the language switcher) wins over the browser's."""
import time

from django.conf import settings
from django.contrib.auth import logout
from django.utils import translation


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


class UserLanguageMiddleware:
    """After authentication: a logged-in user's chosen language (no query: it is in the session)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .signals import SESSION_LANGUAGE_KEY

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = request.session.get(SESSION_LANGUAGE_KEY)
            if language in {code for code, _name in settings.LANGUAGES}:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)
