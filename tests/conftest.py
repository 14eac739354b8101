"""Test set-up shared by every test.

Under CI (``CI=true``) the suite must run on PostgreSQL and Redis: it stops at once when either is
missing, and tests marked ``postgres``/``redis`` are never skipped there.

Parallel runs (pytest-xdist, ``scripts/test``): each worker gets its own test database (pytest-django's
``test_<name>_gw<n>``) and, through the environment it starts with (``pytest_xdist_setupnodes`` below), its
own Redis databases for the Celery broker and the cache (throttles, locks, permission cache), its own var
folder (media, file cache, filesystem broker) and its own live-server port when one is fixed. Tests that
still cannot share the machine carry the ``serial`` marker and run in a second pass without xdist.
"""
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from creditportal.core import clock

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Markers given by where a test lives (a prefix of its node id: path from the repository root, then
# ``::test``), so that the quick mode and the serial pass need no edit of the test files; ``@pytest.mark.serial``
# etc. on a test work as well.
MARKERS_BY_PATH = {
    "tests/browser/": ("browser",),
    "tests/bench/test_bench_smoke.py": ("bench_smoke",),
    "tests/reliability/test_worker_faults.py": ("worker_kill",),
}
# Tests that cannot run beside others (pytest-xdist): node id prefix → why. The second, serial pass of
# scripts/test runs them (``-m serial``).
SERIAL = {
}

# --- one environment per xdist worker ------------------------------------------------------------------------
REDIS_DATABASES = 16  # Redis's default number of databases


def _redis_db(url):
    return int(url.path.strip("/") or 0)


def worker_environment(index, environ=os.environ):
    """The environment variables that give xdist worker ``index`` (gw0, gw1, …) its own shared resources.

    Redis: the worker's databases follow the configured ones (``CELERY_BROKER_URL``, ``REDIS_URL``): worker n
    uses each configured database + n × the span they cover (broker 0 and cache 1: gw0 0/1, gw1 2/3, …), or,
    when ``TEST_WORKER_REDIS_URL`` names a server and first database (``redis://127.0.0.1:6380/2``), consecutive
    databases there. Folders: a temporary var folder per worker (``PORTAL_VAR_DIR``, ``MEDIA_ROOT``) is made by
    the caller. A live-server address with a fixed port gets port + n.
    """
    env = {}
    names = [name for name in ("CELERY_BROKER_URL", "REDIS_URL")
             if environ.get(name, "").startswith(("redis://", "rediss://"))]
    if names:
        parsed = {name: urlsplit(environ[name]) for name in names}
        base = environ.get("TEST_WORKER_REDIS_URL", "")
        if base:
            server = urlsplit(base)
            first = _redis_db(server) + index * len(names)
            dbs = {name: (server, first + k) for k, name in enumerate(names)}
        else:
            numbers = [_redis_db(url) for url in parsed.values()]
            span = max(numbers) - min(numbers) + 1
            dbs = {name: (url, _redis_db(url) + index * span) for name, url in parsed.items()}
        for name, (url, db) in dbs.items():
            if db >= REDIS_DATABASES:
                raise pytest.UsageError(
                    f"test: xdist worker gw{index} would need Redis database {db} for {name}; run fewer workers "
                    "(-n) or set TEST_WORKER_REDIS_URL to a Redis server and first free database "
                    "(e.g. redis://127.0.0.1:6380/2).")
            env[name] = url._replace(path=f"/{db}").geturl()
    address = environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS", "")
    if address.rpartition(":")[2].isdigit():
        host, _colon, port = address.rpartition(":")
        env["DJANGO_LIVE_TEST_SERVER_ADDRESS"] = f"{host}:{int(port) + index}"
    return env


@pytest.hookimpl(optionalhook=True)  # an xdist hook: unknown with -p no:xdist
def pytest_xdist_setupnodes(config, specs):
    """In the xdist controller, before the workers start: each worker's environment (execnet sets it before
    the worker imports Django, so the settings read the worker's own URLs and folders), and on PostgreSQL
    the workers' test databases: migrated once, then copied (``CREATE DATABASE … TEMPLATE``)."""
    var_root = Path(tempfile.mkdtemp(prefix="creditportal-tests-"))
    config._worker_var_root = var_root
    databases = _worker_databases(config, len(specs))
    for index, spec in enumerate(specs):
        var = var_root / f"gw{index}"
        var.mkdir()
        spec.env.update(worker_environment(index))
        spec.env.update({"PORTAL_VAR_DIR": str(var), "MEDIA_ROOT": str(var / "media")})
        if databases:
            spec.env["TEST_WORKER_DATABASE"] = databases[index]


def _postgres_admin(sql_statements):
    from django.db import connection

    with connection._nodb_cursor() as cursor:
        for sql in sql_statements:
            cursor.execute(sql)


def _worker_databases(config, count):
    """``test_<name>_gw0`` … migrated once by the controller and copied, instead of each worker migrating its
    own (the migrations are most of a small run's time). PostgreSQL only, and not with --reuse-db."""
    from django.db import connection

    if connection.vendor != "postgresql" or config.getoption("reuse_db", False) or count < 1:
        return []
    from pytest_django.plugin import blocking_manager_key

    base = connection.settings_dict["TEST"].get("NAME") or f"test_{connection.settings_dict['NAME']}"
    names = [f"{base}_gw{index}" for index in range(count)]
    quote = connection.ops.quote_name
    original_name, original_test = connection.settings_dict["NAME"], dict(connection.settings_dict["TEST"])
    with config.stash[blocking_manager_key].unblock():
        connection.settings_dict["TEST"]["NAME"] = names[0]
        try:
            connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        finally:
            connection.close()
            settings.DATABASES[connection.alias]["NAME"] = connection.settings_dict["NAME"] = original_name
            connection.settings_dict["TEST"] = original_test
        _postgres_admin([statement for name in names[1:] for statement in (
            f"DROP DATABASE IF EXISTS {quote(name)} WITH (FORCE)",
            f"CREATE DATABASE {quote(name)} WITH TEMPLATE {quote(names[0])}")])
    config._worker_databases = names
    return names


if os.environ.get("TEST_WORKER_DATABASE"):
    @pytest.fixture(scope="session")
    def django_db_setup(django_test_environment, django_db_blocker):
        """An xdist worker: its database was made by the controller (``_worker_databases``); use it."""
        from django.db import connections

        name = os.environ["TEST_WORKER_DATABASE"]
        with django_db_blocker.unblock():
            connection = connections["default"]
            connection.close()
            settings.DATABASES["default"]["NAME"] = connection.settings_dict["NAME"] = name
            connection.ensure_connection()
        yield
        with django_db_blocker.unblock():
            for connection in connections.all():
                connection.close()


def pytest_unconfigure(config):
    var_root = getattr(config, "_worker_var_root", None)
    if var_root is not None:
        shutil.rmtree(var_root, ignore_errors=True)
    names = getattr(config, "_worker_databases", None)
    if names:
        from django.db import connection
        from pytest_django.plugin import blocking_manager_key

        with config.stash[blocking_manager_key].unblock():
            connection.close()
            _postgres_admin([f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)} WITH (FORCE)"
                             for name in names])


