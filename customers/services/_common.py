"""Helpers shared by the customers services: the portfolio check, refusals, cleaning, relationship
managers."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from creditportal.core import access
from creditportal.core.errors import NotAllowed, ValidationFailed
from creditportal.core.money import to_decimal

from ..models import Customer

User = get_user_model()


def require_visible(actor, customer) -> None:
    """Refuse an actor who may not see ``customer`` (another relationship manager's portfolio)."""
    if not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        access.security_log.warning("refused: user=%s customer=%s outside portfolio",
                                    getattr(actor, "username", None), customer.pk)
        raise NotAllowed(_("This customer is not in your portfolio."))


def _refuse(errors: dict, message: str | None = None):
    if errors:
        first = next(iter(errors.values()))
        first = first[0] if isinstance(first, (list, tuple)) else first
        raise ValidationFailed(message or first, field_errors=errors)


def _full_clean(instance, exclude=None):
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors = {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
        raise ValidationFailed(_("Please correct the marked fields."), field_errors=errors) from exc


def _decimal_or_none(value, field, errors):
    if value is None or value == "":
        return None
    try:
        return to_decimal(value)
    except ValueError:
        errors.setdefault(field, []).append(_("Enter a number."))
        return None


def _is_relationship_manager(user) -> bool:
    return bool(user and user.is_active and user.groups.filter(name=access.RELATIONSHIP_MANAGER).exists())


def relationship_managers():
    """Active users who may hold a portfolio."""
    return User.objects.filter(is_active=True, groups__name=access.RELATIONSHIP_MANAGER).order_by("username")
