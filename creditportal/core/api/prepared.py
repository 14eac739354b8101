"""Statements run as server-side prepared statements (the token lookup, the big lists' pages)."""
from django.db import connections

from creditportal.core import permcache


_preparing_cursor_class = None
PREPARE_ONLY_WHEN_ASKED = 1 << 30


def _preparing_cursor_factory():
    """psycopg 3's server-binding cursor that asks for every statement to be prepared (``prepare=True``)."""
    global _preparing_cursor_class
    if _preparing_cursor_class is None:
        import psycopg

        class PreparingCursor(psycopg.Cursor):
            def execute(self, query, params=None, *, prepare=None, binary=None):
                return super().execute(query, params, prepare=True, binary=binary)

        _preparing_cursor_class = PreparingCursor
    return _preparing_cursor_class


def prepared_cursor(using):
    """A cursor of the connection ``using`` whose statements PostgreSQL parses and plans once per connection
    and then only executes (psycopg 3 prepares each distinct statement on first use and keeps up to
    ``prepared_max`` of them). Django disables psycopg's automatic preparing for every query (it would
    break transaction-mode poolers without prepared-statement support); the few hot statements written
    once here (token lookup, the big lists' pages) ask for it themselves, unless
    ``settings.API_PREPARED_STATEMENTS`` is false. The cursor is Django's wrapper as ``connection.cursor()``
    gives it (execute wrappers, query counting, error translation all apply)."""
    from django.conf import settings

    connection = connections[using]
    if not (connection.vendor == "postgresql" and getattr(settings, "API_PREPARED_STATEMENTS", True)) \
            or connection.queries_logged:
        # Queries being logged (DEBUG, a test capturing them): Django's cursor, so each logged statement
        # carries its SQL with the parameters (psycopg does not keep the text of a prepared execution).
        return connection.cursor()
    try:
        factory = _preparing_cursor_factory()
    except ImportError:  # psycopg2: no server-side binding
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django opens connections with prepare_threshold=None, which makes psycopg ignore prepare=True too.
        # A threshold no statement reaches: only the statements that ask (these) are prepared; Django's own
        # cursors bind on the client side and are never prepared anyway.
        raw.prepare_threshold = PREPARE_ONLY_WHEN_ASKED
    with connection.wrap_database_errors:
        cursor = factory(raw)
        cursor.adapters.register_loader("timestamptz", _timestamptz_loader())
        return connection._prepare_cursor(cursor)


_timestamptz_loader_class = None


def _timestamptz_loader():
    """psycopg's own ``timestamptz`` loader (its C implementation with psycopg[binary]). Django registers a
    pure-Python subclass on every connection to set the zone to ``datetime.timezone.utc``; psycopg's gives the
    same instants in the connection's zone (UTC, which Django sets), and these statements' values are
    converted to the current zone for output or compared as instants — about 3× faster per value."""
    global _timestamptz_loader_class
    if _timestamptz_loader_class is None:
        import psycopg
        from psycopg.postgres import types

        _timestamptz_loader_class = psycopg.adapters.get_loader(types["timestamptz"].oid, psycopg.pq.Format.TEXT)
    return _timestamptz_loader_class


class _TokenStatement:
    """``SELECT <token columns>, <user columns> FROM token JOIN user … WHERE token.key = %s``, written from the
    models' metadata (custom user model and table names included); the row becomes the token and its user
    through ``Model.from_db`` with each column's database converters, as the ORM's ``select_related`` does."""

    def __init__(self, token_model, using):
        connection = connections[using]
        qn = connection.ops.quote_name
        user_fk = token_model._meta.get_field("user")
        user_model = user_fk.related_model
        self.using = using
        self.token_model, self.user_model = token_model, user_model
        self.token_fields = list(token_model._meta.concrete_fields)
        self.user_fields = list(user_model._meta.concrete_fields)
        token_table, user_table = token_model._meta.db_table, user_model._meta.db_table
        columns = [f"t.{qn(f.column)}" for f in self.token_fields] + [f"u.{qn(f.column)}" for f in self.user_fields]
        # The user's permission versions with the row: the permission check needs no other round trip.
        columns += permcache.version_columns_sql(connection, "u", user_model._meta.pk.column)
        self.sql = (
            f"SELECT {', '.join(columns)} FROM {qn(token_table)} t"
            f" INNER JOIN {qn(user_table)} u ON u.{qn(user_fk.target_field.column)} = t.{qn(user_fk.column)}"
            f" WHERE t.{qn(token_model._meta.get_field('key').column)} = %s LIMIT 1"
        )
        self.converters = [self._converters(f, token_table, connection) for f in self.token_fields] + \
            [self._converters(f, user_table, connection) for f in self.user_fields]
        self.token_names = [f.attname for f in self.token_fields]
        self.user_names = [f.attname for f in self.user_fields]
        self.key_field = token_model._meta.get_field("key")

    @staticmethod
    def _converters(field, table, connection):
        column = field.get_col(table)
        return [*connection.ops.get_db_converters(column), *field.get_db_converters(connection)], column

    def fetch(self, key):
        """The token with its user (``token.user`` loaded), or ``None`` for an unknown key."""
        connection = connections[self.using]
        with prepared_cursor(self.using) as cursor:
            cursor.execute(self.sql, [self.key_field.get_db_prep_value(key, connection)])
            row = cursor.fetchone()
        if row is None:
            return None
        values = list(row[:-2])
        for index, (converters, column) in enumerate(self.converters):
            for converter in converters:
                values[index] = converter(values[index], column, connection)
        split = len(self.token_fields)
        token = self.token_model.from_db(self.using, self.token_names, values[:split])
        token.user = user = self.user_model.from_db(self.using, self.user_names, values[split:])
        setattr(user, permcache.USER_VERSION, row[-2])
        setattr(user, permcache.ROLES_VERSION, row[-1])
        return token


_token_statements: dict = {}


def _token_statement(token_model) -> _TokenStatement:
    from django.db import router

    using = router.db_for_read(token_model)
    statement = _token_statements.get((token_model, using))
    if statement is None:
        statement = _token_statements[(token_model, using)] = _TokenStatement(token_model, using)
    return statement
