"""A delegation's period lies in the plausible range of business dates (0001-01-01 or 9999-12-31: refused)."""
import datetime as dt

import pytest

from credit import services
from credit.models import Delegation
from creditportal.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("start,end", [(dt.date(1, 1, 1), dt.date(2026, 6, 20)),
                                       (dt.date(2026, 6, 10), dt.date(9999, 12, 31))])
def test_delegation_period_out_of_range_refused(setup, start, end):
    u = setup.users
    with pytest.raises(ValidationFailed) as refused:
        services.delegation_create(actor=u["approver3"], delegator=u["approver3"], delegate=u["approver1"],
                                   start_date=start, end_date=end, reason="Annual leave")
    assert set(refused.value.field_errors) & {"start_date", "end_date"}
    assert not Delegation.objects.exists()


def test_delegation_over_the_api_names_the_field(setup, api_for):
    u = setup.users
    answer = api_for(u["approver3"]).post("/api/v1/delegations/", {
        "delegator": "approver3", "delegate": "approver1", "start_date": "2026-06-10", "end_date": "9999-12-31",
        "reason": "Annual leave"}, format="json")
    assert answer.status_code == 400 and "end_date" in answer.json()["errors"], answer.content
