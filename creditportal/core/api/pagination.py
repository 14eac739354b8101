"""Pagination: pages of 20; the big lists count exactly when filtered, by the planner's estimate when
the whole table is listed."""
from rest_framework.pagination import PageNumberPagination

from .. import pagination as core_pagination
from ..pagination import EstimatingPaginator


class StandardPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 500


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
            f"{core_pagination.ESTIMATE_COUNT_ABOVE:,} rows it is PostgreSQL's estimate (pg_class.reltuples) and "
            "count_exact is false.")
        schema["properties"]["count_exact"] = {
            "type": "boolean", "example": True,
            "description": "False when count is an estimate (see count). next and previous are always exact; "
                           "page=last counts exactly."}
        schema["required"] = [*schema.get("required", []), "count_exact"]
        return schema
