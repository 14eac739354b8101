"""Form helpers: Bootstrap classes on widgets, so every form looks the same; number fields that read ASCII
digits only (``DecimalField``, ``IntegerField``: use them for every amount and number a person types)."""
from django import forms

from .money import ascii_number_text, without_negative_zero


class DecimalField(forms.DecimalField):
    """Django's, refusing fullwidth and other non-ASCII digits, and storing ``-0.00`` as ``0.00``."""

    def to_python(self, value):
        if not ascii_number_text(value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return without_negative_zero(super().to_python(value))


class IntegerField(forms.IntegerField):
    """Django's, refusing fullwidth and other non-ASCII digits (``int()`` would read them)."""

    def to_python(self, value):
        if not ascii_number_text(value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


def style_fields(form):
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.RadioSelect)):
            css = "form-check-input"
        elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
            css = "form-select"
        else:
            css = "form-control"
        existing = widget.attrs.get("class", "")
        if css not in existing:
            widget.attrs["class"] = f"{existing} {css}".strip()


class PortalFormMixin:
    """Adds Bootstrap classes and marks invalid fields (``is-invalid``) after validation."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"


class PortalForm(PortalFormMixin, forms.Form):
    pass


class PortalModelForm(PortalFormMixin, forms.ModelForm):
    pass


class DateInput(forms.DateInput):
    """``<input type="date">`` with its value in ISO form: the browser's date input reads only ISO dates, so a
    value in the language's format (2026/12/03 in Chinese) would show as empty and an edit would clear it."""

    input_type = "date"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs=attrs, format=format or "%Y-%m-%d")
