"""The user's permission set, cached in the Django cache (Redis) between requests.

Django's ``ModelBackend`` reads a user's permissions with two queries (the user's own, and those of the
user's groups) the first time ``has_perm`` is called on a user object. The API's token authentication
loads a fresh user object on every request, so every API request paid both queries.
``CachedModelBackend`` keeps the permission set in the cache under ``perms:<database>:<user id>``,
together with the two versions it was read under:

- the **user version** is replaced (a new random value) whenever the user is saved (active flag,
  superuser flag, …), deleted, or their groups or own permissions change;
- the **roles version** is replaced whenever any group's permissions change or a group is deleted
  (role changes are rare and concern many users at once).

An entry stored under versions that are no longer the current ones is ignored and read again, so a
revoked role or a deactivated user is refused on the very next request. Versions are bumped both at once
and again when the transaction commits, so a request that reads the permissions between the change and
its commit cannot keep the old set under the new version. The versions and the entry come in one cache
round trip (``get_many``). A missing version (cache flushed or evicted) is started from a fresh random
value, never from a reused one. The receivers that bump are in ``accounts/signals.py``.

An inactive user has no permissions (``ModelBackend``'s rule) and is never looked up in the cache.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import connections, transaction

PERMISSIONS_TIMEOUT = 15 * 60  # seconds; an entry is also unreachable as soon as a version changes
VERSION_TIMEOUT = 7 * 24 * 3600
ROLES_KEY = "permver:roles"


def _prefix() -> str:
    # One Redis database may serve several PostgreSQL databases (tests, bench): user ids are not unique
    # across them.
    return str(settings.DATABASES["default"].get("NAME") or "")


def _user_version_key(user_id) -> str:
    return f"permver:{_prefix()}:user:{user_id}"


def _roles_version_key() -> str:
    return f"{ROLES_KEY}:{_prefix()}"


def _new_version() -> str:
    return uuid.uuid4().hex


def _set_versions(keys) -> None:
    cache.set_many({key: _new_version() for key in keys}, timeout=VERSION_TIMEOUT)


def _bump(keys, using="default") -> None:
    keys = list(keys)
    if not keys:
        return
    _set_versions(keys)
    if connections[using].in_atomic_block:
        transaction.on_commit(lambda: _set_versions(keys), using=using)


def bump_users(user_ids, using="default") -> None:
    """Make the cached permission sets of these users unreachable (their groups, permissions or flags changed)."""
    _bump((_user_version_key(user_id) for user_id in user_ids if user_id is not None), using=using)


def bump_roles(using="default") -> None:
    """Make every cached permission set unreachable (a group's permissions changed)."""
    _bump([_roles_version_key()], using=using)


def _permissions_entry_key(user_id) -> str:
    return f"perms:{_prefix()}:{user_id}"


def _read(user_id) -> tuple[tuple[str, str], object]:
    """One cache round trip: ``((user version, roles version), cached entry or None)``."""
    user_key, roles_key, entry_key = _user_version_key(user_id), _roles_version_key(), _permissions_entry_key(user_id)
    found = cache.get_many([user_key, roles_key, entry_key])
    missing = [key for key in (user_key, roles_key) if key not in found]
    if missing:
        for key in missing:
            cache.add(key, _new_version(), timeout=VERSION_TIMEOUT)  # another process may have started it first
        found.update(cache.get_many(missing))
    return (found.get(user_key, ""), found.get(roles_key, "")), found.get(entry_key)


def versions(user_id) -> tuple[str, str]:
    """The user's current (user version, roles version): a cached set counts only if stored under them."""
    return _read(user_id)[0]


class CachedModelBackend(ModelBackend):
    """``ModelBackend`` whose ``get_all_permissions`` comes from the cache when it can (see the module)."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if hasattr(user_obj, "_perm_cache"):
            return user_obj._perm_cache
        current, entry = _read(user_obj.pk)
        if isinstance(entry, dict) and tuple(entry.get("versions", ())) == current:
            user_obj._perm_cache = set(entry["permissions"])
            return user_obj._perm_cache
        # Read the versions before the permissions: if they change meanwhile, this entry never counts.
        permissions = super().get_all_permissions(user_obj, obj)
        cache.set(_permissions_entry_key(user_obj.pk), {"versions": list(current), "permissions": sorted(permissions)},
                  timeout=PERMISSIONS_TIMEOUT)
        return permissions
