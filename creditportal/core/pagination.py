"""A paginator for row sources that count while they read a page.

Django's ``Paginator.page`` asks ``count()`` before it slices, so a hand-shaped list (the aging page's
``AgingRows``: each read scans the open invoices and groups them by customer) would run its statement twice,
once to count and once for the page. A source with ``prefetch_page(offset, limit)`` reads the page with its
row count in one statement (``COUNT(*) OVER ()``); the count and the slice that follow are then answered from
it. Any other object list is paginated as Django does.
"""
from __future__ import annotations

from django.core.paginator import Paginator


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
