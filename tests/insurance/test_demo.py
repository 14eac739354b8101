"""The insurance demo: a Sinosure policy in force, caps, buyer limits (one expired); twice is harmless."""
import datetime as dt

import pytest

from insurance import demo, selectors
from insurance.models import BuyerLimit, InsurancePolicy, InsurerNotification, UninsuredCap
from tests.factories import invoice

pytestmark = pytest.mark.django_db


def test_demo_loads_twice(users, make_customer, today):
    customers = {k: make_customer(k) for k in ("huadong_parent", "jinghua_tech", "lingnan_food", "pacific_parts")}
    invoice(customers["jinghua_tech"], "38000", number="DEMO-T-02", due=today - dt.timedelta(days=45),
            created_by=users["rm"])
    context = {"users": users, "customers": customers}
    demo.load(context)
    demo.load(dict(context))
    assert InsurancePolicy.objects.get().insurer.startswith("中国出口信用保险公司")
    assert UninsuredCap.objects.get(grade="D").max_uninsured == 0
    states = dict(BuyerLimit.objects.values_list("customer__name", "state"))
    assert states == {"huadong_parent": "granted", "jinghua_tech": "reduced", "lingnan_food": "expired",
                      "pacific_parts": "requested"}
    assert InsurerNotification.objects.filter(customer=customers["jinghua_tech"]).count() == 1
    expired = selectors.coverage_by_customer([customers["lingnan_food"].pk])[customers["lingnan_food"].pk]
    assert expired.insured == 0


def test_the_nightly_task_expires_ended_buyer_limits(insured, today):
    from config.celery import app
    from insurance.tasks import expire_buyer_limits

    BuyerLimit.objects.filter(customer=insured).update(valid_to=today - dt.timedelta(days=1))
    assert expire_buyer_limits() == 1 and expire_buyer_limits() == 0
    assert BuyerLimit.objects.get(customer=insured).state == "expired"
    assert app.conf.beat_schedule["insurance-expire-buyer-limits"]["task"] == "insurance.expire_buyer_limits"
