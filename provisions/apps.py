from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProvisionsConfig(AppConfig):
    name = "provisions"
    verbose_name = _("Expected credit loss")

    def ready(self):
        from celery.schedules import crontab

        from creditportal.celery import app as celery_app

        # The first day of each month, after the night's runs: the snapshot of the month that just ended.
        schedule = dict(celery_app.conf.beat_schedule or {})
        schedule["provisions-month-end-snapshot"] = {"task": "provisions.take_month_end_snapshot",
                                                     "schedule": crontab(day_of_month=1, hour=4, minute=30)}
        celery_app.conf.beat_schedule = schedule
