"""Smoke test of the ECL benchmark (``bench/benchmarks/ecl.py``): the generator at a tiny size, the snapshots,
one run and the hand-written roll rates agree. No timing is asserted. PostgreSQL only (COPY, window SQL)."""
import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_ecl_benchmark_path_agrees_with_the_hand_written_sql():
    from bench.benchmarks import ecl
    from bench.core import Context
    from demo import generator
    from ratings.models import RatingModel, RatingModelState
    from tests.conftest import replay_data_migrations

    if not RatingModel.objects.filter(state=RatingModelState.ACTIVE).exists():  # a transactional test flushed it
        replay_data_migrations()
    generator.generate(generator.Plan(customers=40, invoices_per_customer=6, seed=11, log=lambda *_: None))
    lines = []
    result = ecl.run(Context(size="smoke", smoke=True, log=lines.append))
    assert result["same_rates"] is True
    assert "look-back" in lines[0] and not lines[1].startswith("  allowance 0.00;")


def test_the_set_wise_history_loader_stores_what_snapshot_take_stores(published, users, build):
    """``bench/ecl_history.py`` inserts the lines by SQL: the same lines, totals and SHA-256 as ``snapshot_take``
    (a month with receivables); a month before the first invoice is a replay of the same month a year later."""
    import datetime as dt

    from bench.ecl_history import ensure_snapshots
    from provisions import services
    from provisions.models import AgingSnapshot, AgingSnapshotLine

    customer = build.customer()
    build.invoice(customer, "300.00", issued=dt.date(2026, 1, 10), due=dt.date(2026, 2, 10), currency="USD")
    fields = ["customer_id", "industry_section", "letter", "tier", "current", "d1_30", "d91_120", "gross",
              "written_off", "new_loss", "recovered"]
    taken = AgingSnapshot.objects.get(period=published)
    expected = (taken.sha256, taken.total_gross, taken.customer_count, taken.totals,
                list(taken.lines.order_by("customer_id").values_list(*fields)))
    AgingSnapshotLine.objects.filter(snapshot=taken).delete()
    AgingSnapshot.objects.filter(pk=taken.pk).delete()
    result = ensure_snapshots(users["riskadmin"], months=1, until=published, log=lambda *_: None)
    loaded = AgingSnapshot.objects.get(period=published)
    assert result["loaded"] == 1 and services.snapshot_verify(loaded)
    assert (loaded.sha256, loaded.total_gross, loaded.customer_count, loaded.totals,
            list(loaded.lines.order_by("customer_id").values_list(*fields))) == expected
    # before the first invoice (2025-01-11 in ``published``): a replay, chained to the snapshots after it
    result = ensure_snapshots(users["riskadmin"], months=20, until=published, log=lambda *_: None)
    oldest = AgingSnapshot.objects.order_by("period").first()
    assert result["replayed"] >= 1 and oldest.totals["replay_of"] and services.snapshot_verify(oldest)
    assert len(selectors_consecutive(published)) == 20


def selectors_consecutive(period):
    from provisions import selectors

    return selectors.consecutive_snapshots(period)
