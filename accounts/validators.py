"""Password rules beyond Django's (``AUTH_PASSWORD_VALIDATORS``).

- ``NotUsernameValidator``: the password may not be the username or contain it (any case). Django's
  ``UserAttributeSimilarityValidator`` compares the whole password with the username, so a long password
  that merely contains it ("x-approver1-Harbour-99") passes there.
- ``NotPreviousPasswordValidator``: a new password may not be the one it replaces (checked against the
  user's stored hash, without upgrading or saving it).
"""
from django.contrib.auth.hashers import check_password, is_password_usable
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class NotUsernameValidator:
    def __init__(self, min_username_length=3):
        self.min_username_length = min_username_length

    def validate(self, password, user=None):
        username = (getattr(user, "username", "") or "").strip().casefold()
        if not username:
            return
        candidate = (password or "").casefold()
        if candidate.strip() == username or (len(username) >= self.min_username_length and username in candidate):
            raise ValidationError(_("The password may not be or contain the username."), code="password_has_username")

    def get_help_text(self):
        return _("Your password may not be or contain your username.")


class NotPreviousPasswordValidator:
    def validate(self, password, user=None):
        encoded = getattr(user, "password", "") or ""
        if getattr(user, "pk", None) and encoded and is_password_usable(encoded) and check_password(password, encoded):
            raise ValidationError(_("The new password must differ from the current one."), code="password_reused")

    def get_help_text(self):
        return _("Your new password must differ from your current one.")
