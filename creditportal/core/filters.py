"""Query-string filters: every filter value is validated by a django-filter FilterSet before it reaches a query.

A bad value (letters for an id, a NUL byte, a date outside the plausible range, fullwidth digits, an integer
wider than a bigint) never reaches the database: the API answers 400 naming the parameter, a page shows the
error and lists without that filter.

* :class:`IdFilter` — an object id: ASCII digits, 1 .. 2**63-1.
* :class:`PlausibleDateFilter` — an ISO date inside ``creditportal.core.dates.plausible_range``.
* :func:`clean_params` — the valid values of a FilterSet's parameters (the invalid ones dropped) and the errors;
  selectors that read ``params`` filter with these only.
* :func:`require_valid` — the API's check: :class:`InvalidFilter` (400, per parameter) on any error.
* :func:`report_invalid` — the pages' check: one error message naming each bad parameter.
"""
import re

import django_filters
from django import forms
from django.contrib import messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .dates import validate_plausible_date
from .errors import ValidationFailed

BIGINT_MAX = 2**63 - 1
_ASCII_INTEGER = re.compile(r"[+-]?[0-9]+")


class IdField(forms.IntegerField):
    """An object id typed in ASCII digits (``int()`` would read fullwidth digits too)."""

    default_error_messages = {"invalid": gettext_lazy("Enter an id: a whole number.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not _ASCII_INTEGER.fullmatch(value.strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class PlausibleDateField(forms.DateField):
    """An ISO date (ASCII digits) inside the plausible range of business dates."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not value.strip().isascii():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(validate_plausible_date)


class IdFilter(django_filters.NumberFilter):
    field_class = IdField


class PlausibleDateFilter(django_filters.DateFilter):
    field_class = PlausibleDateField


class InvalidFilter(ValidationFailed):
    """A query parameter has a bad value (400, the parameters named in ``field_errors``)."""


def _bound(filterset_class, params):
    data = {key: params.get(key) for key in params.keys()} if params else {}
    filterset = filterset_class(data or None, queryset=filterset_class._meta.model._default_manager.none())
    return filterset, data


def clean_params(filterset_class, params) -> tuple[dict, dict]:
    """``(cleaned, errors)``: the parameters given with a valid non-empty value, cleaned (ints, dates, …),
    and ``{name: [messages]}`` for the others."""
    filterset, data = _bound(filterset_class, params)
    if not data:
        return {}, {}
    form = filterset.form
    form.is_valid()
    cleaned = {name: value for name, value in form.cleaned_data.items()
               if name in data and value not in (None, "", [], ())}
    errors = {name: [str(m) for m in messages_] for name, messages_ in form.errors.items()}
    return cleaned, errors


def describe(errors: dict) -> str:
    return "; ".join(f"{name}: {' '.join(messages_)}" for name, messages_ in errors.items())


def require_valid(filterset_class, params) -> dict:
    """The cleaned parameters, or :class:`InvalidFilter` naming every bad one (the API's 400)."""
    cleaned, errors = clean_params(filterset_class, params)
    if errors:
        raise InvalidFilter(_("Check the filter: %(errors)s") % {"errors": describe(errors)}, field_errors=errors)
    return cleaned


def report_invalid(request, errors: dict) -> None:
    """A page's filter had bad values: say which (the list is shown without them)."""
    if errors:
        messages.error(request, _("Some filters were ignored: %(errors)s") % {"errors": describe(errors)})
