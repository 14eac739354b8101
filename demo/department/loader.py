"""The two steps ``load_demo`` calls (see the package's docstring)."""
from __future__ import annotations

import time

from django.db import transaction

from creditportal.core import clock

from .customers import profiles, write_customers, write_statements
from .months import write_history
from .queues import age_open_alerts, write_applications, write_closed_alerts, work_cases
from .ratings import write_ratings
from .receivables import write_facilities, write_invoices


def _write(context, message):
    stdout = context.get("stdout")
    if stdout is not None:
        stdout.write(message)


def _profiles_of_database():
    """The department's profiles with their primary keys, or ``None`` when it is not loaded."""
    from customers.models import Customer

    profs = profiles()
    found = dict(Customer.objects.filter(credit_code__in=[p.code for p in profs]).values_list("credit_code", "pk"))
    if not found:
        return None
    for p in profs:
        p.pk = found.get(p.code)
    return [p for p in profs if p.pk is not None]


def load(context) -> None:
    """The department's customers and their 24 months (before monitoring's demo). Nothing when loaded."""
    users, today = context["users"], context.get("today") or clock.today()
    if _profiles_of_database() is not None:
        _write(context, "    department: already loaded")
        _history(context, today)
        return
    started = time.perf_counter()
    profs = profiles()
    with transaction.atomic():
        write_customers(profs, users, today)
        write_statements(profs, users, today)
        grades = write_ratings(profs, users, today)
        write_facilities(profs, users, today, grades)
        write_invoices(profs, users, today)
        write_applications(profs, users, today, grades)
        write_closed_alerts(profs, users, today)
        _suspend_weakest(profs, users)
    work_cases(profs, users, today)
    _write(context, f"    department: {len(profs)} customers in {time.perf_counter() - started:.1f} s")
    _history(context, today)


def _history(context, today) -> None:
    from accounts.system import system_user

    started = time.perf_counter()
    with transaction.atomic():
        written = write_history(system_user(), today)
    if written:
        _write(context, f"    department: {written} month ends rebuilt in {time.perf_counter() - started:.1f} s")


def _suspend_weakest(profs, users) -> None:
    """The two weakest active customers are suspended by an approver, with the reason, through the service."""
    from customers import services
    from customers.models import Customer

    weakest = sorted((p for p in profs if p.status == "active"), key=lambda p: p.health(0))[:2]
    for p in weakest:
        services.customer_suspend(actor=users["approver1"], customer=Customer.objects.get(pk=p.pk),
                                  reason="多笔账款逾期超过180天，暂停交货。")


def settle(context) -> None:
    """After monitoring's demo (its rules raised the department's alerts today): the alerts' ages, once."""
    from monitoring.models import Alert

    profs = _profiles_of_database()
    today = context.get("today") or clock.today()
    if profs is None or Alert.objects.filter(customer_id__in=[p.pk for p in profs], raised_on__lt=today,
                                             status__in=["open", "acknowledged"]).exists():
        return  # settled once: the ages stay as they are
    with transaction.atomic():
        age_open_alerts(profs, context["users"], today)
