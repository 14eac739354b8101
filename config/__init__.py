"""The project shell: settings, URLs, the Celery app, the WSGI/ASGI entry points and the project's own pages
(home, health, error pages). It imports the apps; nothing imports it except entry points and tests
(``creditportal`` is the shared kernel every app imports; import-linter keeps the arrow pointing down)."""
from .celery import app as celery_app

__all__ = ("celery_app",)
