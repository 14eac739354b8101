"""The ECL backtest in validation: last year's rates against what actually rolled to loss."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from tests.provisions.conftest import Builder

pytestmark = pytest.mark.django_db


def test_backtest_compares_the_rates_used_with_what_rolled_to_loss(users, client_for):
    from creditportal.core import clock
    from provisions import selectors, services
    from validation.ecl_backtest import ecl_backtest, eligible_runs

    clock.set_today(dt.date(2026, 6, 15))
    build = Builder(users)
    m0 = dt.date(2025, 5, 31)
    build.invoice(build.customer(), "1000.00", issued=dt.date(2025, 4, 1), due=dt.date(2025, 5, 26))   # never paid
    build.invoice(build.customer(), "500.00", issued=dt.date(2025, 4, 1), due=dt.date(2025, 6, 20))    # current
    for period in selectors.month_ends_back(dt.date(2026, 5, 31), 14):
        services.snapshot_take(actor=users["riskadmin"], period=period)
    run = services.ecl_run_propose(actor=users["riskadmin"], period=m0, lookback=1,
                                   override={"current": "0.01", "d1_30": "0.05"}, override_reason="test")
    assert eligible_runs(users["auditor"]) == []          # not approved yet
    services.ecl_run_approve(actor=users["approver1"], run=run)
    assert [r.pk for r in eligible_runs(users["auditor"])] == [run.pk]
    result = ecl_backtest(run)
    # allowance 500 × 1% + 1,000 × 5% = 55; the 1,000 passed 360 days in May 2026: realised loss 1,000
    assert result["allowance"] == D("55.00") and result["realised_loss"] == D("1000.00")
    rows = {row["bucket"]: row for row in result["rows"]}
    assert rows["d1_30"]["predicted"] == D("0.05")
    page = client_for(users["auditor"]).get(reverse("validation:ecl_backtest"), {"run": run.pk})
    assert page.status_code == 200 and "1,000.00" in page.content.decode()
    assert client_for(users["rm"]).get(reverse("validation:ecl_backtest")).status_code == 403
