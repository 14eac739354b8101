import logging

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from config.celery import app as celery_app
from creditportal.core import clock
from creditportal.core.navigation import menu_for

log = logging.getLogger(__name__)


class HomeView(LoginRequiredMixin, TemplateView):
    """The signed-in user's start page; apps contribute their work-queue panels via ``home_panels``."""

    template_name = "creditportal/home.html"

    def get_context_data(self, **kwargs):
        from creditportal.core.home import panels_for

        context = super().get_context_data(**kwargs)
        context["panels"] = panels_for(self.request.user)
        context["today"] = clock.today()
        context["sections"] = menu_for(self.request.user)
        return context


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True, connection.vendor
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        log.warning("healthz: database down: %s", exc)
        return False, str(exc)[:200]


def _broker_ok() -> tuple[bool, str]:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
            return True, conn.transport_cls if isinstance(conn.transport_cls, str) else conn.info().get("transport", "")
    except Exception as exc:  # noqa: BLE001
        log.warning("healthz: broker down: %s", exc)
        return False, str(exc)[:200]


@never_cache
def healthz(request):
    db_ok, db_info = _database_ok()
    broker_ok, broker_info = _broker_ok()
    body = {
        "status": "ok" if db_ok and broker_ok else "unavailable",
        "database": {"ok": db_ok, "detail": db_info},
        "broker": {"ok": broker_ok, "detail": broker_info},
    }
    return JsonResponse(body, status=200 if db_ok and broker_ok else 503)


def page_not_found(request, exception):
    """404: JSON under /api/ (the API's error format), the portal's page elsewhere."""
    from django.views import defaults

    from creditportal.core.api_errors import api_not_found, is_api_request

    if is_api_request(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """500: JSON under /api/, the portal's standalone page elsewhere."""
    from django.views import defaults

    from creditportal.core.api_errors import api_server_error, is_api_request

    if is_api_request(request):
        return api_server_error(request)
    return defaults.server_error(request)
