"""Search-as-you-type pickers for foreign keys (customers, users, …): never an internal id typed by hand.

* ``Picker``: a ``<select>`` that renders only the chosen option(s) (a list of 100k customers is never sent)
  and carries ``data-picker="<search url>"``; ``portal.js`` turns it into a Tom Select (npm, served locally)
  that asks the search URL as the user types. Without JavaScript it is a plain select of the chosen value.
* ``PickerSearchView``: the search URL: ``?q=<text>`` → ``{"results": [{"id", "text"}]}``, at most
  ``limit`` rows from ``get_queryset()`` (scoped to the user by the subclass), ordered by the label.

A FilterSet uses them through ``PickerFilter`` (a ``ModelChoiceFilter`` whose queryset is the user's visible
rows, so an id the user may not see is refused like any invalid value).
"""
from __future__ import annotations

import re

import django_filters
from django import forms
from django.http import JsonResponse
from django.urls import reverse
from django.views import View

from .views import PortalPermissionMixin


class Picker(forms.Select):
    """A select that renders only the selected options and is searched remotely (``url_name``)."""

    def __init__(self, url_name: str, attrs=None, placeholder: str = "", params: dict | None = None):
        super().__init__(attrs)
        self.url_name = url_name
        self.placeholder = placeholder
        self.params = dict(params or {})  # narrows the search URL, e.g. ``{"role": "collector"}``

    def get_context(self, name, value, attrs):
        from django.utils.http import urlencode

        context = super().get_context(name, value, attrs)
        url = reverse(self.url_name)
        context["widget"]["attrs"]["data-picker"] = f"{url}?{urlencode(self.params)}" if self.params else url
        if self.placeholder:
            context["widget"]["attrs"]["data-placeholder"] = str(self.placeholder)
        return context

    def optgroups(self, name, value, attrs=None):
        chosen = [str(v) for v in (value or []) if v not in (None, "")]
        options = [self.create_option(name, "", "", not chosen, 0)]
        queryset = getattr(self.choices, "queryset", None)
        if chosen and queryset is not None:
            field = self.choices.field
            try:
                rows = list(queryset.filter(pk__in=chosen))
            except (ValueError, TypeError):
                rows = []
            for index, obj in enumerate(rows, start=1):
                options.append(self.create_option(name, field.prepare_value(obj), field.label_from_instance(obj),
                                                  True, index))
        elif chosen:  # plain choices: the chosen ones only
            for index, (key, label) in enumerate(self.choices, start=1):
                if str(key) in chosen:
                    options.append(self.create_option(name, key, label, True, index))
        return [(None, options, 0)]


class PickerChoiceField(forms.ModelChoiceField):
    """A chosen id: ASCII digits only (``int()`` would read fullwidth digits too), then one of the queryset's rows."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not re.fullmatch(r"[0-9]{1,19}", value.strip()):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class PickerFilter(django_filters.ModelChoiceFilter):
    """``?customer=<id>`` as a picker; ``queryset`` is a callable ``(request) -> queryset`` scoped to the user."""

    field_class = PickerChoiceField

    def __init__(self, *args, url_name: str, label_from_instance=None, params: dict | None = None, **kwargs):
        kwargs.setdefault("widget", Picker(url_name, params=params))
        super().__init__(*args, **kwargs)
        self._label_from_instance = label_from_instance

    @property
    def field(self):
        field = super().field
        if self._label_from_instance is not None:
            field.label_from_instance = self._label_from_instance
        return field


class PickerQuery(forms.Form):
    q = forms.CharField(required=False, max_length=100, strip=True)


class PickerSearchView(PortalPermissionMixin, View):
    """``GET ?q=`` → ``{"results": [{"id": …, "text": …}]}`` (subclasses: ``get_queryset``, ``search``,
    ``label``)."""

    limit = 20
    order_by: tuple[str, ...] = ("pk",)

    def get_queryset(self):
        raise NotImplementedError

    def search(self, queryset, text: str):
        raise NotImplementedError

    def label(self, obj) -> str:
        return str(obj)

    def get(self, request, *args, **kwargs):
        query = PickerQuery(request.GET)
        if not query.is_valid():  # a NUL byte, say: 400 with the reason, nothing searched
            return JsonResponse({"errors": {k: [str(m) for m in v] for k, v in query.errors.items()}}, status=400)
        text = (query.cleaned_data.get("q") or "").strip()
        queryset = self.get_queryset()
        if text:
            queryset = self.search(queryset, text)
        rows = queryset.order_by(*self.order_by)[: self.limit]
        return JsonResponse({"results": [{"id": obj.pk, "text": self.label(obj)} for obj in rows]})
