"""Record authentication events in the audit trail (the one place Django reports them is its signals)."""
import logging
import time

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from audit.models import AuditEvent
from audit.services import audit_record
from creditportal.core import permcache

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


# --- Permission cache (creditportal.core.permcache) ---------------------------------------------
# Any change to who holds which permission replaces the versions concerned in the same transaction, so it
# takes effect on the very next request in every process.

def _user_model():
    from django.contrib.auth import get_user_model

    return get_user_model()


def _on_user_saved(sender, instance, using="default", update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a login changes nothing the permission set depends on
    permcache.bump_users([instance.pk], using=using)


def _on_user_deleted(sender, instance, using="default", **kwargs):
    permcache.forget_users([instance.pk], using=using)


def _on_membership_changed(sender, instance, action, pk_set=None, using="default", **kwargs):
    """``user.groups``, ``user.user_permissions`` and ``group.permissions``, changed from either side."""
    if action not in ("post_add", "post_remove", "post_clear", "pre_clear"):
        return
    if isinstance(instance, _user_model()):
        permcache.bump_users([instance.pk], using=using)
    elif sender is _user_model().groups.through and action != "pre_clear" and pk_set:
        permcache.bump_users(pk_set, using=using)  # group.user_set.add(...) / remove(...)
    else:
        permcache.bump_roles(using=using)  # a group's or a permission's holders changed, or a clear


def _on_role_deleted(sender, instance, using="default", **kwargs):
    permcache.bump_roles(using=using)


def connect_permission_cache():
    from django.contrib.auth.models import Group, Permission
    from django.db.models.signals import m2m_changed, post_delete, post_save

    user_model = _user_model()
    post_save.connect(_on_user_saved, sender=user_model, dispatch_uid="permcache_user_saved")
    post_delete.connect(_on_user_deleted, sender=user_model, dispatch_uid="permcache_user_deleted")
    for through, uid in ((user_model.groups.through, "groups"), (user_model.user_permissions.through, "user_perms"),
                         (Group.permissions.through, "group_perms")):
        m2m_changed.connect(_on_membership_changed, sender=through, dispatch_uid=f"permcache_{uid}")
    post_delete.connect(_on_role_deleted, sender=Group, dispatch_uid="permcache_group_deleted")
    post_delete.connect(_on_role_deleted, sender=Permission, dispatch_uid="permcache_permission_deleted")
