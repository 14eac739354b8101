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
