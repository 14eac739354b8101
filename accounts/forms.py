from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from creditportal.core import access
from creditportal.core.forms import PortalForm, PortalFormMixin

ROLE_LABELS = access.ROLE_LABELS
ROLE_CHOICES = [(role, ROLE_LABELS[role]) for role in access.ROLES]


class UserForm(PortalForm):
    username = forms.RegexField(label=_("Username"), max_length=150, regex=r"^[\w.@+-]+$")
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    roles = forms.MultipleChoiceField(label=_("Roles"), choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple)
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput, strip=False)


class UserEditForm(UserForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["password"]
        self.fields["username"].disabled = True


class LoginForm(PortalFormMixin, AuthenticationForm):
    pass


class PasswordChangeForm(PortalFormMixin, auth_forms.PasswordChangeForm):
    pass


class PreferenceForm(PortalForm):
    language = forms.ChoiceField(label=_("Language"), help_text=_(
        "Pages, notifications and e-mails reach you in this language."))

    def __init__(self, *args, **kwargs):
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.fields["language"].choices = settings.LANGUAGES
