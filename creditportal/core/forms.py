"""Form helpers: Bootstrap classes on widgets, so every form looks the same; number fields that read ASCII
digits only (``DecimalField``, ``IntegerField``: use them for every amount and number a person types)."""
from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

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


# --- Amounts and percentages as people type them (issue 21) ----------------------------------------------------

class AmountInput(forms.TextInput):
    """A text input for an amount: the value shown grouped ("1,234,567.89"), a numeric keyboard on tablets, and
    ``data-amount-echo``: ``portal.js`` echoes the typed amount in words under it (大写金额 in Chinese)."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", "data-amount-echo": "", **(attrs or {})})

    def format_value(self, value):
        from decimal import Decimal

        if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
            return f"{value:,}"
        return super().format_value(value)


class AmountField(DecimalField):
    """An amount: ASCII digits with thousands separators (``1,234,567.89``, spaces, ``，``) and a unit (元, 万 /
    万元, 亿 / 亿元), parsed by ``creditportal.core.numerals.parse_amount``; two decimals and up to 10^16 unless
    given. Anything else (letters, fullwidth digits, two points) is refused with a message a person can act on."""

    widget = AmountInput
    default_error_messages = {
        "invalid": _("Enter an amount, e.g. 1,234,567.89 or 120 万元."),
    }

    def __init__(self, *, max_digits=18, decimal_places=2, **kwargs):
        super().__init__(max_digits=max_digits, decimal_places=decimal_places, **kwargs)

    def to_python(self, value):
        from .numerals import parse_amount

        if value in self.empty_values:
            return None
        if isinstance(value, str):
            try:
                value = parse_amount(value.strip())
            except ValueError:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        return super().to_python(value)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("step", None)  # a text input: the browser's number rules do not apply
        return attrs


class PercentField(DecimalField):
    """A rate the person types as a percentage (30 for 30 %, "2.5%" too) and the model keeps as a fraction
    (0.3000): ``decimal_places`` are the stored fraction's, ``min_value``/``max_value`` fractions (0 and 1 by
    default). The label says "(%)"; the bounds are explained in percent."""

    default_error_messages = {
        "invalid": _("Enter a percentage, e.g. 30 for 30%."),
        "places": _("Enter at most %(places)s decimals."),
        "min": _("Enter at least %(limit)s%%."),
        "max": _("Enter at most %(limit)s%%."),
    }

    def __init__(self, *, max_digits=6, decimal_places=4, min_value=0, max_value=1, label=None, **kwargs):
        from decimal import Decimal

        self.fraction_places = decimal_places
        self.fraction_min = None if min_value is None else Decimal(str(min_value))
        self.fraction_max = None if max_value is None else Decimal(str(max_value))
        if label is not None and "%" not in str(label):
            label = format_lazy("{} (%)", label)
        super().__init__(max_digits=max_digits + 2, decimal_places=max(decimal_places - 2, 0), label=label,
                         **kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if self.fraction_min is not None:
            attrs["min"] = _percent_text(self.fraction_min)
        if self.fraction_max is not None:
            attrs["max"] = _percent_text(self.fraction_max)
        return attrs

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().removesuffix("%").strip()
        percent = super().to_python(value)
        if percent is None:
            return None
        return percent / 100

    def validate(self, value):
        forms.Field.validate(self, value)
        if value is None:
            return
        if not value.is_finite():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if self.fraction_min is not None and value < self.fraction_min:
            raise forms.ValidationError(self.error_messages["min"], code="min_value",
                                        params={"limit": _percent_text(self.fraction_min)})
        if self.fraction_max is not None and value > self.fraction_max:
            raise forms.ValidationError(self.error_messages["max"], code="max_value",
                                        params={"limit": _percent_text(self.fraction_max)})

    def run_validators(self, value):
        if value is None:
            return
        exponent = value.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > self.fraction_places:
            raise forms.ValidationError(self.error_messages["places"], code="max_decimal_places",
                                        params={"places": max(self.fraction_places - 2, 0)})

    def clean(self, value):
        value = super().clean(value)
        from decimal import Decimal

        return None if value is None else value.quantize(Decimal(1).scaleb(-self.fraction_places))

    def prepare_value(self, value):
        from decimal import Decimal

        if isinstance(value, (Decimal, int, float)) and not isinstance(value, bool):
            return _percent_text(Decimal(str(value)))
        return value


def _percent_text(fraction) -> str:
    """0.3000 → "30", 0.0005 → "0.05" (plain digits, for an input's value)."""
    text = format((fraction * 100).normalize(), "f")
    return text
