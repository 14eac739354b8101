"""One list machinery for every list page: filter, sort, paginate and export the same rows.

A list page subclasses :class:`PortalListView` and declares

* ``permission_required`` — who may see the list (and export it, unless ``export_permission`` differs);
* ``queryset`` (joins and all; ``visible_to(user)`` is applied) or ``base_queryset()`` — the rows the user may see
  (always ``Model.objects.visible_to(user)``, or a selector built on it);
* ``filterset_class`` — the app's django-filter FilterSet (the query string filters pages and files alike);
* ``columns`` — :class:`Column` entries: the header label (translated), how to read the value, the ORM field
  a ``?sort=`` key orders by (whitelist: only columns with ``sort`` can be sorted), and the kind of value;
* ``default_sort`` and ``export_name`` (the file name stem and the audit verb).

``?export=csv`` / ``?export=xlsx`` (or a URL that passes ``export_format``) answers with the filtered and
sorted rows as a UTF-8 CSV with BOM (streamed, so Excel opens Chinese) or an XLSX workbook (openpyxl
write-only: a frozen bold header with an autofilter, column widths that fit, real dates and numbers with
thousands-separator formats). CSV files hold ISO dates; both hold money as amount + currency. Every text cell goes through
:func:`safe_cell` (formula injection, OWASP): text a spreadsheet would evaluate gets a leading ``'`` and
XLSX never stores a text cell as a formula; numbers stay numbers. More than ``EXPORT_MAX_ROWS`` rows are
refused with a message asking to narrow the filter. Every export is recorded in the audit trail by the
recorder the audit app provides (the slot :data:`EXPORT_RECORDER`) — the shared machinery imports no app.
"""
from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Protocol, runtime_checkable

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import ListView

from . import clock, registry
from .pagination import EstimatingPaginator
from .views import PortalPermissionMixin

EXPORT_FORMATS = ("csv", "xlsx")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@runtime_checkable
class ExportRecorder(Protocol):
    def __call__(self, *, actor, verb: str, object_type: str, object_repr: str, after: dict) -> None: ...


# The audit app provides ``recorder(*, actor, verb, object_type, object_repr, after)`` in its ``ready``.
EXPORT_RECORDER: registry.Slot[ExportRecorder] = registry.Slot("core.export_recorder", ExportRecorder)


def record_export(*, actor, verb: str, object_type: str, object_repr: str, after: dict) -> None:
    recorder = EXPORT_RECORDER.get()
    if recorder is None:  # never export without an audit trail
        raise RuntimeError("No export recorder is registered (the audit app is not installed).")
    recorder(actor=actor, verb=verb, object_type=object_type, object_repr=object_repr, after=after)


def export_max_rows() -> int:
    return int(getattr(settings, "EXPORT_MAX_ROWS", 50_000))


@dataclass(frozen=True)
class Column:
    """One column of a list: ``value`` is a dotted path (``customer.name``, ``get_status_display``) or a
    callable taking the row; ``sort`` the ORM field ``?sort=<key>`` orders by; ``kind`` one of
    ``text``, ``number``, ``date``, ``money`` (``currency`` is then the path of the currency code), ``person``
    (``value`` is the path of a user, written by name)."""

    key: str
    label: Any
    value: str | Callable[[Any], Any] | None = None
    sort: str | None = None
    kind: str = "text"
    currency: str | Callable[[Any], Any] | None = None
    export: bool = True

    def read(self, row, path=None):
        path = self.value if path is None else path
        if path is None:
            path = self.key
        if callable(path):
            return path(row)
        value = row
        for part in path.split("."):
            if value is None:
                return None
            value = value.get(part) if isinstance(value, dict) else getattr(value, part)
            if callable(value) and not isinstance(value, Model):
                value = value()
        return value

    def headers(self) -> list[str]:
        if self.kind == "money":
            return [str(self.label), _("%(column)s currency") % {"column": self.label}]
        return [str(self.label)]

    def cells(self, row, typed: bool = False) -> list:
        """The row's cells for a file: ``file_value`` text and numbers (CSV), or with ``typed`` the values
        themselves (dates stay dates, amounts Decimals) for an XLSX that formats them."""
        convert = xlsx_value if typed else file_value
        if self.kind == "person":  # a user named as lists name people (``person``), never by login
            from .formatting import person

            user = self.read(row)
            return [convert(person(user) if user else "")]
        value = convert(self.read(row))
        if self.kind == "money":
            currency = self.read(row, self.currency) if self.currency else settings.REPORTING_CURRENCY
            return [value, file_value(currency)]
        return [value]


