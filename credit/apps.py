from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

BEAT_SCHEDULE = {
    "credit-expire-facilities": {
        "task": "credit.tasks.expire_facilities",
        "schedule_crontab": {"hour": 0, "minute": 20},
    },
}


def on_statement_saved(statement_id=None, customer_id=None, **kwargs):
    """``customers.statement_saved`` → test the covenants in the worker (sent through the outbox on commit)."""
    from creditportal.core.tasks import enqueue

    from .tasks import test_covenants

    enqueue(test_covenants, statement_id)


def _register_beat():
    from celery.schedules import crontab

    from creditportal.celery import app

    schedule = dict(app.conf.beat_schedule or {})
    for name, entry in BEAT_SCHEDULE.items():
        schedule[name] = {"task": entry["task"], "schedule": crontab(**entry["schedule_crontab"])}
    app.conf.beat_schedule = schedule


def _register_customer_tab():
    try:
        from customers import tabs
    except ImportError:
        return
    from .views import customer_credit_tab

    tabs.register_tab("credit", _("Credit"), "credit/customer_tab.html", customer_credit_tab,
                       permission="credit.view_facility", order=300)


class CreditConfig(AppConfig):
    name = "credit"
    verbose_name = _("Credit")

    def ready(self):
        from creditportal.core.events import subscribe

        subscribe("customers.statement_saved", on_statement_saved)
        _register_beat()
        _register_customer_tab()
        from ratings.providers import register_decision_authority

        from .selectors import OverrideAuthority

        register_decision_authority(OverrideAuthority())
