"""The user's permission set, remembered by each process between requests.

Django's ``ModelBackend`` reads a user's permissions with two queries (the user's own, and those of the
user's groups) the first time ``has_perm`` is called on a user object. Session and token authentication
load a fresh user object on every request, so every request paid both queries. ``CachedModelBackend``
remembers the set in the process, together with the two versions it was read under
(``creditportal.models.PermissionVersion`` rows):

- the **user version** (``user:<id>``) is replaced by a new random value whenever the user is saved
  (active flag, superuser flag, …), or their groups or own permissions change; its row goes with the user;
- the **roles version** (``roles``) is replaced whenever any group's permissions change or a group or a
  permission is deleted (role changes are rare and concern many users at once).

The versions are replaced **in the same transaction as the change** (the receivers are in
``accounts/signals.py``), so they commit together: a set remembered under versions that are no longer the
current ones is never used again, and a revoked role or a deactivated user is refused on the very next
request in every process. The versions are read before the permissions, so a change committed between the
two reads makes the new entry unusable rather than stale.

The current versions come with the user row: the API's token statement (``core/api.py``) and this
backend's ``get_user`` (session authentication) read them in the same statement, as two primary-key
lookups, so a warm request spends no query and no round trip on permissions. A user object loaded any
other way reads them with one query on its first check. A missing version (a user inserted without the
signals, a flushed test database) means "not remembered": the set is read from the database each time.

An inactive user has no permissions (``ModelBackend``'s rule) and is never looked up.
"""
from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connections
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat

ROLES = "roles"
USER_VERSION = "permission_user_version"
ROLES_VERSION = "permission_roles_version"
MAX_REMEMBERED = 10_000  # users per process and database; the whole memory is dropped when it is full

_remembered: dict[tuple[str, int], tuple[tuple[int, int], frozenset[str]]] = {}


def _version_model():
    from creditportal.models import PermissionVersion

    return PermissionVersion


def user_scope(user_id) -> str:
    return f"user:{user_id}"


def _replace(scopes, using="default") -> None:
    """New random values for ``scopes`` (rows created when missing), in the caller's transaction."""
    scopes = sorted(set(scopes))  # one lock order for every writer
    if not scopes:
        return
    connection = connections[using]
    table = connection.ops.quote_name(_version_model()._meta.db_table)
    rows = ", ".join(["(%s, %s)"] * len(scopes))
    params = [value for scope in scopes for value in (scope, secrets.randbits(62))]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (scope, value) VALUES {rows}"
                       " ON CONFLICT (scope) DO UPDATE SET value = EXCLUDED.value", params)


def bump_users(user_ids, using="default") -> None:
    """Make the remembered permission sets of these users unusable (their groups, permissions or flags changed)."""
    _replace([user_scope(user_id) for user_id in user_ids if user_id is not None], using=using)


def bump_roles(using="default") -> None:
    """Make every remembered permission set unusable (a group's permissions changed)."""
    _replace([ROLES], using=using)


def forget_users(user_ids, using="default") -> None:
    """Drop the versions of deleted users."""
    scopes = [user_scope(user_id) for user_id in user_ids if user_id is not None]
    _version_model().objects.using(using).filter(scope__in=scopes).delete()


def versions(user_id, using="default") -> tuple[int | None, int | None]:
    """The user's current (user version, roles version) read from the database; ``None`` when missing."""
    found = dict(_version_model().objects.using(using).filter(scope__in=[user_scope(user_id), ROLES])
                 .values_list("scope", "value"))
    return found.get(user_scope(user_id)), found.get(ROLES)


def version_subqueries(user_pk_reference="pk") -> dict:
    """Annotations that read the user's versions with the user row (``USER_VERSION``, ``ROLES_VERSION``)."""
    model = _version_model()
    scope = Concat(Value("user:"), Cast(OuterRef(user_pk_reference), CharField()), output_field=CharField())
    return {
        USER_VERSION: Subquery(model.objects.filter(scope=scope).values("value")[:1]),
        ROLES_VERSION: Subquery(model.objects.filter(scope=ROLES).values("value")[:1]),
    }


def version_columns_sql(connection, user_alias: str, user_pk_column: str) -> list[str]:
    """The same two subqueries as SQL columns, for statements written by hand (the API's token lookup)."""
    qn = connection.ops.quote_name
    table = qn(_version_model()._meta.db_table)
    return [
        f"(SELECT pv.value FROM {table} pv WHERE pv.scope = 'user:' || CAST({user_alias}.{qn(user_pk_column)} AS TEXT))",
        f"(SELECT pv.value FROM {table} pv WHERE pv.scope = '{ROLES}')",
    ]


def _memory_key(user_obj):
    return connections[user_obj._state.db or "default"].settings_dict.get("NAME") or "", user_obj.pk


def forget_remembered() -> None:
    """Drop what this process remembers (tests)."""
    _remembered.clear()


class CachedModelBackend(ModelBackend):
    """``ModelBackend`` whose ``get_all_permissions`` is remembered when it can be (see the module)."""

    def get_user(self, user_id):
        model = get_user_model()
        try:
            user = model._default_manager.annotate(**version_subqueries()).get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if hasattr(user_obj, "_perm_cache"):
            return user_obj._perm_cache
        if hasattr(user_obj, USER_VERSION):
            current = (getattr(user_obj, USER_VERSION), getattr(user_obj, ROLES_VERSION))
        else:
            current = versions(user_obj.pk, using=user_obj._state.db or "default")
        key = _memory_key(user_obj)
        entry = _remembered.get(key)
        if entry is not None and entry[0] == current and None not in current:
            user_obj._perm_cache = set(entry[1])
            return user_obj._perm_cache
        permissions = super().get_all_permissions(user_obj, obj)
        if None not in current:
            if len(_remembered) >= MAX_REMEMBERED:
                _remembered.clear()
            _remembered[key] = (current, frozenset(permissions))
        return permissions