def file_value(value):
    """A value as it goes into a file: ISO dates, plain numbers, text for the rest."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (int, Decimal, float)):
        return value
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, Model):
        return str(value)
    return str(value)


# A cell whose text starts with one of these is evaluated by spreadsheets (Excel, LibreOffice, Google Sheets):
# ``=1+1``, ``+1``, ``-1+1``, ``@SUM(..)``, and a leading tab or carriage return before one of them.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A cell as it goes into a CSV or XLSX file, never evaluated as a formula (OWASP "CSV injection"):
    text starting with ``= + - @``, tab or CR gets a leading single quote, which spreadsheets show as text.
    Numbers (a negative ``Decimal`` included), dates and empty cells are returned as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def safe_row(row) -> list:
    return [safe_cell("" if v is None else v) for v in row]


class _Echo:
    def write(self, value):
        return value


def csv_stream(header: list[str], rows):
    """UTF-8 CSV with a BOM, one line at a time (a StreamingHttpResponse body)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(safe_row(header))
    for row in rows:
        yield writer.writerow(safe_row(row))


def csv_response(header, rows, filename):
    response = StreamingHttpResponse(csv_stream(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_value(value):
    """A value as an XLSX cell holds it: dates and times as dates (local, naive), numbers as numbers, yes/no and
    names as text."""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.make_naive(timezone.localtime(value))
        return value.replace(microsecond=0)
    if isinstance(value, (datetime.date, int, float, Decimal)) and not isinstance(value, bool):
        return value
    return file_value(value)


DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
AMOUNT_FORMAT = "#,##0.00"
INTEGER_FORMAT = "#,##0"
MAX_COLUMN_WIDTH = 60


def _number_format(value) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, datetime.datetime):
        return DATETIME_FORMAT
    if isinstance(value, datetime.date):
        return DATE_FORMAT
    if isinstance(value, int):
        return INTEGER_FORMAT
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        return AMOUNT_FORMAT if places <= 2 else "#,##0." + "0" * min(places, 6)
    if isinstance(value, float):
        return "#,##0.00##"
    return None


def _display_width(value) -> int:
    """Characters a cell needs: East Asian characters count twice."""
    if isinstance(value, datetime.datetime):
        return 16
    if isinstance(value, datetime.date):
        return 10
    if isinstance(value, (int, Decimal, float)) and not isinstance(value, bool):
        return len(f"{value:,}") + 1
    text = str(value or "")
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _xlsx_row(sheet, row, *, bold: bool = False) -> list:
    """The row's cells for openpyxl: text neutralised by :func:`safe_cell`, without the control characters
    XLSX cannot hold (openpyxl would raise), and typed as text (``s``) so that no text is ever a formula;
    dates and numbers as themselves with a number format (thousands separators, ISO dates)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    cells = []
    for value in row:
        if value is None:
            value = ""
        if isinstance(value, str):
            cell = WriteOnlyCell(sheet, value=safe_cell(ILLEGAL_CHARACTERS_RE.sub("", value)))
            cell.data_type = "s"
        else:
            cell = WriteOnlyCell(sheet, value=value)
            number_format = _number_format(value)
            if number_format:
                cell.number_format = number_format
        if bold:
            cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def xlsx_response(header, rows, filename, sheet_title, *, sample_rows: int = 500):
    """An XLSX workbook (write-only, so a long export streams through memory): a bold header row that stays
    frozen with an autofilter over the data, column widths from the header and the first ``sample_rows``
    rows, dates and numbers as typed cells with their formats."""
    import itertools

    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    rows = iter(rows)
    sample = list(itertools.islice(rows, sample_rows))
    widths = [_display_width(h) + 2 for h in header]
    for row in sample:
        for index, value in enumerate(row[:len(widths)]):
            widths[index] = max(widths[index], _display_width(value) + 1)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(sheet_title)[:31] or "Sheet")
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width, 6), MAX_COLUMN_WIDTH)
    sheet.freeze_panes = "A2"
    sheet.append(_xlsx_row(sheet, header, bold=True))
    count = 0
    for row in itertools.chain(sample, rows):
        sheet.append(_xlsx_row(sheet, row))
        count += 1
    if header:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count + 1}"
    stream = io.BytesIO()
    book.save(stream)
    response = HttpResponse(stream.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def query_without(request, *keys):
    query = request.GET.copy()
    for key in ("page", "export", *keys):
        query.pop(key, None)
    return query.urlencode()


class ExportMixin:
    """Export refused (403) without ``export_permission`` (default: the list's permission), capped, audited."""

    export_typed = False  # True while an XLSX is written: rows keep dates and numbers typed
    export_format: str | None = None  # set by a URL such as ``export.csv``; otherwise ``?export=``
    export_name = "list"
    export_permission: str | None = None
    export_title = gettext_lazy("Export")
    list_url_name: str | None = None

    def requested_export(self):
        fmt = self.export_format or self.request.GET.get("export")
        if fmt and fmt not in EXPORT_FORMATS:
            return "invalid"
        return fmt

    def may_export(self):
        needed = self.export_permission or self.get_permission_required()
        if isinstance(needed, str):
            needed = [needed]
        if isinstance(needed, (set, frozenset)):
            return any(self.request.user.has_perm(p) for p in needed)
        return self.request.user.has_perms(needed)

    def export_header(self) -> list[str]:
        raise NotImplementedError

    def export_rows(self):
        raise NotImplementedError

    def export_count(self) -> int:
        raise NotImplementedError

    def export_object_type(self) -> str:
        return self.export_name

    def back_to_list(self):
        if self.list_url_name:
            from django.urls import reverse

            url = reverse(self.list_url_name)
        else:
            url = self.request.path
        query = query_without(self.request)
        return redirect(f"{url}?{query}" if query else url)

    def export(self, fmt):
        if fmt == "invalid":
            messages.error(self.request, _("Files can be exported as CSV or XLSX only."))
            return self.back_to_list()
        if not self.may_export():
            raise PermissionDenied
        count = self.export_count()
        limit = export_max_rows()
        if count > limit:
            messages.error(self.request, _("%(count)s rows match: an export holds at most %(limit)s. Narrow the "
                                           "filter and export again.") % {"count": count, "limit": limit})
            return self.back_to_list()
        header = self.export_header()
        record_export(actor=self.request.user, verb=f"{self.export_name}_{fmt}",
                      object_type=self.export_object_type(),
                      object_repr=_("%(list)s export") % {"list": self.export_title},
                      after={**{k: v for k, v in self.request.GET.items() if k not in ("export", "page")},
                             "format": fmt, "rows": count})
        filename = f"{self.export_name}-{clock.today():%Y%m%d}"
        self.export_typed = fmt == "xlsx"
        if fmt == "xlsx":
            return xlsx_response(header, self.export_rows(), filename, self.export_title)
        return csv_response(header, self.export_rows(), filename)


class PortalListView(ExportMixin, PortalPermissionMixin, ListView):
    """A list page: FilterSet from the query string, ``?sort=`` from the columns' whitelist, paginated,
    exportable as CSV/XLSX with the same filter and sort."""

    paginate_by = 25
    max_page_size = 200
    paginator_class = EstimatingPaginator  # a whole big table: the planner's estimate, not a count per request
    filterset_class = None
    # A list whose selector reads the query itself declares the FilterSet that validates it (bad values named)
    params_filterset = None
    columns: list[Column] = []
    extra_sorts: dict[str, str] = {}
    default_sort = ""
    export_chunk = 2000
    # The column chooser (``creditportal.core.listsettings``): the table's columns in their order, as
    # ``(key, label)``; ``required_columns`` cannot be hidden (by default the first). Empty: no chooser.
    table_columns: list[tuple[str, Any]] = []
    required_columns: tuple[str, ...] | None = None
    saved_filters: bool | None = None  # None: the lists with a column chooser keep saved filters too

    def base_queryset(self):
        """The rows the user may see: by default the declared ``queryset`` (or ``model``'s rows)
        ``visible_to`` the user; a list read by a selector overrides this."""
        if self.queryset is None and self.model is None:
            raise NotImplementedError(f"{type(self).__name__} declares no queryset")
        return ListView.get_queryset(self).visible_to(self.request.user)

    def list_key(self) -> str:
        match = getattr(self.request, "resolver_match", None)
        if match is not None and match.view_name:
            return match.view_name[:100]
        return f"{type(self).__module__}.{type(self).__qualname__}"[-100:]

    def chooser_columns(self) -> list[tuple[str, Any]]:
        return list(self.table_columns)

    def required_column_keys(self) -> tuple[str, ...]:
        if self.required_columns is not None:
            return tuple(self.required_columns)
        columns = self.chooser_columns()
        return (columns[0][0],) if columns else ()

    def has_list_settings(self) -> bool:
        return bool(self.saved_filters if self.saved_filters is not None else self.chooser_columns())

    def dispatch(self, request, *args, **kwargs):
        """A POST carrying ``list_action`` to a list with settings saves them; any other POST is refused (405):
        a list page writes no business data."""
        if request.method == "POST" and self.has_list_settings() and request.POST.get("list_action"):
            return self.post_settings(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def post_settings(self, request, *args, **kwargs):
        """The list's own settings (saved filters, columns), then back to the list (``list_action``)."""
        from . import listsettings
        from .errors import ServiceError

        action = request.POST.get("list_action", "")
        query = listsettings.clean_query(request.POST.get("query", ""))
        key = self.list_key()
        try:
            if action == "save_filter" and self.has_list_settings():
                form = listsettings.SaveFilterForm(request.POST)
                if not form.is_valid():
                    raise ServiceError(_("Check the saved filter: %(errors)s") % {"errors": "; ".join(
                        f"{name}: {' '.join(m)}" for name, m in form.errors.items())})
                errors = self._query_errors(form.cleaned_data["query"])
                if errors:
                    from .filters import describe

                    raise ServiceError(_("Check the filter: %(errors)s") % {"errors": describe(errors)})
                setting = listsettings.save_filter(user=request.user, list_key=key, name=form.cleaned_data["name"],
                                                   query=form.cleaned_data["query"])
                messages.success(request, _("Filter “%(name)s” saved.") % {"name": setting.name})
                query = setting.value
            elif action == "delete_filter" and self.has_list_settings():
                listsettings.delete_filter(user=request.user, list_key=key, setting_id=request.POST.get("setting"))
                messages.success(request, _("Saved filter deleted."))
            elif action == "columns" and self.chooser_columns():
                listsettings.set_columns(user=request.user, list_key=key, shown=request.POST.getlist("shown"),
                                         columns=[k for k, _label in self.chooser_columns()],
                                         required=self.required_column_keys())
                messages.success(request, _("Columns saved."))
            else:
                messages.error(request, _("This list has no such setting."))
        except ServiceError as error:
            messages.error(request, str(error.message if hasattr(error, "message") else error))
        return redirect(f"{request.path}?{query}" if query else request.path)

    def _query_errors(self, query: str) -> dict:
        from django.http import QueryDict

        from .filters import clean_params

        params = QueryDict(query or "")
        errors = {}
        if self.filterset_class is not None:
            filterset = self.filterset_class(params or None, queryset=self.base_queryset().none(),
                                             **{"request": self.request, **self.filterset_kwargs()})
            if filterset.is_bound:
                errors.update({name: [str(m) for m in msgs] for name, msgs in filterset.errors.items()})
        if self.params_filterset is not None:
            errors.update(clean_params(self.params_filterset, params)[1])
        return errors

    def get_paginate_by(self, queryset):
        """``?page_size=`` within 1..max_page_size; the class default otherwise."""
        try:
            size = int(self.request.GET.get("page_size", self.paginate_by))
        except ValueError:
            size = self.paginate_by
        return max(1, min(size, self.max_page_size))

    def get_paginator(self, *args, **kwargs):
        paginator = super().get_paginator(*args, **kwargs)
        if self.request.GET.get(self.page_kwarg) == "last" and hasattr(paginator, "exact_count"):
            paginator.exact_count()  # the true last page, not the estimate's
        return paginator

    def filterset_kwargs(self):
        return {}

    def sorts(self) -> dict[str, str]:
        return {**{c.key: c.sort for c in self.columns if c.sort}, **self.extra_sorts}

    def get_queryset(self):
        qs = self.base_queryset()
        self.filterset = None
        if self.filterset_class:
            self.filterset = self.filterset_class(self.request.GET or None, queryset=qs,
                                                  **{"request": self.request, **self.filterset_kwargs()})
            qs = self.filterset.qs
        if not self.request.GET.get("sort") and self._filterset_orders():
            self.sort = ""  # the FilterSet's own OrderingFilter (``?ordering=``) has sorted the rows
            return qs
        sort = self.request.GET.get("sort") or self.default_sort
        sorts = self.sorts()
        field = sorts.get(sort.lstrip("-"))
        if not field:
            sort = self.default_sort
            field = sorts.get(sort.lstrip("-"))
        if field:
            fields = field if isinstance(field, (list, tuple)) else [field]
            desc = sort.startswith("-")
            qs = qs.order_by(*[f"-{f}" if desc else f for f in fields], "-pk" if desc else "pk")
        elif not qs.ordered:
            qs = qs.order_by("-pk")
        self.sort = sort
        return qs

    def _filterset_orders(self):
        import django_filters

        if self.filterset is None or not self.filterset.is_bound:
            return False
        return any(isinstance(f, django_filters.OrderingFilter) and self.request.GET.get(name)
                   for name, f in self.filterset.filters.items())

    def get(self, request, *args, **kwargs):
        fmt = self.requested_export()
        if fmt:
            self.object_list = self.get_queryset()
            return self.export(fmt)
        return super().get(request, *args, **kwargs)

    def export_columns(self):
        return [c for c in self.columns if c.export]

    def export_header(self):
        return [h for c in self.export_columns() for h in c.headers()]

    def export_count(self):
        return self.object_list.count()

    def export_object_type(self):
        return self.object_list.model._meta.label_lower

    def export_rows(self):
        columns = self.export_columns()
        for row in self.object_list.iterator(chunk_size=self.export_chunk):
            yield [cell for c in columns for cell in c.cells(row, typed=self.export_typed)]

    def filter_errors(self) -> dict:
        """The bad filter values of the query (each list shows them; the rows are filtered without them)."""
        from .filters import clean_params

        errors = {}
        if self.filterset is not None and self.filterset.is_bound:
            errors.update({name: [str(m) for m in msgs] for name, msgs in self.filterset.errors.items()})
        if self.params_filterset is not None:
            errors.update(clean_params(self.params_filterset, self.request.GET)[1])
        return errors

    def get_context_data(self, **kwargs):
        from .filters import report_invalid

        context = super().get_context_data(**kwargs)
        report_invalid(self.request, self.filter_errors())
        context["filter"] = self.filterset
        context["query"] = query_without(self.request)
        context["sort_query"] = query_without(self.request, "sort")
        context["sort"] = self.sort
        context["export_query"] = query_without(self.request)
        context["can_export"] = self.may_export()
        if self.filterset is not None:
            prepare_filter_form(self.filterset.form)
        context.update(self.list_tools_context())
        return context

    def list_tools_context(self) -> dict:
        """The tool menu's saved filters and columns (one query) and the table's class hiding columns."""
        from . import listsettings

        columns = self.chooser_columns()
        if not self.has_list_settings():
            return {}
        settings_ = listsettings.settings_for(self.request.user, self.list_key())
        required = self.required_column_keys()
        current = listsettings.clean_query(self.request.GET.urlencode())
        hidden = [i for i, (k, _l) in enumerate(columns, start=1) if k in settings_.hidden and k not in required]
        return {
            "list_tools": True,
            "saved_filters": [{"id": f.pk, "name": f.name, "query": f.value, "active": f.value == current}
                              for f in settings_.filters],
            "current_filter": current,
            "chooser_columns": [{"key": k, "label": label, "shown": k not in settings_.hidden or k in required,
                                 "required": k in required} for k, label in columns],
            "table_class": " ".join(f"hide-col-{i}" for i in hidden),
        }


def prepare_filter_form(form) -> None:
    """Every list's filter form as people use it: dates as date pickers (``<input type=date>``), the fields
    with an error marked (``aria-invalid``) so the page says which value was refused."""
    from django import forms as django_forms

    from .forms import DateInput

    for name, field in form.fields.items():
        if isinstance(field, django_forms.DateField) and not isinstance(field.widget, DateInput):
            attrs = dict(field.widget.attrs)
            field.widget = DateInput(attrs=attrs)
    if form.is_bound:
        for name in form.errors:
            if name in form.fields:
                widget = form.fields[name].widget
                widget.attrs = {**widget.attrs, "aria-invalid": "true",
                                "class": (widget.attrs.get("class", "") + " is-invalid").strip()}
