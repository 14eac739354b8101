"""The API's common parts: deny-by-default permissions, pagination, token auth (errors: ``api_errors``)."""
import copy
import datetime
import decimal
import logging
import time
from collections.abc import Mapping

from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, Page, PageNotAnInteger
from django.core.paginator import Paginator as DjangoPaginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework import fields, filters, relations
from rest_framework.fields import DateTimeField, Field, SkipField
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.relations import PKOnlyObject
from rest_framework.serializers import ListSerializer, Serializer
from rest_framework.settings import api_settings
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer

from creditportal.core import money, permcache


security_log = logging.getLogger("creditportal.security")


class ActiveUserTokenAuthentication(TokenAuthentication):
    """``Authorization: Token …``; inactive users are refused (DRF does this) and their tokens deleted.

    DRF's lookup (the token with its user, ``select_related("user").get(key=key)``) as one statement
    written once per token model and database (``_TokenStatement``) instead of building and compiling the
    queryset on every request; the same answers: an unknown key → "Invalid token.", an inactive user →
    "User inactive or deleted.". Permission checks then go through the backends as before."""

    def authenticate_credentials(self, key):
        model = self.get_model()
        token = _token_statement(model).fetch(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)


# --- Statements run as server-side prepared statements ------------------------------------------

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


def referenced_object(queryset, pk, field: str):
    """The object a request body names in ``field`` (a primary key), from ``queryset`` (the caller's
    visible rows). One that does not exist, or that the caller may not see, is a 400 with DRF's own message
    for a related field ("Invalid pk … - object does not exist."), the same for both so nothing leaks;
    404 stays for the object the URL names."""
    from django.core.exceptions import ValidationError as DjangoValidationError

    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError, DjangoValidationError):
        message = relations.PrimaryKeyRelatedField.default_error_messages["does_not_exist"]
        raise exceptions.ValidationError({field: [message.format(pk_value=pk)]}) from None


class VisibleRelatedField(relations.PrimaryKeyRelatedField):
    """An id a request body names, resolved only among the rows the caller may see
    (``Model.objects.visible_to(request.user)``): the one way a serializer accepts an object by id.

    Another portfolio's object answers exactly as a missing one — 400 on the field with DRF's message
    ("Invalid pk … - object does not exist.") — so its existence and its name never leak. Without a request
    in the serializer's context nothing is visible (fail closed). ``scope(queryset)`` narrows further
    (for example to the active rows)."""

    def __init__(self, model, *, scope=None, **kwargs):
        self.model, self.scope = model, scope
        if not kwargs.get("read_only"):
            kwargs["queryset"] = model._default_manager.none()  # a placeholder: ``get_queryset`` decides
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None:
            return self.model._default_manager.none()
        queryset = self.model._default_manager.visible_to(user)
        return self.scope(queryset) if self.scope else queryset


class ActionPermission(BasePermission):
    """Deny by default: a view must map each of its actions to a Django permission.

    Viewsets set ``action_permissions = {"list": "app.view_x", "create": "app.add_x", "approve": …}``;
    plain API views set ``required_permission``. ``None`` as a value means "any signed-in user"; a list
    means all of them, a set any one of them.
    An action that the map does not name is refused.
    """

    message = _("You do not have the permission to do this.")

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        mapping = getattr(view, "action_permissions", None)
        if mapping is not None:
            action = getattr(view, "action", None)
            if action is None and request.method == "OPTIONS":
                return True
            if action not in mapping:
                security_log.warning("refused: user=%s unmapped action %s on %s", user.username, action, type(view).__name__)
                return False
            needed = mapping[action]
        elif hasattr(view, "required_permission"):
            needed = view.required_permission
        else:
            return False
        if needed is None:
            return True
        if isinstance(needed, (set, frozenset)):  # any one of these
            allowed = any(user.has_perm(p) for p in needed)
            needs = sorted(needed)
        else:
            needs = needed if isinstance(needed, (list, tuple)) else [needed]
            allowed = all(user.has_perm(p) for p in needs)
        if not allowed:
            security_log.warning("refused: user=%s permission=%s", user.username, needs)
        return allowed


