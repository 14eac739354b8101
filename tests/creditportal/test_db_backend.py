"""The PostgreSQL backend's health check (creditportal/db/postgresql): at most once per interval and
connection, always for a connection psycopg knows to be broken."""
from unittest import mock

import pytest
from django.db import connection, connections
from django.test import override_settings

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def next_request_first_query():
    """What Django does around a request with a persistent connection: the check is due again, then a query."""
    connection.health_check_done = False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 2")
        return cursor.fetchone()[0]


@pytest.fixture
def checks():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    connection.ensure_connection()
    connection.health_check_enabled = True
    with mock.patch("django.db.backends.postgresql.base.DatabaseWrapper.is_usable", autospec=True,
                    return_value=True) as is_usable:
        yield is_usable


def test_the_backend_is_the_portals(checks):
    from creditportal.db.postgresql.base import DatabaseWrapper

    assert isinstance(connections["default"], DatabaseWrapper)


@override_settings(DATABASE_HEALTH_CHECK_INTERVAL=10)
def test_a_connection_checked_within_the_interval_is_not_checked_again(checks):
    connection._last_health_check = None
    assert next_request_first_query() == 2
    assert checks.call_count == 1  # never checked: checked now
    for _ in range(5):
        assert next_request_first_query() == 2
    assert checks.call_count == 1


@override_settings(DATABASE_HEALTH_CHECK_INTERVAL=10)
def test_the_check_is_repeated_once_the_interval_has_passed(checks):
    connection._last_health_check = None
    next_request_first_query()
    with mock.patch("creditportal.db.postgresql.base.time.monotonic", return_value=connection._last_health_check + 11):
        next_request_first_query()
    assert checks.call_count == 2


@override_settings(DATABASE_HEALTH_CHECK_INTERVAL=0)
def test_an_interval_of_zero_checks_every_request_as_django_does(checks):
    for _ in range(3):
        next_request_first_query()
    assert checks.call_count == 3


@override_settings(DATABASE_HEALTH_CHECK_INTERVAL=10)
def test_a_connection_psycopg_knows_to_be_broken_is_checked_at_once(checks):
    next_request_first_query()
    calls = checks.call_count
    with mock.patch.object(type(connection.connection), "broken", new_callable=mock.PropertyMock, return_value=True):
        connection.health_check_done = False
        connection.close_if_health_check_failed()
    assert checks.call_count == calls + 1
