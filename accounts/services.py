"""Staff users: create, change roles, deactivate (which ends their sessions and tokens)."""
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.authtoken.models import Token

from audit.models import AuditEvent
from audit.services import audit_record, audited_update
from creditportal.core import access
from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed
from proposals import registry as proposals_registry
from proposals import services as proposals
from proposals.models import Proposal

from .models import Notification, UserPreference

User = get_user_model()
USER_FIELDS = ["username", "first_name", "last_name", "email", "is_active"]


def _user_state(user) -> dict:
    return {
        **{f: getattr(user, f) for f in USER_FIELDS},
        "roles": sorted(user.groups.values_list("name", flat=True)),
    }


def _check_roles(roles):
    unknown = set(roles) - set(access.ROLES)
    if unknown:
        raise ValidationFailed(_("Unknown role(s): %(roles)s") % {"roles": ", ".join(sorted(unknown))},
                               field_errors={"roles": _("Choose from the listed roles.")})


def _role_names(user) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


def _role_labels(roles) -> str:
    return ", ".join(str(access.ROLE_LABELS.get(r, r)) for r in roles) or "—"


def user_roles_propose(*, actor, user, roles) -> Proposal:
    """Propose ``roles`` as ``user``'s roles (four-eyes: they apply when another risk administrator approves).
    Nobody proposes their own roles; incompatible roles are refused here and again on approval."""
    access.require(actor, "auth.change_user")
    access.require_not_self(actor, user, _("Segregation of duties: you cannot change your own roles."))
    wanted = sorted(set(roles))
    _check_roles(wanted)
    access.check_role_combination(wanted)
    current = _role_names(user)
    if wanted == current:
        raise ValidationFailed(_("These are the user's roles in force; nothing to change."))
    return proposals.proposal_propose(actor=actor, kind=ROLES_KIND, key=f"user-{user.pk}", subject=user,
                                      object_id=user.pk, values={"roles": wanted}, previous={"roles": current},
                                      summary=f"{user.username}: {', '.join(wanted) or '-'}")


def _apply_roles(actor, change):
    """Put approved roles in force (called by ``proposals.services.change_approve``)."""
    user = User.objects.select_for_update().get(pk=change.subject_id)
    if _role_names(user) != change.previous.get("roles"):
        raise Conflict(_("The user's roles were changed after this proposal; reject it and propose again."))
    roles = change.values["roles"]
    _check_roles(roles)
    access.check_role_combination(roles)
    before = _user_state(user)
    user.groups.set(Group.objects.filter(name__in=roles))
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=user, before=before,
                 after=_user_state(user))
    return user


ROLES_KIND = "accounts.roles"
proposals_registry.register(proposals_registry.ChangeKind(
    slug=ROLES_KIND, model=Proposal, apply=_apply_roles, permission="auth.change_user",
    title=lambda change: _("Roles of %(user)s") % {"user": change.subject.username},
    rows=lambda change: [{"field": "roles", "label": _("Roles"), "before": _role_labels(change.previous.get("roles", [])),
                          "after": _role_labels(change.values.get("roles", []))}],
    subjects=lambda change: [change.subject_id],
    audit_extra=lambda change: {"user_id": change.subject_id},
    messages={"open": gettext_lazy("A change of this user's roles is already waiting for approval.")}))


@transaction.atomic
def user_create(*, actor, username, password, roles, first_name="", last_name="", email="") -> User:
    """Create a user; their ``roles`` are proposed (``user.role_proposal``) and apply once another risk
    administrator approves them (four-eyes on role grants)."""
    access.require(actor, "auth.add_user")
    _check_roles(roles)
    access.check_role_combination(roles)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationFailed(_("A user with this username already exists."),
                               field_errors={"username": _("This username is taken.")})
    user = User(username=username, first_name=first_name, last_name=last_name, email=email, is_active=True)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), field_errors={"password": exc.messages}) from exc
    user.set_password(password)
    user.save()
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=user, after=_user_state(user))
    user.role_proposal = user_roles_propose(actor=actor, user=user, roles=roles) if roles else None
    return user


@transaction.atomic
def user_update(*, actor, user, roles, first_name, last_name, email) -> User:
    """Change a user's names and e-mail at once; a change of roles that grants any role is proposed
    (``user.role_proposal``: four-eyes), one that only takes roles away applies at once. Nobody changes their
    own roles; incompatible roles are refused."""
    access.require(actor, "auth.change_user")
    _check_roles(roles)
    if user.username == "system":
        raise ValidationFailed(_("The system user cannot be changed."))
    wanted, current = sorted(set(roles)), _role_names(user)
    if wanted != current:
        access.require_not_self(actor, user, _("Segregation of duties: you cannot change your own roles."))
        access.check_role_combination(wanted)
    before = _user_state(user)
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.save(update_fields=["first_name", "last_name", "email"])
    user.role_proposal = None
    if set(wanted) - set(current):
        user.role_proposal = user_roles_propose(actor=actor, user=user, roles=wanted)
    elif wanted != current:
        user.groups.set(Group.objects.filter(name__in=wanted))
    after = _user_state(user)
    if after != before:
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=user, before=before, after=after)
    return user


