"""The current request's client address, for the audit trail, the login lock-out and the API throttles.

One rule decides whose address a request comes from (``ip_from_request``): ``REMOTE_ADDR``, unless
``settings.NUM_PROXIES`` says that many trusted proxies stand in front of the portal; then the address the
nearest of them saw, counted from the right of ``X-Forwarded-For``. A client can put anything into
``X-Forwarded-For``, so with no proxy (the default, 0) that header is never read.

It also holds the request id that follows a request into its log lines and into the tasks it enqueues (below).
"""
import contextvars
import ipaddress
import logging
import re
import uuid
from contextlib import contextmanager

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


# --- Request id -------------------------------------------------------------------------------------------
# One id per request, for the log lines of the request and of every task it enqueues: taken from the
# ``X-Request-ID`` header when it is sane (a proxy or the client made it), generated otherwise, echoed in the
# response's ``X-Request-ID``. ``enqueue`` stores it on the outbox row, the send carries it in the task's
# headers (``TASK_HEADER``) and the worker sets it while the task runs (config/celery.py), so one grep
# follows a click into the night's worker logs.

REQUEST_ID_HEADER = "X-Request-ID"
TASK_HEADER = "portal_request_id"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def request_id() -> str | None:
    """The id of the request (or of the request whose task) this code runs for; None outside of both."""
    return _request_id.get()


def sane_request_id(value) -> str | None:
    """``value`` if it can go into a log line and a header unchanged (8–128 letters, digits, ``._:-``)."""
    value = (value or "").strip() if isinstance(value, str) else ""
    return value if _SANE_REQUEST_ID.fullmatch(value) else None


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def bound_request_id(value, *, keep_current=True):
    """Run a block as part of the request ``value`` (a sane id). Anything else leaves the current id, or with
    ``keep_current=False`` runs the block under no id (the relay sending a row no request wrote)."""
    value = sane_request_id(value)
    if value is None and keep_current:
        yield request_id()
        return
    token = _request_id.set(value)
    try:
        yield value
    finally:
        _request_id.reset(token)


def set_request_id(value):
    """Set the id until ``reset_request_id(token)`` (for signal pairs such as Celery's prerun/postrun)."""
    return _request_id.set(sane_request_id(value))


def reset_request_id(token):
    try:
        _request_id.reset(token)
    except ValueError:  # set in another context (a thread pool's): clear instead
        _request_id.set(None)


class RequestIdMiddleware:
    """First in the chain, so every log line of the request carries the id, and so does every answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        value = sane_request_id(request.META.get("HTTP_X_REQUEST_ID")) or new_request_id()
        request.request_id = value
        token = _request_id.set(value)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response[REQUEST_ID_HEADER] = value
        return response


class RequestIdLogFilter(logging.Filter):
    """Adds ``request_id`` (or None) to every record a handler formats (the JSON logs' field)."""

    def filter(self, record):
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id()
        return True
