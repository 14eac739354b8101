"""What a request body may carry: ids resolved among the caller's visible rows, ASCII-only numbers; the body as a
serializer validated it (``validated``)."""
from rest_framework import exceptions, fields, relations

from creditportal.core import money


def validated(payload) -> dict:
    """What the request body holds once ``payload`` (a serializer given ``data=request.data``) finds it valid; a
    400 naming the fields' errors otherwise."""
    payload.is_valid(raise_exception=True)
    return payload.validated_data


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
