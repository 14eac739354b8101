"""``python manage.py load_demo``: demo logins for every role and a credit department of about 200 customers
with 24 months of history (idempotent).

Users and FX rates are created here; each app adds its own demo data in ``<app>/demo.py``
(``load(context)``), called in the design brief's dependency order: the eight hand-made customers every test
knows. The department around them (``demo.department``) is loaded before monitoring's demo and settled (the
alerts' ages, the 24 month ends) before provisions'; ``--small`` keeps the hand-made customers only.
"""
import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from creditportal.core import access, clock
from creditportal.core.discovery import app_modules
from creditportal.models import FxRate

DEMO_USERS = [
    # username, first name, last name, role
    ("rm", "Li", "Wei", access.RELATIONSHIP_MANAGER),
    ("rm2", "Zhang", "Min", access.RELATIONSHIP_MANAGER),
    ("analyst", "Wang", "Fang", access.CREDIT_ANALYST),
    ("analyst2", "Chen", "Jing", access.CREDIT_ANALYST),
    ("approver1", "Liu", "Yang", access.APPROVER),
    ("approver2", "Zhao", "Lei", access.APPROVER),
    ("approver3", "Sun", "Hua", access.APPROVER),
    ("collector", "Zhou", "Qiang", access.COLLECTOR),
    ("riskadmin", "Wu", "Xia", access.RISK_ADMIN),
    ("riskadmin2", "Xu", "Ming", access.RISK_ADMIN),
    ("auditor", "Hu", "Jun", access.AUDITOR),
]

FX_TO_CNY = {"USD": "7.1000", "EUR": "7.7500", "HKD": "0.9100", "JPY": "0.0480", "GBP": "9.0500"}

class Command(BaseCommand):
    help = ("Load demo users (one per role and level) and a credit department of about 200 customers with 24 "
            "months of history (--small: the eight hand-made customers only). Safe to run twice.")

    def add_arguments(self, parser):
        parser.add_argument("--small", action="store_true",
                            help="Only the eight hand-made customers (no department around them): quicker, for tests.")

    def handle(self, *args, **options):
        from demo import department

        steps = {} if options.get("small") else {"monitoring": department.load, "provisions": department.settle}
        access.sync_role_permissions()
        with transaction.atomic():
            users = self.load_users()
            self.load_fx_rates()
        context = {"users": users, "today": clock.today(), "stdout": self.stdout}
        for app, module in app_modules("demo"):  # the apps' order: a later app uses the earlier apps' data
            if app in steps:  # the department goes in before this app's demo
                steps[app](context)
            with transaction.atomic():
                module.load(context)
            self.stdout.write(f"  demo data: {app}")
        from collection.services import aging_summary_refresh

        aging_summary_refresh()  # the aging page and the dashboard read the summary at once
        from customers.services import latest_analysis_refresh

        latest_analysis_refresh()  # the re-rating and the peers read the latest statements' kept analyses
        self.stdout.write(self.style.SUCCESS(
            f"Demo loaded. Logins: {', '.join(u for u, *_ in DEMO_USERS)}; password: the DEMO_PASSWORD setting."
        ))

    def load_users(self):
        User = get_user_model()
        users = {}
        for username, first, last, role in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com"}
            )
            if created or not user.has_usable_password():
                user.set_password(settings.DEMO_PASSWORD)
                user.save()
            user.groups.add(Group.objects.get(name=role))
            users[username] = user
        return users

    def load_fx_rates(self):
        start = clock.today() - dt.timedelta(days=400)
        for currency, rate in FX_TO_CNY.items():
            FxRate.objects.get_or_create(valid_on=start, base_currency=currency, quote_currency="CNY",
                                         defaults={"rate": Decimal(rate)})
