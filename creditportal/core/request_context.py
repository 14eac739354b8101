"""The current request's client address, for the audit trail, the login lock-out and the API throttles.

One rule decides whose address a request comes from (``ip_from_request``): ``REMOTE_ADDR``, unless
``settings.NUM_PROXIES`` says that many trusted proxies stand in front of the portal; then the address the
nearest of them saw, counted from the right of ``X-Forwarded-For``. A client can put anything into
``X-Forwarded-For``, so with no proxy (the default, 0) that header is never read.
"""
import contextvars
import ipaddress

from django.conf import settings

_client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)


def client_ip() -> str | None:
    return _client_ip.get()


def _valid(address) -> str | None:
    try:
        return str(ipaddress.ip_address((address or "").strip()))
    except ValueError:
        return None


def ip_from_request(request) -> str | None:
    meta = getattr(request, "META", {}) or {}
    remote = meta.get("REMOTE_ADDR")
    proxies = int(getattr(settings, "NUM_PROXIES", 0) or 0)
    if proxies > 0:
        forwarded = [part.strip() for part in (meta.get("HTTP_X_FORWARDED_FOR") or "").split(",") if part.strip()]
        if forwarded:
            # the right-most entries were added by our own proxies; the one before them is the client
            return _valid(forwarded[-min(proxies, len(forwarded))]) or remote
    return remote


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _client_ip.set(ip_from_request(request))
        try:
            return self.get_response(request)
        finally:
            _client_ip.reset(token)
