"""The watchlist: the entries a user may see, current ones unless asked for all."""
from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q

from creditportal.core import clock
from creditportal.core.filters import clean_params

from ..models import WatchlistEntry


def watchlist_entries(user, params=None):
    """The watchlist entries ``user`` may see: current ones, or all with ``all=1`` (``WatchlistFilterSet``).
    Each carries ``may_end``: the entry runs past today, so it can be taken off now."""
    from ..filtersets import WatchlistFilterSet

    params, _errors = clean_params(WatchlistFilterSet, params)
    today = clock.today()
    queryset = (WatchlistEntry.objects.visible_to(user).select_related("customer", "owner", "alert")
                .annotate(may_end=ExpressionWrapper(Q(until__isnull=True) | Q(until__gt=today),
                                                    output_field=BooleanField())))
    if params.get("all") != "1":
        queryset = queryset.current(today)
    return queryset
