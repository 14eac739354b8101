"""The credit portal project: settings, URLs, the Celery app and shared machinery (``core``)."""
from .celery import app as celery_app

__all__ = ("celery_app",)
