"""Canonical JSON (sorted keys, fixed number formats) and its SHA-256, for snapshots and audit."""
import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal


def _default(value):
    if isinstance(value, Decimal):
        # Fixed format: no exponent, no trailing zeros beyond what was stored.
        return format(value, "f")
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if hasattr(value, "pk"):
        return value.pk
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def canonical_json(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def jsonable(data):
    """``data`` as plain JSON types (Decimals as strings, dates ISO), for JSONFields."""
    return json.loads(canonical_json(data))


def sha256_of(data) -> str:
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()
