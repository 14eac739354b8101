"""The paginators of the lists, pages and API alike.

``EstimatingPaginator`` (every list page, the big API lists): the count of a whole big table is the planner's
estimate instead of a count of every row on each request (a million customers, ten million invoices); a filtered
list, or one restricted to the user's customers, counts exactly. ``PageFirstPaginator`` (its base) serves row
sources that count while they read a page:

Django's ``Paginator.page`` asks ``count()`` before it slices, so a hand-shaped list (the aging page's
``AgingRows``: each read scans the open invoices and groups them by customer) would run its statement twice,
once to count and once for the page. A source with ``prefetch_page(offset, limit)`` reads the page with its
row count in one statement (``COUNT(*) OVER ()``); the count and the slice that follow are then answered from
it. Any other object list is paginated as Django does.
"""
from __future__ import annotations

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.utils.functional import cached_property

from .estimates import unfiltered_table_estimate


MAX_OFFSET = 10**12  # far beyond any list, far within a bigint


class PageFirstPaginator(Paginator):
    def page(self, number):
        prefetch = getattr(self.object_list, "prefetch_page", None)
        if prefetch is not None and "count" not in self.__dict__:
            try:
                wanted = int(number)
            except (TypeError, ValueError):
                wanted = None  # "last" or junk: Django's own validation (count first)
            # a page number no list reaches (?page=99999999999999999999999) is left to Django's validation
            # (counted first, then the last page): its offset would not fit the database's bigint
            if wanted is not None and 1 <= wanted and (wanted - 1) * self.per_page < MAX_OFFSET:
                prefetch((wanted - 1) * self.per_page, self.per_page + self.orphans)
        return super().page(number)


ESTIMATE_COUNT_ABOVE = 50_000


class _KnownNextPage(Page):
    """A page whose successor is known from one extra row fetched with it (the count is an estimate)."""

    def __init__(self, object_list, number, paginator, has_next):
        super().__init__(object_list, number, paginator)
        self._has_next = has_next

    def has_next(self):
        return self._has_next


class EstimatingPaginator(PageFirstPaginator):
    """``count`` is exact unless the list is a whole table of at least ``ESTIMATE_COUNT_ABOVE`` rows; then
    it is the planner's estimate (``count_exact`` False) and each page fetches one row more than it shows
    to know whether a next page exists, so "next" is always right; ``exact_count()`` counts (the last page)."""

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
        self.__dict__["count"] = (len(self.object_list) if isinstance(self.object_list, (list, tuple))
                                  else self.object_list.count())
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
