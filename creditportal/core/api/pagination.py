"""Pagination: pages of 20; the big lists count exactly when filtered, by the planner's estimate when
the whole table is listed."""
from django.core.paginator import EmptyPage, Page, PageNotAnInteger
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination

from .estimates import unfiltered_table_estimate
from .rowlists import StatementRows


class StandardPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 500


ESTIMATE_COUNT_ABOVE = 50_000


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