class CachedContentNegotiation(DefaultContentNegotiation):
    """DRF's content negotiation, remembered per (renderer classes, ``format`` parameter, ``Accept`` header):
    the same inputs always select the same renderer and media type, and parsing the header and matching it
    against each renderer costs more than the rest of a small list's view code. A request DRF refuses
    (unknown format, nothing acceptable) is never remembered: it raises every time."""

    LIMIT = 512
    _choices: dict = {}

    def select_renderer(self, request, renderers, format_suffix=None):
        format = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        key = (tuple(type(renderer) for renderer in renderers), format, request.META.get("HTTP_ACCEPT", "*/*"))
        known = self._choices.get(key)
        if known is not None:
            return renderers[known[0]], known[1]
        renderer, media_type = super().select_renderer(request, renderers, format_suffix)
        index = next((i for i, candidate in enumerate(renderers) if candidate is renderer), None)
        if index is not None:
            if len(self._choices) >= self.LIMIT:
                self._choices.clear()
            self._choices[key] = (index, media_type)
        return renderer, media_type


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, minus the work when there is nothing to filter: a request whose only
    parameters are the page's (``page``, ``page_size``, ``format``) gets the queryset as it is, without
    building and validating the FilterSet's form (a quarter of a 20-row list's Python time). Any other
    parameter goes through the FilterSet as before, so unknown or invalid values are still refused."""

    PAGE_PARAMETERS = frozenset({"page", "page_size", "format"})

    def filter_queryset(self, request, queryset, view):
        if self.PAGE_PARAMETERS.issuperset(request.query_params.keys()):
            return queryset
        return super().filter_queryset(request, queryset, view)


class DecimalField(fields.DecimalField):
    """DRF's, refusing fullwidth and other non-ASCII digits, and reading ``-0.00`` as ``0.00``: every amount an
    API body carries (``ModelSerializer`` maps model decimals here, see ``use_ascii_number_fields``)."""

    def to_internal_value(self, data):
        if not money.ascii_number_text(data):
            self.fail("invalid")
        return money.without_negative_zero(super().to_internal_value(data))


class IntegerField(fields.IntegerField):
    """DRF's, refusing fullwidth and other non-ASCII digits (``int()`` would read them)."""

    def to_internal_value(self, data):
        if not money.ascii_number_text(data):
            self.fail("invalid")
        return super().to_internal_value(data)


# Input-only subclasses (they change how a request's value is read, never how a value is written out): the
# row plans and converters below treat them as DRF's own classes.
_OUTPUT_AS = {DecimalField: fields.DecimalField, IntegerField: fields.IntegerField,
              VisibleRelatedField: relations.PrimaryKeyRelatedField}


def _output_kind(field):
    kind = type(field)
    return _OUTPUT_AS.get(kind, kind)


def use_ascii_number_fields():
    """Every ``ModelSerializer`` builds its number fields from the ASCII-only classes above (called once at
    start-up by the creditportal app): a model decimal or integer never reads fullwidth digits."""
    from django.db import models
    from rest_framework.serializers import ModelSerializer

    mapping = ModelSerializer.serializer_field_mapping
    mapping[models.DecimalField] = DecimalField
    for model_field in (models.IntegerField, models.BigIntegerField, models.SmallIntegerField,
                        models.PositiveIntegerField, models.PositiveSmallIntegerField,
                        models.PositiveBigIntegerField):
        mapping[model_field] = IntegerField


class SearchFilter(filters.SearchFilter):
    """DRF's ``?search=``, whose refusal (a NUL byte) names the parameter like every other filter's 400."""

    def get_search_terms(self, request):
        try:
            return super().get_search_terms(request)
        except exceptions.ValidationError as exc:
            raise exceptions.ValidationError({self.search_param: exc.detail}) from None


class StandardPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 500


# --- Big lists: exact counts when filtered, the planner's estimate when the whole table is listed --------

ESTIMATE_COUNT_ABOVE = 50_000


