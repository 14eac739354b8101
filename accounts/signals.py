"""Record authentication events in the audit trail (the one place Django reports them is its signals)."""
import logging
import time

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from audit.models import AuditEvent
from audit.services import audit_record

security_log = logging.getLogger("creditportal.security")
SESSION_LANGUAGE_KEY = "portal_language"


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session["login_at"] = int(time.time())
        from .models import UserPreference

        language = UserPreference.objects.filter(user=user).values_list("language", flat=True).first()
        if language:
            request.session[SESSION_LANGUAGE_KEY] = language
    security_log.info("login: user=%s", user.username)
    audit_record(actor=user, action=AuditEvent.Action.LOGIN, obj=user, object_repr=user.username)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        security_log.info("logout: user=%s", user.username)
        audit_record(actor=user, action=AuditEvent.Action.LOGOUT, obj=user, object_repr=user.username)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    username = (credentials or {}).get("username", "")
    security_log.warning("login failed: user=%s", username)
    audit_record(actor=None, action=AuditEvent.Action.LOGIN_FAILED, object_type="auth.user",
                 object_repr=str(username)[:255])
