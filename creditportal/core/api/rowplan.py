"""Lists from plain rows: the serializer's output without model instances (the plan of the columns and
their converters)."""
import datetime
import decimal
import logging

from rest_framework import fields, relations
from rest_framework.fields import DateTimeField, Field
from rest_framework.settings import api_settings

from .inputs import _output_kind
from .serializers import _MISSING


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