def end_sessions_and_tokens(user) -> int:
    """Delete every session and API token of ``user``; returns the number of sessions ended."""
    Token.objects.filter(user=user).delete()
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=500):
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def password_change(*, actor, new_password) -> int:
    """Set ``actor``'s own new password (validated by the caller's form, or here) and revoke their API
    tokens: a token taken with the old password must not outlive it. Other sessions end by themselves
    (Django's session hash follows the password). Returns the number of tokens revoked."""
    try:
        password_validation.validate_password(new_password, actor)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), field_errors={"new_password1": exc.messages}) from exc
    actor.set_password(new_password)
    actor.save(update_fields=["password"])
    revoked, _detail = Token.objects.filter(user=actor).delete()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=actor, verb="password_change",
                 after={"tokens_revoked": revoked})
    return revoked


@transaction.atomic
def user_deactivate(*, actor, user) -> User:
    access.require(actor, "auth.change_user")
    if user.pk == actor.pk:
        raise ValidationFailed(_("You cannot deactivate yourself."))
    if user.username == "system":
        raise ValidationFailed(_("The system user cannot be deactivated."))
    audited_update(actor, user, verb="deactivate", state=_user_state, is_active=False)
    end_sessions_and_tokens(user)
    return user


@transaction.atomic
def user_activate(*, actor, user) -> User:
    access.require(actor, "auth.change_user")
    return audited_update(actor, user, verb="activate", state=_user_state, is_active=True)


def saved_language_of(user) -> str | None:
    """The language ``user`` chose and saved (profile page or language switcher), or None."""
    codes = {code for code, _name in settings.LANGUAGES}
    preference = UserPreference.objects.filter(user_id=getattr(user, "pk", None)).values_list("language",
                                                                                            flat=True).first()
    return preference if preference in codes else None


def language_of(user) -> str:
    """The language ``user`` chose (profile page or language switcher); the site's default otherwise."""
    return saved_language_of(user) or settings.LANGUAGE_CODE


@transaction.atomic
def preference_set_language(*, actor, language) -> UserPreference:
    """Save the language ``actor`` reads the portal, notifications and e-mails in (audited when it changes)."""
    codes = [code for code, _name in settings.LANGUAGES]
    if language not in codes:
        raise ValidationFailed(_("Choose one of the offered languages."), field_errors={"language": _(
            "Choose one of the offered languages.")})
    preference, created = UserPreference.objects.select_for_update().get_or_create(
        user=actor, defaults={"language": language})
    before = None if created else preference.language
    if created or preference.language != language:
        preference.language = language
        preference.save(update_fields=["language", "updated_at"])
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=actor, verb="language",
                     before={"language": before}, after={"language": language})
    return preference


def notification_send(*, recipient, title, url="", body="", email=True):
    """Put a notification in ``recipient``'s inbox and, if they have an address, e-mail it on commit.

    ``title`` and ``body`` may be lazy text or ``creditportal.core.i18n.Message``: they are made in the
    recipient's language (``language_of``), whatever language the acting user reads."""
    if recipient is None or not recipient.is_active or recipient.username == settings.SYSTEM_USERNAME:
        return None
    with translation.override(language_of(recipient)):
        title, body = str(title), str(body)
    notification = Notification.objects.create(recipient=recipient, title=title[:255], body=body, url=url)
    if email and recipient.email:
        message = notification_email_text(recipient, title=title, body=body, url=url)
        transaction.on_commit(lambda: send_mail(title, message, None, [recipient.email], fail_silently=True))
    return notification


def absolute_url(url: str) -> str:
    """``url`` as a link that works from a mail client: a path is joined to ``SITE_URL``."""
    if not url or "://" in url:
        return url
    return settings.SITE_URL.rstrip("/") + "/" + url.lstrip("/")


def notification_email_text(recipient, *, title, body="", url="") -> str:
    """The e-mail of a notification in the recipient's language: a greeting by name, the facts, an absolute
    link into the portal and a no-reply line."""
    from django.template.loader import render_to_string

    from creditportal.core.formatting import person

    with translation.override(language_of(recipient)):
        return render_to_string("accounts/email/notification.txt", {
            "name": person(recipient), "title": title, "body": body,
            "link": absolute_url(url)}).strip() + "\n"


def notification_mark_read(*, actor, notification):
    if notification.recipient_id != actor.pk:
        raise NotAllowed(_("This notification is not yours."))
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk).update(read_at=timezone.now())
        notification.read_at = timezone.now()
    return notification
