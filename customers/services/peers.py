"""The peers' quartiles: each ratio's first quartile, median and third quartile among the customers of one industry
section and size (each customer's latest statement, ``selectors.latest_ratios_for``), stored per night."""
from __future__ import annotations

from collections import defaultdict

from django.db import connection, transaction

from audit.models import AuditEvent
from audit.services import audit_record
from creditportal.core import access, clock

from .. import rules
from .. import selectors
from ..models import Customer, PeerStatistic

# fewer customers than this in a group: no statistics (a quartile of two companies tells nothing)
MIN_PEERS = 3


def _samples() -> list[tuple[str, str, str, object]]:
    """(section, size, ratio, value) of every customer's latest ratios, set-wise in chunks."""
    customers = dict((pk, (section, size)) for pk, section, size in
                     Customer.objects.filter(statements__isnull=False).distinct()
                     .values_list("pk", "industry_section", "size"))
    samples = []
    for customer_id, latest in selectors.latest_ratios_for(list(customers)).items():
        section, size = customers[customer_id]
        for key, value in latest["ratios"].items():
            if value is not None:
                samples.append((section, size, key, value))
    return samples


def _quartiles_sql(samples) -> dict:
    """PostgreSQL: one ``percentile_cont`` over the samples passed as arrays (set-wise)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s, z, k, count(*), "
            "percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY v) "
            "FROM unnest(%s::text[], %s::text[], %s::text[], %s::numeric[]) AS t(s, z, k, v) GROUP BY s, z, k",
            [[s[0] for s in samples], [s[1] for s in samples], [s[2] for s in samples], [s[3] for s in samples]])
        return {(s, z, k): (n, [rules._round(rules._num(x), rules._RATIO_EXP) for x in q])
                for s, z, k, n, q in cursor.fetchall()}


def _quartiles_python(samples) -> dict:
    grouped = defaultdict(list)
    for section, size, key, value in samples:
        grouped[(section, size, key)].append(value)
    return {group: (len(values), list(rules.quartiles(values))) for group, values in grouped.items()}


def compute_peer_quartiles(samples) -> dict:
    """``{(section, size, ratio): (count, [p25, median, p75])}``: PostgreSQL's ``percentile_cont``, elsewhere the
    same interpolation in Python (``rules.quartiles``)."""
    if not samples:
        return {}
    if connection.vendor == "postgresql":
        return _quartiles_sql(samples)
    return _quartiles_python(samples)


@transaction.atomic
def peer_statistics_refresh(*, actor) -> int:
    """Replace the stored peer statistics (the nightly job runs it as the system user); the number of rows."""
    access.require(actor, "customers.add_peerstatistic")
    today = clock.today()
    result = compute_peer_quartiles(_samples())
    rows = [PeerStatistic(industry_section=section, size=size, ratio=key, count=count, p25=q[0], median=q[1],
                          p75=q[2], computed_on=today)
            for (section, size, key), (count, q) in sorted(result.items()) if count >= MIN_PEERS]
    PeerStatistic.objects.all().delete()
    PeerStatistic.objects.bulk_create(rows)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, verb="peer_statistics_refresh",
                 object_type="customers.peerstatistic", object_id="", object_repr=today.isoformat(),
                 after={"rows": len(rows), "computed_on": today.isoformat()})
    return len(rows)