def _allow_test_flush(sender, connection, **kwargs):
    """pytest-django empties the tables after each transactional test with one TRUNCATE; the audit trail
    refuses TRUNCATE unless the session says so (audit migration 0005). Only the tests' connections do."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET creditportal.allow_truncate = 'on'")


from django.db.backends.signals import connection_created  # noqa: E402

connection_created.connect(_allow_test_flush, dispatch_uid="tests-allow-audit-truncate")


def pytest_configure(config):
    workerinput = getattr(config, "workerinput", None)
    address = config.getoption("liveserver", None)
    if workerinput and address and address.rpartition(":")[2].isdigit():  # --liveserver host:port → + n
        host, _colon, port = address.rpartition(":")
        config.option.liveserver = f"{host}:{int(port) + int(workerinput['workerid'].lstrip('gw'))}"
    if IN_CI:
        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            raise pytest.UsageError("CI=true but the tests are not configured for PostgreSQL (DATABASE_URL).")
        if not settings.CELERY_BROKER_URL.startswith("redis://"):
            raise pytest.UsageError("CI=true but CELERY_BROKER_URL is not Redis.")


@pytest.hookimpl(tryfirst=True)  # before -m deselects by these markers
def pytest_collection_modifyitems(config, items):
    on_postgres = "postgresql" in settings.DATABASES["default"]["ENGINE"]
    on_redis = settings.CELERY_BROKER_URL.startswith("redis://")
    for item in items:
        for prefix, names in MARKERS_BY_PATH.items():
            if item.nodeid.startswith(prefix):
                for name in names:
                    item.add_marker(name)
        for prefix, reason in SERIAL.items():
            if item.nodeid.startswith(prefix):
                item.add_marker(pytest.mark.serial(reason=reason))
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


def _shipped_data_after_test_flush(sender, using, **kwargs):
    """A transactional test ends with ``flush`` (every table emptied), after which Django sends post_migrate:
    put the shipped rows back at once. Under xdist a worker may run any test after a transactional one (not
    only transactional tests, as pytest-django's ordering gives a single process), and they need the rows.
    The signal comes once per app: the last one's, after content types and permissions are back."""
    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django.db import connection

    last = [config for config in apps.get_app_configs() if config.models_module][-1]
    if sender is not last or using != connection.alias or connection.in_atomic_block:
        return
    if not get_user_model().objects.using(using).filter(username="system").exists():
        replay_data_migrations()


from django.db.models.signals import post_migrate  # noqa: E402

post_migrate.connect(_shipped_data_after_test_flush, dispatch_uid="tests-shipped-data-after-flush")


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