ESTIMATE_SECONDS = 60  # each process asks the catalogue at most once a minute per table
_estimates: dict[tuple[str, str], tuple[float, int | None]] = {}


def forget_table_estimates() -> None:
    _estimates.clear()


def table_estimate(using: str, table: str) -> int | None:
    """The planner's row estimate of ``table`` (``pg_class.reltuples`` of the last ANALYZE — kept by
    autovacuum — scaled to the table's current size in pages, as the planner does), remembered for
    ``ESTIMATE_SECONDS`` in this process. ``None`` when the table was never analysed or not on PostgreSQL."""
    now = time.monotonic()
    remembered = _estimates.get((using, table))
    if remembered and remembered[0] > now:
        return remembered[1]
    connection = connections[using]
    estimate = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT CASE WHEN reltuples < 0 THEN NULL WHEN relpages = 0 THEN reltuples::bigint"
                " ELSE (reltuples / relpages * (pg_relation_size(oid) / current_setting('block_size')::int))::bigint"
                " END FROM pg_class WHERE oid = to_regclass(%s)", [connection.ops.quote_name(table)])
            row = cursor.fetchone()
        estimate = int(row[0]) if row and row[0] is not None else None
    _estimates[(using, table)] = (now + ESTIMATE_SECONDS, estimate)
    return estimate


def whole_table(queryset) -> tuple[str, str] | None:
    """``(database, table)`` when the queryset lists that whole table — no WHERE (so no visibility
    restriction either), no DISTINCT, GROUP BY or set operation — otherwise ``None``."""
    if not isinstance(queryset, QuerySet):
        return getattr(queryset, "whole_table", None)  # StatementRows: decided when it was compiled
    query = queryset.query
    if (query.where or query.distinct or query.group_by is not None or query.combinator
            or query.low_mark or query.high_mark is not None or query.is_empty()):
        return None
    return (queryset.db, queryset.model._meta.db_table)


def unfiltered_table_estimate(queryset):
    """``table_estimate`` of the queryset's table when the queryset lists that whole table (``whole_table``),
    otherwise ``None``."""
    table = whole_table(queryset)
    return table_estimate(*table) if table else None


class _KnownNextPage(Page):
    """A page whose successor is known from one extra row fetched with it (the count is an estimate)."""

    def __init__(self, object_list, number, paginator, has_next):
        super().__init__(object_list, number, paginator)
        self._has_next = has_next

    def has_next(self):
        return self._has_next


