"""Shared test factories: plain functions (and one small class) that write the rows the tests of several apps
need, so a model change is followed in one place.

They write straight into the tables (each app's services are tested in its own package), except
``domestic_customer``, which goes through ``customers.services.customer_create`` (credit code, audit trail) as
the customers tests need. The packages keep their fixture names (``make_customer`` in
``tests/<app>/conftest.py``) as thin wrappers that set their own defaults, so the test files need no edit:

    make = CustomerFactory(users["rm"], registration="REG{n}", name_en="Customer {n}")
    make()                                   # 客户1, REG1, Customer 1
    make("华东机械有限公司", rm=users["rm2"], group=group)

``{n}`` in a default counts that factory's customers from 1 (one factory per test: numbers start again).
"""
import datetime as dt
import itertools
from decimal import Decimal as D

def sequence():
    """Numbers from 1 for one fixture's rows: ``numbers = sequence()``, then ``next(numbers)``."""
    return itertools.count(1)


# --- customers ---------------------------------------------------------------------------------------------


def customer(*, name, registration_number, relationship_manager, **fields):
    """A foreign customer (registration number, no credit code) written straight into the table: industry C,
    size medium, active unless ``fields`` say otherwise."""
    from customers.models import Customer

    data = {"is_foreign": True, "industry_section": "C", "size": "medium", "status": "active", **fields}
    return Customer.objects.create(name=name, registration_number=registration_number,
                                   relationship_manager=relationship_manager, **data)


class CustomerFactory:
    """``CustomerFactory(rm, registration="R{n}", name="客户{n}", **defaults)``; calling it,
    ``make(name=None, *, rm=None, **fields)``, saves a foreign customer (registration number, no credit code):
    industry C, size medium, active, managed by ``rm``. Defaults may hold ``{n}``; ``fields`` win over them."""

    def __init__(self, rm, *, registration="R{n}", name="客户{n}", **defaults):
        self.rm = rm
        self.registration = registration
        self.name = name
        self.defaults = defaults
        self.count = 0

    def __call__(self, name=None, *, rm=None, **fields):
        self.count += 1
        n = self.count
        data = {"name": self.name.format(n=n), "registration_number": self.registration.format(n=n),
                "relationship_manager": self.rm}
        data.update({key: value.format(n=n) if isinstance(value, str) else value
                     for key, value in self.defaults.items()})
        data.update(fields)
        if name is not None:
            data["name"] = name
        if rm is not None:
            data["relationship_manager"] = rm
        return customer(**data)


_credit_codes = itertools.count(1)


def next_credit_code():
    """A valid unified social credit code, a new one on every call (``913100000000000001…``)."""
    from customers.validators import complete_credit_code

    return complete_credit_code(f"91310000{next(_credit_codes):09d}")


def domestic_customer(actor, **fields):
    """A domestic customer (credit code) through ``customers.services.customer_create`` as ``actor``."""
    from customers import services

    code = next_credit_code()
    data = dict(name=f"测试客户{code[8:17].lstrip('0')}有限公司", credit_code=code, industry_section="C",
                industry_division="30", size="medium", legal_form="limited_liability", status="active")
    data.update(fields)
    return services.customer_create(actor=actor, **data)


def statement(customer, *, period_end, created_by, **values):
    """A financial statement written straight into the table (``values``: the statement's amounts, flags)."""
    from customers.models import FinancialStatement

    return FinancialStatement.objects.create(customer=customer, period_end=period_end, created_by=created_by,
                                             **values)


# --- receivables and credit ----------------------------------------------------------------------------------


def invoice(customer, amount, *, number, due, issued=None, created_by, currency="CNY", **fields):
    """An invoice written straight into the table (issued 30 days before it is due unless ``issued``)."""
    from collection.models import Invoice

    return Invoice.objects.create(number=number, customer=customer, issue_date=issued or due - dt.timedelta(days=30),
                                  due_date=due, amount=D(str(amount)), currency=currency, created_by=created_by,
                                  **fields)


def facility(customer, limit, *, start, expiry, currency="CNY", **fields):
    """A credit facility written straight into the table (no application unless given)."""
    from credit.models import Facility

    return Facility.objects.create(customer=customer, limit=D(str(limit)), currency=currency, start_date=start,
                                   expiry_date=expiry, **fields)


# --- ratings ---------------------------------------------------------------------------------------------------


def rating_model(created_by):
    """The first rating model (the shipped one), or a stand-in when a transactional test flushed it."""
    from ratings.models import RatingModel, RatingScale

    model = RatingModel.objects.order_by("pk").first()
    if model is None:
        scale, _created = RatingScale.objects.get_or_create(code="test-master",
                                                            defaults={"name": "test", "is_master": True})
        model = RatingModel.objects.create(code="test", name="test", scale=scale, created_by=created_by)
    return model


def stored_rating(customer, *, model, grade, letter, pd, score, created_by, state="approved", result=None,
                  **fields):
    """A rating written straight into the table (no workflow, no engine): what readers of ratings see."""
    from ratings.models import Rating

    return Rating.objects.create(
        customer=customer, model=model, state=state, model_definition={}, inputs={}, inputs_sha256="x" * 64,
        quantitative_sha256="y" * 64, result=result if result is not None else {}, score=D(str(score)),
        model_grade=grade, grade=grade, letter=letter, pd=D(str(pd)), created_by=created_by, **fields)
