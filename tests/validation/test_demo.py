import pytest

from validation import demo
from validation.models import Simulation, ValidationRun

pytestmark = pytest.mark.django_db


def test_demo_data_is_idempotent(users, today, make_customer):
    make_customer()
    demo.load({"users": users, "today": today})
    demo.load({"users": users, "today": today})
    assert ValidationRun.objects.get().status == "finished"
    sim = Simulation.objects.get()
    assert sim.status == "finished" and sim.rating_model.state == "draft"
