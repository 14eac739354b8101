"""``manage.py take_aging_snapshot``: the month-end aging snapshot(s) for the ECL (idempotent).

    python manage.py take_aging_snapshot                   # the month that ended last
    python manage.py take_aging_snapshot --month 2026-05   # one month
    python manage.py take_aging_snapshot --months 27       # the last 27 ended months (months without data skipped)
"""
import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from creditportal.core.errors import ServiceError


class Command(BaseCommand):
    help = "Take the month-end aging snapshot(s) the expected credit loss is computed from."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM")
        parser.add_argument("--months", type=int, help="the last N ended months")

    def handle(self, *args, month=None, months=None, **options):
        from accounts.system import system_user
        from creditportal.core import clock
        from provisions import selectors, services

        actor = system_user()
        try:
            if months:
                taken = services.snapshots_take_back(actor=actor, months=months)
            else:
                if month:
                    try:
                        day = dt.date.fromisoformat(f"{month}-01")
                    except ValueError:
                        raise CommandError("--month is YYYY-MM") from None
                else:
                    day = selectors.previous_month_end(clock.today())
                taken = [services.snapshot_take(actor=actor, period=day)]
        except ServiceError as error:
            raise CommandError(str(error.message)) from None
        for snap in taken:
            self.stdout.write(f"{snap.period:%Y-%m}: {snap.customer_count} customers, {snap.total_gross} "
                              f"{snap.currency}, sha256 {snap.sha256[:12]}")
