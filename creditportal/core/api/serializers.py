"""Lists of model rows: the same serializer output with less work per row."""
import copy
from collections.abc import Mapping

from rest_framework import fields, relations
from rest_framework.fields import DateTimeField, Field, SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.serializers import ListSerializer, Serializer


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
