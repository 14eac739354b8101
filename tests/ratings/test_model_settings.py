"""A rating model's settings (DESIGN §3): behaviour window and grace, minimum completeness, minimum experts."""
import datetime as dt
from decimal import Decimal

import pytest

from creditportal.core.errors import ValidationFailed
from ratings import selectors, services
from ratings.models import RatingModel

pytestmark = pytest.mark.django_db


def test_settings_are_set_on_a_draft_copied_to_new_versions_and_snapshotted(users):
    active = RatingModel.objects.get(code="corporate", state="active")
    # the shipped model's second version: 70 % of the first version's weight is 60.20 % of its own (migration 0010)
    assert active.settings() == {"behaviour_window_months": 12, "behaviour_grace_days": 30,
                                 "min_completeness": "60.20", "min_experts": 2}
    draft = services.model_new_version(actor=users["riskadmin"], model=active)
    services.model_update(actor=users["riskadmin"], model=draft, name=draft.name, behaviour_window_months=6,
                          behaviour_grace_days=15, min_completeness=Decimal("80"), min_experts=3)
    draft.refresh_from_db()
    assert selectors.definition_of(draft)["settings"] == {"behaviour_window_months": 6, "behaviour_grace_days": 15,
                                                          "min_completeness": "80.00", "min_experts": 3}
    copy = services.model_new_version(actor=users["riskadmin"], model=draft)
    assert copy.settings() == draft.settings()
    window = selectors.behaviour_window(dt.date(2026, 6, 30), draft.settings())
    assert (window.due_after, window.due_until) == (dt.date(2025, 12, 15), dt.date(2026, 6, 15))


@pytest.mark.parametrize("field, value", [("behaviour_window_months", 0), ("behaviour_grace_days", -1),
                                          ("min_completeness", "101"), ("min_experts", 0), ("min_experts", "x")])
def test_bad_settings_are_refused(users, field, value):
    active = RatingModel.objects.get(code="corporate", state="active")
    draft = services.model_new_version(actor=users["riskadmin"], model=active)
    with pytest.raises(ValidationFailed):
        services.model_update(actor=users["riskadmin"], model=draft, name=draft.name, **{field: value})
    draft.refresh_from_db()
    assert draft.settings() == active.settings()


def test_the_policy_no_longer_holds_the_window(users):
    with pytest.raises(ValidationFailed):
        services.policy_update(actor=users["riskadmin"], behaviour_window_months=6)