class EstimatingPaginator(DjangoPaginator):
    """``count`` is exact unless the list is a whole table of at least ``ESTIMATE_COUNT_ABOVE`` rows; then
    it is the planner's estimate (``count_exact`` False) and each page fetches one row more than it shows
    to know whether a next page exists, so ``next`` is always right."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_exact = True

    @cached_property
    def count(self):
        estimate = unfiltered_table_estimate(self.object_list)
        if estimate is not None and estimate >= ESTIMATE_COUNT_ABOVE:
            self.count_exact = False
            return estimate
        return super().count

    def exact_count(self):
        """Count exactly whatever the size (``page=last`` needs the true number of pages)."""
        self.count_exact = True
        self.__dict__["count"] = self.object_list.count() if isinstance(self.object_list, (QuerySet, StatementRows)) \
            else len(self.object_list)
        self.__dict__.pop("num_pages", None)
        return self.count

    def page(self, number):
        self.count  # noqa: B018  (decides count_exact)
        if self.count_exact:
            return super().page(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"])
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom:bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        return _KnownNextPage(rows[:self.per_page], number, self, has_next=len(rows) > self.per_page)


class EstimatedCountPagination(StandardPagination):
    """For the big lists (customers, applications, facilities, orders, invoices, payments). Filtered lists — any filter, search, or a
    portfolio restricted to the caller's customers — carry their exact ``count``. The unfiltered list of a
    big table carries the planner's estimate instead of counting every row on each request, and says so:
    ``count_exact`` is false. ``next``/``previous`` are exact either way; ``page=last`` counts exactly."""

    django_paginator_class = EstimatingPaginator

    def get_page_number(self, request, paginator):
        page_number = request.query_params.get(self.page_query_param) or 1
        if page_number in self.last_page_strings:
            paginator.exact_count()
            return paginator.num_pages
        return page_number

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_exact"] = self.page.paginator.count_exact
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count"]["description"] = (
            "Rows in the list. Exact whenever the list is filtered (any filter or search, or a portfolio "
            "restricted to the caller's customers); for the whole table of at least "
            f"{ESTIMATE_COUNT_ABOVE:,} rows it is PostgreSQL's estimate (pg_class.reltuples) and "
            "count_exact is false.")
        schema["properties"]["count_exact"] = {
            "type": "boolean", "example": True,
            "description": "False when count is an estimate (see count). next and previous are always exact; "
                           "page=last counts exactly."}
        schema["required"] = [*schema.get("required", []), "count_exact"]
        return schema


# --- Lists of model rows: the same serializer output with less work per row --------------------------

_MISSING = object()


# Field classes whose instances hold no other field and are only ever re-bound (``bind`` replaces
# attributes, it does not change shared ones): a shallow copy of an unbound template is a fresh field.
_SCALAR_FIELDS = (
    fields.BooleanField, fields.CharField, fields.ChoiceField, fields.DateField, fields.DateTimeField,
    fields.DecimalField, fields.FloatField, fields.IntegerField, fields.JSONField, fields.ReadOnlyField,
    fields.SerializerMethodField, fields.TimeField, fields.UUIDField, relations.PrimaryKeyRelatedField,
    relations.SlugRelatedField,
)


def _fresh(field):
    if isinstance(field, _SCALAR_FIELDS) and not isinstance(field, (fields.ListField, fields.DictField)):
        return copy.copy(field)
    return copy.deepcopy(field)  # nested serializers and container fields: DRF's own copy


class CachedFieldsMixin:
    """For a ``ModelSerializer`` whose fields depend on its class only (``Meta`` and declared fields, not
    on the instance, the context or the request): the fields are built from the model once per class and
    each serializer gets fresh copies of those unbound templates (a shallow copy for scalar fields, DRF's
    deep copy for the others), instead of inspecting the model and building every field on each request."""

    def get_fields(self):
        cls = type(self)
        templates = cls.__dict__.get("_field_templates")
        if templates is None:
            templates = super().get_fields()
            cls._field_templates = templates
        return {name: _fresh(field) for name, field in templates.items()}


class FastListSerializer(ListSerializer):
    """``Meta.list_serializer_class`` for the big lists' serializers: the same output as DRF's
    ``Serializer.to_representation`` row by row (each field's own ``to_representation``), with the fields
    looked at once per list instead of once per row and plain ``getattr`` for plain attributes.

    A field takes DRF's own path (``field.get_attribute``) whenever the quick one does not apply: a field
    class with its own ``get_attribute`` (related fields), an attribute that is missing, a related row that
    does not exist, or a callable value — so defaults, ``allow_null``, ``SkipField`` and
    ``PKOnlyObject`` behave exactly as in DRF. A child serializer with its own ``to_representation``, or
    rows that are not model instances, are serialised by DRF unchanged."""

    def _plan(self):
        plan = []
        for field in self.child._readable_fields:
            if isinstance(field, DateTimeField) and not hasattr(field, "timezone"):
                # The current time zone once for the list, not once per value (this field object belongs
                # to this serializer only): the same output as DRF's ``enforce_timezone``.
                field.timezone = field.default_timezone()
            quick = type(field).get_attribute is Field.get_attribute
            plan.append((field.field_name, field, tuple(field.source_attrs) if quick else None,
                         field.to_representation))
        return plan

    def to_representation(self, data):
        rows = data.all() if hasattr(data, "all") and not isinstance(data, (list, tuple)) else data
        if type(self.child).to_representation is not Serializer.to_representation:
            return [self.child.to_representation(row) for row in rows]
        plan = self._plan()
        result = []
        for row in rows:
            if isinstance(row, Mapping):
                result.append(self.child.to_representation(row))
                continue
            item = {}
            for name, field, attrs, to_representation in plan:
                value = _MISSING
                if attrs is not None:
                    try:
                        value = row
                        for attr in attrs:
                            value = getattr(value, attr)
                    except Exception:  # missing attribute, absent related row: DRF decides below
                        value = _MISSING
                    if callable(value):
                        value = _MISSING
                if value is _MISSING:
                    try:
                        value = field.get_attribute(row)
                    except SkipField:
                        continue
                    if isinstance(value, PKOnlyObject):
                        item[name] = None if value.pk is None else to_representation(value)
                        continue
                item[name] = None if value is None else to_representation(value)
            result.append(item)
        return result


def concrete_columns(model, names) -> list[str]:
    """The names among ``names`` that are the model's own columns (for ``QuerySet.only`` in a list)."""
    columns = {f.name for f in model._meta.concrete_fields}
    return [name for name in names if name in columns]


# --- Lists from plain rows: the serializer's output without model instances ----------------------

class RowPlanUnsupported(Exception):
    """A serializer field whose value cannot be read as one column of a ``values_list`` row."""


class RowPlan:
    """How each readable field of a ``ModelSerializer`` is read from one column of a ``values_list`` row.

    Built once per (serializer class, queryset annotations) from the serializer's own fields. Each field's
    ``source`` is followed over the model's concrete columns and forward relations:

    * a column (``amount``, ``customer_id``) or a column of a related row (``customer.name`` →
      ``customer__name``) is read as it is and given to the field's own ``to_representation``, as DRF does;
    * a related field (``PrimaryKeyRelatedField`` → the foreign key's column, ``SlugRelatedField`` →
      ``<relation>__<slug_field>``) is read as the value DRF would output (the related row's primary key or
      its slug), without loading the related row;
    * an annotation of the queryset (``latest_period_end``) or an expression the view declares for a model
      property (``row_expressions``: ``{"outstanding": F("amount") - …}``) is read as its column;
    * ``None`` stays ``None`` (DRF outputs ``null`` without calling ``to_representation``). A path through a
      nullable relation is accepted only when DRF would also output ``null`` for a missing related row
      (``default=None``, or no default and ``allow_null``), so a null column means the same either way.

    Anything else — a method field, a nested serializer, a many-relation, ``source="*"``, a field class
    that overrides ``get_attribute`` — raises ``RowPlanUnsupported``: the view then keeps DRF's path."""

    def __init__(self, child, annotations=(), expressions=None):
        model = child.Meta.model
        expressions = dict(expressions or {})
        self.lookups = []           # values_list() arguments, in field order
        self.expressions = {}       # alias → expression, annotated before values_list()
        self.columns = []           # (field name, True if the value is given to field.to_representation)
        self.sources = []           # the model field a column is read from (None: annotation, expression)
        for field in child._readable_fields:
            lookup, convert, source = self._lookup(model, field, annotations, expressions)
            self.sources.append(source)
            if lookup in expressions:
                alias = f"_row_{lookup}"
                self.expressions[alias] = expressions[lookup]
                lookup = alias
            self.lookups.append(lookup)
            self.columns.append((field.field_name, convert))

    @staticmethod
    def _lookup(model, field, annotations, expressions):
        from django.core.exceptions import FieldDoesNotExist
        from rest_framework.fields import empty
        from rest_framework.serializers import BaseSerializer

        name = field.field_name
        if isinstance(field, (BaseSerializer, relations.ManyRelatedField, fields.SerializerMethodField,
                              fields.HiddenField)) or field.source == "*":
            raise RowPlanUnsupported(name)
        is_related = isinstance(field, relations.RelatedField)
        if is_related:
            if _output_kind(field) is relations.PrimaryKeyRelatedField:
                if field.pk_field is not None:
                    raise RowPlanUnsupported(name)
            elif type(field) is not relations.SlugRelatedField:
                raise RowPlanUnsupported(name)
        elif type(field).get_attribute is not Field.get_attribute:
            raise RowPlanUnsupported(name)
        attrs = list(field.source_attrs)
        if len(attrs) == 1 and (attrs[0] in annotations or attrs[0] in expressions):
            if is_related:
                raise RowPlanUnsupported(name)
            return attrs[0], True, None
        path, through_nullable, current = [], False, model
        for position, attr in enumerate(attrs):
            last = position == len(attrs) - 1
            try:
                model_field = current._meta.get_field(attr)
            except FieldDoesNotExist:
                raise RowPlanUnsupported(name) from None
            if not model_field.concrete or model_field.many_to_many:
                raise RowPlanUnsupported(name)  # reverse or many relation, generic foreign key
            if model_field.is_relation:
                if attr == model_field.attname != model_field.name:  # "customer_id": the column itself
                    if not last or is_related:
                        raise RowPlanUnsupported(name)
                    path.append(attr)
                    return "__".join(path), True, model_field
                if last:
                    if not is_related:
                        raise RowPlanUnsupported(name)  # e.g. a CharField showing str(related row)
                    if isinstance(field, relations.SlugRelatedField):
                        return "__".join([*path, attr, *field.slug_field.split("__")]), False, None
                    if not model_field.target_field.primary_key:
                        raise RowPlanUnsupported(name)
                    return "__".join([*path, model_field.attname]), False, None
                through_nullable = through_nullable or model_field.null
                path.append(attr)
                current = model_field.related_model
                continue
            if not last or is_related:
                raise RowPlanUnsupported(name)
            path.append(attr)
        if through_nullable and not (field.default is None or (field.default is empty and field.allow_null)):
            raise RowPlanUnsupported(name)
        return "__".join(path), True, model_field

    # Converters that depend on the request: the current time zone, the thread's decimal context.
    _PER_REQUEST = (fields.DateTimeField, fields.DecimalField)

    def _template_converters(self, child_class):
        """The converters built from the serializer class's unbound field templates (``CachedFieldsMixin``),
        without building and binding the serializer's fields for the request — when every converted column
        is one of DRF's scalar field classes (``_converter``); otherwise ``None``. Those that do not depend
        on the request are built once per plan."""
        templates = child_class.__dict__.get("_field_templates")
        if templates is None:
            return None
        fixed = self.__dict__.get("_fixed")
        if fixed is None or fixed[0] is not templates:
            fixed = (templates, {})
            for (name, convert), source in zip(self.columns, self.sources):
                if convert and _unchanged_by(templates[name], source):
                    fixed[1][name] = _IDENTITY
                elif convert and _same_scale_decimal(templates[name], source):
                    fixed[1][name] = _decimal_as_written(templates[name])
                elif convert and type(templates[name]) not in self._PER_REQUEST:
                    fixed[1][name] = _converter(templates[name])
            self._fixed = fixed
        converters = []
        for name, convert in self.columns:
            if not convert or fixed[1].get(name) is _IDENTITY:
                converters.append(None)
                continue
            converter = fixed[1][name] if name in fixed[1] else _converter(templates[name])
            if converter is None:
                return None
            converters.append(converter)
        return converters

    def rows(self, queryset):
        """The queryset as ``values_list`` tuples in the plan's column order (filters, order, scope kept)."""
        if self.expressions:
            queryset = queryset.annotate(**self.expressions)
        return queryset.values_list(*self.lookups)

    def plain_output(self, child_class) -> bool:
        """Whether ``represent`` builds every value from the columns alone: as they are (text, integer and
        boolean columns; a related row's primary key or slug) or by one of DRF's scalar fields' converters
        (``_converter``: strings for dates, times and decimals) — never a float or an object that a
        field's own ``to_representation`` could return."""
        return self._template_converters(child_class) is not None

    def represent(self, rows, child_class, make_child):
        """The list's output for ``rows`` (from ``rows()``): one dict per row, the same as DRF's
        ``Serializer.to_representation``. Built from ``child_class``'s field templates when it can
        (``_template_converters``), otherwise with the bound fields of ``make_child()`` (this request's
        serializer: its time zone and settings)."""
        converters = self._template_converters(child_class)
        if converters is None:  # a field class without a known equivalent: the bound fields' own methods
            child = make_child()
            readable = {field.field_name: field for field in child._readable_fields}
            converters = []
            for name, convert in self.columns:
                field = readable[name]
                if isinstance(field, DateTimeField) and not hasattr(field, "timezone"):
                    field.timezone = field.default_timezone()  # once per list (as FastListSerializer)
                converters.append((_converter(field) or field.to_representation) if convert else None)
        names = [name for name, _convert in self.columns]
        converted = [(index, name, convert) for index, (name, convert) in enumerate(zip(names, converters))
                     if convert is not None]
        result = []
        for row in rows:
            item = dict(zip(names, row))  # columns given as they are (None stays None: DRF's null)
            for index, name, convert in converted:
                value = row[index]
                if value is not None:
                    item[name] = convert(value)
            result.append(item)
        return result


_IDENTITY = object()
_TEXT_COLUMNS = {"CharField", "TextField", "SlugField", "EmailField", "URLField"}
_INTEGER_COLUMNS = {"IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField",
                    "PositiveSmallIntegerField", "PositiveBigIntegerField", "AutoField", "BigAutoField",
                    "SmallAutoField"}


def _unchanged_by(field, source) -> bool:
    """Whether DRF's ``field.to_representation`` returns every non-null value of the model field ``source``
    unchanged, so the column is output as it is: ``CharField`` → ``str(value)`` of a text column's ``str``,
    ``IntegerField`` (``BigIntegerField`` not coerced to a string) → ``int(value)`` of an integer column's ``int``, ``BooleanField`` of a boolean column,
    ``ChoiceField`` whose choices are their own values (``get(str(value), value)``, "" → "")."""
    if source is not None and source.is_relation:  # "customer_id": the foreign key's column
        source = source.target_field
    if source is None or hasattr(source, "from_db_value"):
        return False
    column = source.get_internal_type()
    kind = _output_kind(field)
    if kind is fields.CharField:
        return column in _TEXT_COLUMNS
    if kind is fields.IntegerField or (kind is fields.BigIntegerField and not getattr(
            field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING)):
        return column in _INTEGER_COLUMNS
    if kind is fields.BooleanField:
        return column == "BooleanField"
    if kind is fields.ChoiceField:
        return column in _TEXT_COLUMNS and all(key == value for key, value in field.choice_strings_to_values.items())
    return False


def _same_scale_decimal(field, source) -> bool:
    """Whether DRF's ``DecimalField`` (as a string) outputs a decimal column's values as they are written:
    the column (``numeric(p, s)``) gives every value with exactly the field's decimal places and no more
    digits than the field allows, so DRF's ``quantize`` changes nothing and cannot fail (tested against
    DRF's output over the boundaries)."""
    from django.db import models

    if _output_kind(field) is not fields.DecimalField or not isinstance(source, models.DecimalField) \
            or hasattr(source, "from_db_value") or source.get_internal_type() != "DecimalField":
        return False
    return (getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING) and not field.localize
            and not field.normalize_output and field.decimal_places == source.decimal_places
            and (field.max_digits is None or source.max_digits <= field.max_digits))


