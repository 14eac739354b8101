"""Demo data of the monitoring app for ``manage.py load_demo`` (idempotent).

Runs the rule evaluation once and the month-end classification and provisions (the previous month end
and the current one, so the comparison page has two months; a month end already run is left as it is, e.g.
the months the demo's department wrote as they were), as the system user through the services;
puts one customer on the watchlist and leaves one reclassification waiting for an approver.
"""
import datetime as dt

from accounts.system import system_user
from creditportal.core import clock

from . import services
from .models import AssetClassification, ClassificationStatus, ProvisionRun, WatchlistEntry


def load(context):
    system = system_user()
    today = context.get("today") or clock.today()
    users = context.get("users", {})
    services.alerts_evaluate(actor=system, on_date=today)
    from credit import services as credit_services

    credit_services.holds_evaluate(actor=system, on_date=today)  # order holds (暂停交货) of the past-due customers
    current = services.default_period(today)
    previous = current.replace(day=1) - dt.timedelta(days=1)
    for period in (previous, current):
        # a month end run once stays as it is (the demo's department writes its months as they were then)
        if not ProvisionRun.objects.filter(period=period).exists():
            services.provision_run(actor=system, period=period)

    customers = context.get("customers") or {}
    analyst = users.get("analyst")
    watched = customers.get("xibei_energy")
    if analyst and watched and not WatchlistEntry.objects.filter(customer=watched).exists():
        services.watchlist_add(actor=analyst, customer=watched, reason="连续亏损，权益下降 / losses, falling equity",
                               owner=analyst, since=today)

    if analyst and not AssetClassification.objects.filter(status=ClassificationStatus.PENDING).exists() \
            and not AssetClassification.objects.filter(period=current, manual=True).exists():
        candidate = (AssetClassification.objects.filter(period=current, exposure__gt=0)
                     .exclude(tier="loss").order_by("-days_past_due", "pk").first())
        if candidate is not None:
            worse = {"normal": "special_mention", "special_mention": "substandard", "substandard": "doubtful",
                     "doubtful": "loss"}[candidate.tier]
            services.classification_request(actor=analyst, classification=candidate, tier=worse,
                                            reason="演示：客户经营恶化 / demo: business deteriorating")
    context["monitoring_period"] = current
