"""The big lists read from plain rows: the page's query compiled once and run as a prepared statement."""
import time

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from rest_framework.renderers import JSONRenderer

from ..estimates import whole_table
from .prepared import prepared_cursor
from .renderers import RowJSONRenderer
from .rowplan import row_plan


class _Statement:
    """A list's rows query compiled once: its SQL and parameters without LIMIT/OFFSET, the column converters
    of the ORM, whether it lists a whole table (estimated count), and its count statement once run."""

    def __init__(self, queryset, plan):
        compiler = queryset.query.get_compiler(using=queryset.db)
        self.sql, self.params = compiler.as_sql()  # EmptyResultSet for .none(): not cached (caller)
        self.using = queryset.db
        self.plan = plan
        self.col_count = compiler.col_count
        self.converters = sorted(compiler.get_converters(
            [column[0] for column in compiler.select[:compiler.col_count]]).items())
        self.whole_table = whole_table(queryset)
        self.count_sql = None
        self.expires = time.monotonic() + STATEMENT_SECONDS


class StatementRows:
    """The rows of a ``_Statement`` as the paginators read a queryset: ``rows[a:b]`` runs the statement with
    ``LIMIT``/``OFFSET`` (the ORM's own SQL, so the same plan), ``count()`` the ORM's count statement
    (run through the ORM the first time, then as recorded); ``whole_table`` for the estimated count."""

    ordered = True

    def __init__(self, statement, queryset=None, make_queryset=None):
        self.statement = statement
        self.whole_table = statement.whole_table
        self._queryset = queryset
        self._make_queryset = make_queryset

    def _fetch(self, sql, params):
        connection = connections[self.statement.using]
        with prepared_cursor(self.statement.using) as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall(), connection

    def __getitem__(self, item):
        if not isinstance(item, slice) or item.step is not None or (item.start or 0) < 0 or item.stop is None:
            raise TypeError("StatementRows supports rows[start:stop] only")
        start, stop = item.start or 0, item.stop
        if stop <= start:
            return []
        statement = self.statement
        sql = f"{statement.sql} LIMIT {int(stop - start)}" + (f" OFFSET {int(start)}" if start else "")
        rows, connection = self._fetch(sql, statement.params)
        count = statement.col_count
        if not statement.converters:
            return [row[:count] if len(row) > count else row for row in rows]
        result = []
        for row in rows:
            row = list(row[:count])
            for index, (converters, expression) in statement.converters:
                value = row[index]
                for converter in converters:
                    value = converter(value, expression, connection)
                row[index] = value
            result.append(tuple(row))
        return result

    def count(self):
        statement = self.statement
        if statement.count_sql is not None:
            rows, _connection = self._fetch(*statement.count_sql)
            return rows[0][0]
        queryset = self._queryset if self._queryset is not None else self._make_queryset()
        recorded = []

        def record(execute, sql, params, many, context):
            recorded.append((sql, params))
            return execute(sql, params, many, context)

        with connections[statement.using].execute_wrapper(record):
            count = queryset.count()
        if len(recorded) == 1:
            statement.count_sql = (recorded[0][0], tuple(recorded[0][1] or ()))
        return count


STATEMENT_SECONDS = 60
STATEMENT_LIMIT = 1024
_statements: dict = {}


def forget_statements() -> None:
    _statements.clear()


class RowListMixin:
    """For the big lists' viewsets: ``list`` reads the page as ``values_list`` rows of exactly the columns
    the list serializer shows and builds each item with the serializer's own fields (``RowPlan``), instead of
    loading model instances (and their joined rows) and running DRF's serializer over them.

    A request with no parameter but the page's (``page``, ``page_size``, ``format``) reuses the rows query
    compiled for the same view, user and permission set in this process within ``STATEMENT_SECONDS``
    (``_Statement``: SQL and parameters without the page's LIMIT/OFFSET), instead of building the queryset,
    its values and its SQL again: ``get_queryset`` of these lists (``visible_to``) depends on the user and
    their permissions only, and both are in the key — a changed role or permission gives a new key at once.
    Any filter, search or ordering parameter takes the full path every time.

    Unchanged: authentication, ``action_permissions``, ``get_queryset`` (``visible_to``: a relationship
    manager's rows only), filters, search, ordering, pagination (and its queries) and the JSON output.
    ``row_expressions`` names an expression for each serializer field that is a model property (not a
    column), e.g. ``{"outstanding": F("amount") - F("paid_amount")}``."""

    row_expressions: dict = {}

    def _statement_key(self, request):
        paginator = self.paginator
        allowed = {"format"}
        if paginator is not None:
            allowed |= {getattr(paginator, "page_query_param", "page"),
                        getattr(paginator, "page_size_query_param", None) or "page_size"}
        if not allowed.issuperset(request.query_params.keys()):
            return None
        user = request.user
        return (type(self), self.action, request.query_params.get("format"), user.pk, user.is_active,
                user.is_superuser, frozenset(user.get_all_permissions()))

    def list(self, request, *args, **kwargs):
        key = self._statement_key(request)
        statement = _statements.get(key) if key is not None else None
        child = None

        def make_child():
            return getattr(self.get_serializer(many=True), "child", None)

        queryset = None
        if statement is None or statement.expires < time.monotonic():
            child = make_child()
            queryset = self.filter_queryset(self.get_queryset())
            plan = row_plan(child, queryset, self.row_expressions) if child is not None and isinstance(
                queryset, QuerySet) and hasattr(getattr(child, "Meta", None), "model") else None
            if plan is None:
                return super().list(request, *args, **kwargs)
            rows_queryset = plan.rows(queryset)
            try:
                statement = _Statement(rows_queryset, plan)
            except EmptyResultSet:
                statement = None
            if statement is None:
                rows = rows_queryset
            else:
                if key is not None:
                    if len(_statements) >= STATEMENT_LIMIT:
                        _statements.clear()
                    _statements[key] = statement
                rows = StatementRows(statement, queryset=rows_queryset)
        else:
            plan = statement.plan
            rows = StatementRows(statement, make_queryset=lambda: plan.rows(self.filter_queryset(self.get_queryset())))
        child_class = type(child) if child is not None else self.get_serializer_class()
        if type(getattr(request, "accepted_renderer", None)) is JSONRenderer and plan.plain_output(child_class):
            request.accepted_renderer = RowJSONRenderer()  # the same bytes, written by orjson
        page = self.paginate_queryset(rows)
        if page is not None:
            return self.get_paginated_response(plan.represent(page, child_class, make_child))
        from rest_framework.response import Response

        return Response(plan.represent(rows if statement is None else rows[0:2**62], child_class, make_child))