def _decimal_as_written(field):
    """``f"{value:f}"``: what DRF's ``quantize`` and format give for a value the column wrote (its scale is
    the column's: PostgreSQL stores ``numeric(p, s)`` at scale ``s``, Django's SQLite converter quantizes)."""
    to_representation, number = field.to_representation, decimal.Decimal

    def decimal_representation(value):
        return f"{value:f}" if type(value) is number else to_representation(value)
    return decimal_representation


def _converter(field):
    """For DRF's own scalar field classes an equivalent of ``field.to_representation`` for the value types a
    column gives (str, int, bool, date, aware datetime, Decimal) — the same code path as DRF's for those
    types, with the per-call look-ups (settings, format, decimal context, time zone) done once per list; any
    other value goes to ``field.to_representation`` itself. ``None`` for other field classes."""
    to_representation = field.to_representation
    kind = _output_kind(field)
    if kind is fields.CharField:
        return str
    if kind is fields.IntegerField:
        return int
    if kind is fields.BigIntegerField:
        return str if getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING) else int
    if kind is fields.BooleanField:
        return lambda value: value if value is True or value is False else to_representation(value)
    if kind is fields.ChoiceField:
        get = field.choice_strings_to_values.get
        return lambda value: get(value, value) if type(value) is str and value != "" else to_representation(value)
    if kind is fields.DateField:
        output_format = getattr(field, "format", api_settings.DATE_FORMAT)
        if output_format is not None and output_format.lower() == fields.ISO_8601:
            date = datetime.date
            return lambda value: value.isoformat() if type(value) is date else to_representation(value)
    if kind is fields.DateTimeField:
        output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
        zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
        if output_format is not None and output_format.lower() == fields.ISO_8601 and zone is not None:
            moment = datetime.datetime

            def datetime_representation(value):
                if type(value) is not moment or value.utcoffset() is None:
                    return to_representation(value)
                try:
                    text = value.astimezone(zone).isoformat()
                except OverflowError:
                    return to_representation(value)  # DRF's error
                return text[:-6] + "Z" if text.endswith("+00:00") else text
            return datetime_representation
    if kind is fields.DecimalField:
        if (getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING) and not field.localize
                and not field.normalize_output and field.decimal_places is not None):
            context = decimal.getcontext().copy()
            if field.max_digits is not None:
                context.prec = field.max_digits
            exponent = decimal.Decimal(".1") ** field.decimal_places
            rounding, number = field.rounding, decimal.Decimal

            def decimal_representation(value):
                if type(value) is not number:
                    return to_representation(value)
                return f"{value.quantize(exponent, rounding=rounding, context=context):f}"
            return decimal_representation
    return None


