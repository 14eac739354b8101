"""A paginator for row sources that count while they read a page.

Django's ``Paginator.page`` asks ``count()`` before it slices, so a hand-shaped list (the aging page's
``AgingRows``: each read scans the open invoices and groups them by customer) would run its statement twice,
once to count and once for the page. A source with ``prefetch_page(offset, limit)`` reads the page with its
row count in one statement (``COUNT(*) OVER ()``); the count and the slice that follow are then answered from
it. Any other object list is paginated as Django does.
"""
from __future__ import annotations

from django.core.paginator import Paginator


class PageFirstPaginator(Paginator):
    def page(self, number):
        prefetch = getattr(self.object_list, "prefetch_page", None)
        if prefetch is not None and "count" not in self.__dict__:
            try:
                wanted = int(number)
            except (TypeError, ValueError):
                wanted = None  # "last" or junk: Django's own validation (count first)
            if wanted is not None and wanted >= 1:
                prefetch((wanted - 1) * self.per_page, self.per_page + self.orphans)
        return super().page(number)
