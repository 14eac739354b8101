"""The aging page and its CSV/XLSX files."""
from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from creditportal.core import clock
from creditportal.core.money import RateTable
from creditportal.core.pagination import PageFirstPaginator

from .. import selectors
from ..filtersets import AgingFilterSet, aging_filtered
from ._common import BUCKET_LABELS, SortedFilteredListView


class AgingView(SortedFilteredListView):
    """Aging per customer (``selectors.AgingRows``: one row each, read by page) and the portfolio's totals,
    filtered by ``AgingFilterSet`` and sorted by ``?sort=`` (a key of ``selectors.SORTS``). ``export.csv`` /
    ``export.xlsx`` (or ``?export=``) give the rows and the portfolio line through the shared export
    machinery (cap, audit, refusal)."""

    permission_required = "collection.view_invoice"
    template_name = "collection/aging.html"
    filterset_class = AgingFilterSet
    default_sort = "-total"
    export_name = "aging"
    export_title = gettext_lazy("Aging")
    list_url_name = "collection:aging"
    paginator_class = PageFirstPaginator  # the page and its row count in one statement

    def base_queryset(self):
        return selectors.aging_queryset(user=self.request.user, as_of=self.as_of)

    def get_queryset(self):
        self.as_of = clock.today()
        self.table = RateTable(self.as_of)
        # the per-customer summary while it is valid for today, else the open invoices (``self.summary`` None)
        self.filterset, self.invoices, self.summary = aging_filtered(self.request.GET, user=self.request.user,
                                                                     as_of=self.as_of, table=self.table)
        self.sort = self.request.GET.get("sort", self.default_sort)
        rows, self.missing, self.finish = selectors.aging_by_customer(self.invoices, as_of=self.as_of, sort=self.sort,
                                                                      summary=self.summary, table=self.table)
        return rows

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update({
            "form": self.filterset.form, "rows": [self.finish(r) for r in context["page_obj"].object_list],
            "portfolio": selectors.aging_portfolio(self.invoices, as_of=self.as_of, rows=self.object_list,
                                                   summary=self.summary, table=self.table),
            "missing": self.missing,
            "as_of": self.as_of, "buckets": list(BUCKET_LABELS.items()),
        })
        return context

    def export_object_type(self):
        return "collection.invoice"

    def export_header(self):
        currency = settings.REPORTING_CURRENCY
        return [_("Customer"), _("Manager"), _("Industry"),
                *[f"{label} ({currency})" for label in BUCKET_LABELS.values()], _("Total") + f" ({currency})",
                _("Overdue") + f" ({currency})", _("DSO"), _("Max days past due")]

    def export_rows(self):
        for raw in self.object_list.iterator(chunk_size=self.export_chunk):
            r = self.finish(raw)
            yield [r["customer__name"], r["customer__relationship_manager__username"],
                   r["customer__industry_section"], *self._figures(r)]
        yield [_("Portfolio"), "", "", *self._figures(selectors.aging_portfolio(
            self.invoices, as_of=self.as_of, summary=self.summary, table=self.table))]

    @staticmethod
    def _figures(r):
        return [*[r[k] for k in BUCKET_LABELS], r["total"], r["overdue"], r["dso"] if r["dso"] is not None else "",
                r["max_days_past_due"]]