_row_plans: dict = {}


def row_plan(child, queryset, expressions=None) -> RowPlan | None:
    """The ``RowPlan`` of ``child``'s class for this queryset's annotations (remembered per process), or
    ``None`` when a field cannot be read from a row (the caller keeps DRF's path)."""
    annotations = frozenset(queryset.query.annotations)
    key = (type(child), annotations, tuple(sorted((expressions or {}).items(), key=lambda kv: kv[0])))
    try:
        plan = _row_plans.get(key, _MISSING)
    except TypeError:  # an unhashable expression: build it each time
        return _build_plan(child, annotations, expressions)
    if plan is _MISSING:
        plan = _row_plans[key] = _build_plan(child, annotations, expressions)
    return plan


def _build_plan(child, annotations, expressions):
    try:
        return RowPlan(child, annotations, expressions)
    except RowPlanUnsupported as exc:
        logging.getLogger(__name__).warning("%s: field %s is not read from rows; DRF serialises the list",
                                            type(child).__name__, exc)
        return None


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


def _not_plain(value):
    raise TypeError(type(value).__name__)


def _orjson_options():
    try:
        import orjson
    except ImportError:
        return 0
    # Dates, times, dataclasses and subclasses of str/int/dict/list go to ``default`` (refused) instead of
    # orjson's own format: DRF's encoder may write them differently.
    return orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS


_ORJSON_OPTIONS = _orjson_options()


class RowJSONRenderer(JSONRenderer):
    """DRF's ``JSONRenderer`` output written by orjson (~10× faster), for row lists whose values are only
    ``str``, ``int``, ``bool`` and ``None`` (``RowPlan.plain_output``): for those, and with DRF's default
    settings (compact, unicode), orjson writes the same bytes as ``json.dumps`` (tested). Anything else — an
    indent asked for in the ``Accept`` header, other settings, a value orjson would write its own way (a
    date, a ``str`` subclass, an integer beyond 64 bits) — is rendered by DRF's renderer."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        import orjson

        if data is None or not (api_settings.UNICODE_JSON and api_settings.COMPACT_JSON) \
                or self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            text = orjson.dumps(data, default=_not_plain, option=_ORJSON_OPTIONS)
        except TypeError:  # orjson.JSONEncodeError: a value it would not write as json.dumps does
            return super().render(data, accepted_media_type, renderer_context)
        # As DRF: U+2028 and U+2029 escaped, so the JSON is also valid JavaScript.
        return text.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
