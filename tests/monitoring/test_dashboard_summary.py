"""The dashboard read from collection's aging summary equals the dashboard computed from the open invoices
(exposure by grade and industry, both HHIs, the top customers and groups, the aging totals), for the whole
portfolio and a relationship manager's; its queries do not grow with the portfolio."""
import pytest

from collection import services
from monitoring import selectors
from tests.monitoring.test_dashboard_sets import END, START, portfolio  # noqa: F401 - the shared portfolio

pytestmark = [pytest.mark.django_db]


def _both(user):
    services.aging_summary_refresh()
    from collection.selectors import aging_summary

    assert aging_summary(user=user) is not None
    stored = selectors.dashboard(user, start=START, end=END)
    services.aging_summary_invalidate()
    live = selectors.dashboard(user, start=START, end=END)
    return stored, live


@pytest.mark.parametrize("role", ["riskadmin", "rm2"])
def test_dashboard_from_the_summary_equals_live(users, portfolio, role):  # noqa: F811
    stored, live = _both(users[role])
    assert stored["aging"] == live["aging"]
    assert stored == live
    assert any(row["amount"] for row in stored["aging"])


@pytest.mark.postgres  # the ORM path (other databases) is several statements
def test_query_count_from_the_summary_is_constant(users, build, portfolio, django_assert_max_num_queries):  # noqa: F811
    services.aging_summary_refresh()
    with django_assert_max_num_queries(14) as small:
        selectors.dashboard(users["riskadmin"])
    for i in range(20):
        customer = build.customer()
        build.invoice(customer, "100.00", days_past_due=i * 20)
    services.aging_summary_refresh()
    with django_assert_max_num_queries(len(small.captured_queries)):
        selectors.dashboard(users["riskadmin"])
