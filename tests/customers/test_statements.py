"""Statement entry: every refusal says why and saves nothing; saves publish an event."""
import datetime as dt
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from creditportal.core import clock, events
from creditportal.core.errors import Conflict, ValidationFailed
from customers import services
from customers.models import FinancialStatement

from .conftest import statement_data


@pytest.fixture
def customer(make_customer):
    return make_customer()


def _refused(customer, field, **overrides):
    with pytest.raises(ValidationFailed) as info:
        services.statement_create(actor=customer.relationship_manager, customer=customer, **statement_data(**overrides))
    assert not FinancialStatement.objects.filter(customer=customer).exists()
    assert field in info.value.field_errors, info.value.field_errors
    return info.value


def test_balanced_statement_is_saved_audited_and_published(customer, django_capture_on_commit_callbacks):
    received = []
    events.subscribe("customers.statement_saved", lambda **kw: received.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        statement = services.statement_create(actor=customer.relationship_manager, customer=customer,
                                              **statement_data())
    assert received[-1] == {"statement_id": statement.pk, "customer_id": customer.pk}
    assert AuditEvent.objects.filter(object_type="customers.financialstatement", object_id=str(statement.pk),
                                     action="create").exists()


def test_unbalanced_balance_sheet_is_refused(customer):
    error = _refused(customer, "total_assets", equity=Decimal("450"))
    assert "balance" in error.message


def test_small_rounding_difference_is_tolerated(customer):
    services.statement_create(actor=customer.relationship_manager, customer=customer,
                              **statement_data(equity=Decimal("500.60")))
    assert FinancialStatement.objects.filter(customer=customer).count() == 1


@pytest.mark.parametrize("field", ["total_assets", "total_liabilities", "current_assets", "revenue", "cash",
                                   "current_liabilities", "inventory", "receivables"])
def test_negative_totals_are_refused(customer, field):
    overrides = {field: Decimal("-1")}
    if field in ("total_assets", "total_liabilities"):
        overrides = {"total_assets": Decimal("-100"), "total_liabilities": Decimal("-600"), "equity": Decimal("500")}
    error = _refused(customer, field, **overrides)
    assert "negative" in " ".join(error.field_errors[field])


def test_negative_equity_is_allowed(customer):
    services.statement_create(actor=customer.relationship_manager, customer=customer,
                              **statement_data(total_liabilities=Decimal("1100"), current_liabilities=Decimal("300"),
                                               equity=Decimal("-100"), net_profit=Decimal("-50")))
    assert FinancialStatement.objects.filter(customer=customer).count() == 1


def test_current_assets_above_total_assets_is_refused(customer):
    error = _refused(customer, "current_assets", current_assets=Decimal("1200"))
    assert "exceed" in " ".join(error.field_errors["current_assets"])


def test_current_liabilities_above_total_is_refused(customer):
    _refused(customer, "current_liabilities", current_liabilities=Decimal("600"))


def test_missing_totals_are_refused(customer):
    _refused(customer, "equity", equity=None)


def test_future_period_is_refused(customer):
    clock.set_today(dt.date(2024, 6, 30))
    _refused(customer, "period_end", year=2024)


def test_bad_unit_and_currency_are_refused(customer):
    _refused(customer, "unit", unit=100)
    _refused(customer, "currency", currency="XXX")


def test_duplicate_period_is_refused_with_a_clear_message(customer, make_statement):
    make_statement(customer)
    with pytest.raises(ValidationFailed) as info:
        services.statement_create(actor=customer.relationship_manager, customer=customer,
                                  **statement_data(cash=Decimal("1")))
    assert "already exists" in info.value.message
    assert FinancialStatement.objects.filter(customer=customer).count() == 1
    # Another kind of statement for the same date is a different period.
    make_statement(customer, consolidated=True)
    assert FinancialStatement.objects.filter(customer=customer).count() == 2


def test_update_validates_and_keeps_old_values_on_refusal(customer, make_statement):
    statement = make_statement(customer)
    with pytest.raises(ValidationFailed):
        services.statement_update(actor=customer.relationship_manager, statement=statement, equity=Decimal("1"))
    statement.refresh_from_db()
    assert statement.equity == Decimal("500")
    services.statement_update(actor=customer.relationship_manager, statement=statement, unit=10000)
    statement.refresh_from_db()
    assert statement.unit == 10000
    assert statement.values_in_yuan()["total_assets"] == Decimal("10000000")


def test_update_into_an_existing_period_is_refused(customer, make_statement):
    make_statement(customer, year=2022)
    later = make_statement(customer, year=2023)
    with pytest.raises(ValidationFailed) as info:
        services.statement_update(actor=customer.relationship_manager, statement=later,
                                  period_end=dt.date(2022, 12, 31))
    assert "already exists" in info.value.message


def test_database_race_on_duplicate_period_is_a_conflict(customer, make_statement, monkeypatch):
    make_statement(customer)
    monkeypatch.setattr(services.statements, "validate_statement",
                        lambda values, **kw: (dict(values), {}))
    with pytest.raises(Conflict):
        services.statement_create(actor=customer.relationship_manager, customer=customer, **statement_data())


def test_other_portfolio_cannot_enter_statements(customer, users):
    from creditportal.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        services.statement_create(actor=users["rm2"], customer=customer, **statement_data())
    assert not FinancialStatement.objects.exists()
