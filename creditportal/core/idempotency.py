"""``Idempotency-Key`` on the API writes that move money (payments, invoices, credit notes and claim payouts,
recoveries, write-off postings, orders).

A client that sends the header and retries (a timeout, a 5xx, a lost answer) gets the first answer again,
status and body, instead of a second payment. The key is remembered per user and endpoint (method and path)
together with a fingerprint of the request body, in the same transaction as the write: either both commit or
neither does. Two requests with one key at once: the second waits for the first's row and then replays its
answer. The same key with another body is refused with 409 (``idempotency_key_reused``); a key is kept for
``IDEMPOTENCY_KEY_TTL_HOURS`` and may be used again for anything after that. Only 2xx answers are remembered:
a refused request changed nothing and may be sent again with the same key.

Use: ``@idempotent`` on the viewset method (under ``@action``).
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from . import clock
from .canonical import sha256_of
from .errors import Conflict, ValidationFailed

HEADER = "Idempotency-Key"
KEY_PATTERN = r"^[!-~]{1,255}$"  # visible ASCII, as most clients generate (UUIDs)
_KEY_RE = re.compile(KEY_PATTERN)
REPLAYED_HEADER = "Idempotent-Replayed"

PARAMETER = OpenApiParameter(
    HEADER, str, OpenApiParameter.HEADER, required=False, pattern=KEY_PATTERN,
    description="Optional. A key the client chooses (a UUID) to make a retry safe: the same key with the same "
                "body, by the same user on the same endpoint, answers the first answer again (header "
                "`Idempotent-Replayed: true`) without a second write; with another body it answers 409. "
                "Keys are kept for 24 hours.")


def _model():
    from creditportal.models import IdempotencyKey

    return IdempotencyKey


def _file_digest(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(position)
    return "sha256:" + digest.hexdigest()


def _plain(value):
    if isinstance(value, UploadedFile):
        return _file_digest(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def request_fingerprint(request) -> str:
    """SHA-256 of the request's parsed body (files by their content), independent of key order."""
    data = request.data
    if hasattr(data, "lists"):  # a QueryDict (form or multipart): every value of every field
        body = {key: _plain(values) for key, values in data.lists()}
    else:
        body = _plain(data)
    return sha256_of(body)


def _remembered(response) -> dict | list | None:
    if response.data is None:
        return None
    return json.loads(JSONRenderer().render(response.data))


def _replay(record):
    return Response(record.response, status=record.status_code, headers={REPLAYED_HEADER: "true"})


def idempotent(view_method):
    """Honour ``Idempotency-Key`` on a DRF view method (see the module)."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None or not request.user.is_authenticated:
            return view_method(self, request, *args, **kwargs)
        key = key.strip()
        if not _KEY_RE.match(key):
            message = _("The Idempotency-Key header must be 1 to 255 visible ASCII characters (a UUID, say).")
            raise ValidationFailed(message, code="invalid_idempotency_key", field_errors={HEADER: [message]})
        IdempotencyKey = _model()
        endpoint = f"{request.method} {request.path}"[:300]
        fingerprint = request_fingerprint(request)
        now = clock.instant()
        lookup = {"user": request.user, "endpoint": endpoint, "key": key}
        with transaction.atomic():
            record = IdempotencyKey.objects.select_for_update().filter(**lookup).first()
            if record is not None and record.expires_at <= now:
                record.delete()
                record = None
            mine = None
            if record is None:
                try:
                    with transaction.atomic():  # waits here for a concurrent request with the same key
                        mine = IdempotencyKey.objects.create(
                            **lookup, fingerprint=fingerprint, status_code=0, created_at=now,
                            expires_at=now + dt.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS))
                except IntegrityError:  # it committed first: answer what it answered
                    record = IdempotencyKey.objects.select_for_update().get(**lookup)
            if record is not None:
                if record.fingerprint != fingerprint:
                    raise Conflict(_("This Idempotency-Key was already used for a different request. Send a new "
                                     "key for a new request; a retry must send the same body."),
                                   code="idempotency_key_reused")
                return _replay(record)
            response = view_method(self, request, *args, **kwargs)
            if 200 <= response.status_code < 300:
                mine.status_code = response.status_code
                mine.response = _remembered(response)
                mine.save(update_fields=["status_code", "response"])
            else:
                mine.delete()
            return response

    wrapper.idempotent = True  # the schema documents the header (creditportal.core.schema)
    return wrapper


def purge_expired() -> int:
    deleted, _by_model = _model().objects.filter(expires_at__lte=clock.instant()).delete()
    return deleted
