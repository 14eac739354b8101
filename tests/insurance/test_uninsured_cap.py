"""The credit policy's cap on the uninsured exposure by grade: exceeding it makes an application a policy
exception through credit's one exception route (a soft violation → the top level of the matrix)."""
import datetime as dt
from decimal import Decimal as D

import pytest

from creditportal.core.errors import ValidationFailed
from insurance import services as insurance
from insurance.models import BuyerLimit, InsurancePolicy
from tests.config import configured
from tests.credit.conftest import (  # noqa: F401 - credit's fixtures
    customer, fx, make_customer, matrix, new_application, policy, ratings_stub, setup, to_pending)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cover(setup):
    sinosure = InsurancePolicy.objects.create(
        insurer="中国出口信用保险公司", policy_number="SIN-CAP", insured_share=D("90"), max_credit_days=180,
        notification_days=60, claim_days=120, valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 12, 31))
    BuyerLimit.objects.create(policy=sinosure, customer=setup.customer, amount=D("600000"), currency="CNY",
                              valid_from=dt.date(2026, 1, 1), state="granted", created_by=setup.users["analyst"])
    return sinosure


def _cap(users, amount):
    configured(insurance.uninsured_caps_propose(actor=users["riskadmin"], caps={"A": amount}))


def test_uninsured_exposure_above_the_grade_cap_is_a_policy_exception(setup, cover, new_application):
    # 1,000,000 applied for, no other exposure: insured min(1,000,000, 600,000) × 90% = 540,000; uninsured 460,000
    _cap(setup.users, "400000")
    from credit import services

    app = new_application(amount="1000000")
    with pytest.raises(ValidationFailed, match="uninsured exposure"):
        services.application_submit(actor=setup.users["rm"], application=app)
    app = services.application_submit(actor=setup.users["rm"], application=app,
                                      exception_reason="Sinosure raises the buyer limit next month")
    assert app.policy_exception
    codes = [v["code"] for v in app.policy_result["violations"]]
    assert codes == ["max_uninsured"]
    (violation,) = app.policy_result["violations"]
    assert (violation["severity"], violation["limit"], violation["actual"]) == ("soft", "400000.00", "460000.00")
    assert app.required_levels == 3  # the exception route: the top level
    facts = {f["label"]: f["value"] for f in app.policy_result["facts"]}
    assert facts["Insured part after approval"] == "CNY 540,000.00"
    assert facts["Uninsured part after approval"].startswith("CNY 460,000.00")


def test_uninsured_exposure_equal_to_the_cap_is_within_the_policy(setup, cover, new_application):
    _cap(setup.users, "460000")
    from credit import services

    app = services.application_submit(actor=setup.users["rm"], application=new_application(amount="1000000"))
    assert not app.policy_exception and app.policy_result["violations"] == []


def test_without_a_cap_nothing_changes_but_the_split_is_shown(setup, cover, new_application, client_for):
    from credit import services

    app = services.application_submit(actor=setup.users["rm"], application=new_application(amount="1000000"))
    assert not app.policy_exception
    page = client_for(setup.users["analyst"]).get(f"/credit/applications/{app.pk}/")
    assert page.status_code == 200
    assert "CNY 540,000.00" in page.content.decode()
