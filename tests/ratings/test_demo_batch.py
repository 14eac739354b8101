"""The demo portfolio re-rated by the nightly batch (issue 19): plausible proposals, no mass D, and a D that
comes from real non-payment."""
import datetime as dt
import io

import pytest
from django.core.management import call_command

from accounts.system import system_user
from collection.models import Invoice
from creditportal.core import clock
from customers.models import Customer
from ratings import services
from ratings.models import Rating, RatingState

pytestmark = pytest.mark.django_db


def test_the_nightly_batch_on_the_demo_proposes_plausible_changes(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    call_command("load_demo", "--small", stdout=io.StringIO())
    batch = services.batch_start(actor=system_user(), in_worker=False)
    services.batch_run(batch_id=batch.pk)
    proposals = {r.customer.name_en or r.customer.name: r
                 for r in Rating.objects.filter(batch=batch).select_related("customer")}
    behaviour = {name: (r.inputs["behaviour"]["letters"], r.inputs["behaviour"]["result"])
                 for name, r in proposals.items()}
    d_grades = [r for r in proposals.values() if r.letter == "D"]
    rated = Rating.objects.filter(state=RatingState.APPROVED).count()
    assert proposals, "the invoices loaded after the ratings change the behaviour inputs"
    assert len(d_grades) <= 2 < rated, behaviour  # no mass D
    today = clock.today()
    for rating in d_grades:
        # each D is a real non-payment: an invoice of the customer open more than 60 days past due in its window
        assert rating.inputs["behaviour"]["net_collection"] == "D", behaviour
        assert Invoice.objects.filter(customer=rating.customer, status="open", paid_amount=0,
                                      due_date__lt=today - dt.timedelta(days=60)).exists()
    good = Customer.objects.get(name_en__startswith="Beijing Jinghua")
    jinghua = Rating.objects.filter(customer=good).order_by("-id").first()
    assert jinghua.inputs["behaviour"]["result"] in ("A", "B")  # one invoice in collection is not a veto
    assert any(r.customer.name_en.startswith(("Guangzhou Lingnan", "Northwest New Energy")) for r in d_grades)
