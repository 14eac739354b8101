"""Test set-up shared by every test.

Under CI (``CI=true``) the suite must run on PostgreSQL and Redis: it stops at once when either is
missing, and tests marked ``postgres``/``redis`` are never skipped there.
"""
import os

import pytest
from django.conf import settings

from creditportal.core import clock

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _allow_test_flush(sender, connection, **kwargs):
    """pytest-django empties the tables after each transactional test with one TRUNCATE; the audit trail
    refuses TRUNCATE unless the session says so (audit migration 0005). Only the tests' connections do."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET creditportal.allow_truncate = 'on'")


from django.db.backends.signals import connection_created  # noqa: E402

connection_created.connect(_allow_test_flush, dispatch_uid="tests-allow-audit-truncate")


def pytest_configure(config):
    if IN_CI:
        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            raise pytest.UsageError("CI=true but the tests are not configured for PostgreSQL (DATABASE_URL).")
        if not settings.CELERY_BROKER_URL.startswith("redis://"):
            raise pytest.UsageError("CI=true but CELERY_BROKER_URL is not Redis.")


def pytest_collection_modifyitems(config, items):
    on_postgres = "postgresql" in settings.DATABASES["default"]["ENGINE"]
    on_redis = settings.CELERY_BROKER_URL.startswith("redis://")
    for item in items:
        if "postgres" in item.keywords and not on_postgres and not IN_CI:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL"))
        if "redis" in item.keywords and not on_redis and not IN_CI:
            item.add_marker(pytest.mark.skip(reason="needs Redis"))


def replay_data_migrations():
    """Run every data migration (``RunPython``) again, in migration order; they are idempotent.

    A transactional test empties every table when it ends, including the rows data migrations ship
    (roles and the system user, the master scale and default model, the dunning policy, warning rules).
    """
    from django.apps import apps as global_apps
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations.special import RunPython

    loader = MigrationLoader(connection)
    nodes = []
    for leaf in loader.graph.leaf_nodes():
        for node in loader.graph.forwards_plan(leaf):
            if node not in nodes:
                nodes.append(node)
    with connection.schema_editor(atomic=True) as editor:
        for node in nodes:
            for operation in loader.graph.nodes[node].operations:
                if isinstance(operation, RunPython):
                    operation.code(global_apps, editor)


@pytest.fixture(autouse=True)
def _shipped_data_after_flush(request):
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    from django.contrib.auth import get_user_model

    if not get_user_model().objects.filter(username="system").exists():  # an earlier test flushed the tables
        replay_data_migrations()


@pytest.fixture(autouse=True)
def _reset_clock():
    clock.set_today(None)
    clock.set_instant(None)
    yield
    clock.set_today(None)
    clock.set_instant(None)


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # Tests render templates without running collectstatic.
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def make_user(db):
    """``make_user("rm", role="relationship_manager")`` → a saved user in that role group."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from creditportal.core import access

    access.sync_role_permissions()

    def make(username, role=None, password="Secret-pass-123", **extra):
        user = get_user_model().objects.create_user(username=username, password=password, **extra)
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def users(make_user):
    """One user per role (and a second relationship manager and analyst)."""
    return {
        "rm": make_user("rm", "relationship_manager"),
        "rm2": make_user("rm2", "relationship_manager"),
        "analyst": make_user("analyst", "credit_analyst"),
        "analyst2": make_user("analyst2", "credit_analyst"),
        "approver1": make_user("approver1", "approver"),
        "approver2": make_user("approver2", "approver"),
        "approver3": make_user("approver3", "approver"),
        "collector": make_user("collector", "collector"),
        "riskadmin": make_user("riskadmin", "risk_admin"),
        "riskadmin2": make_user("riskadmin2", "risk_admin"),
        "auditor": make_user("auditor", "auditor"),
    }


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def client_for(client):
    """``client_for(user)`` → a Django test client logged in as ``user``."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def api_for():
    """``api_for(user)`` → a DRF API client authenticated as ``user``."""
    from rest_framework.test import APIClient

    def make(user):
        c = APIClient()
        c.force_authenticate(user)
        return c

    return make


@pytest.fixture
def approver_authorities(users):
    """approver1–3 in the authority matrix without an upper limit (an approver with no entry has no
    authority: write-offs and applications refuse them)."""
    from credit.models import ApproverAuthority, AuthorityLevel

    level = AuthorityLevel.objects.create(number=90, name="unlimited", max_amount=None)
    return [ApproverAuthority.objects.create(user=users[name], level=level)
            for name in ("approver1", "approver2", "approver3")]


@pytest.fixture
def expert2(users, make_user):
    """A third credit analyst: the second expert (Delphi: two experts per qualitative factor by default) who is
    neither the maker nor the checker of the fixtures' ratings."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username="expert2").first() or make_user("expert2", "credit_analyst")
