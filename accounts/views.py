from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.generic import FormView, ListView, View

from creditportal.core.errors import NotAllowed, ServiceError, ValidationFailed
from creditportal.core.lists import Column, PortalListView
from creditportal.core.views import PortalPermissionMixin, ServiceFormView, report_service_error

from . import services
from .filtersets import UserFilterSet
from .forms import ROLE_LABELS, PasswordChangeForm, PreferenceForm, UserEditForm, UserForm

User = get_user_model()


def _roles(user):
    return ", ".join(str(ROLE_LABELS.get(g.name, g.name)) for g in user.groups.all())


class UserListView(PortalListView):
    permission_required = "auth.view_user"
    template_name = "accounts/user_list.html"
    paginate_by = 50
    filterset_class = UserFilterSet
    default_sort = "username"
    export_name = "users"
    export_title = gettext_lazy("Users")
    columns = [
        Column("username", gettext_lazy("Username"), "username", sort="username"),
        Column("name", pgettext_lazy("person", "Name"), "get_full_name", sort=("last_name", "first_name")),
        Column("email", gettext_lazy("E-mail"), "email", sort="email"),
        Column("roles", gettext_lazy("Roles"), _roles),
        Column("active", gettext_lazy("Active"), "is_active", sort="is_active"),
        Column("last_login", gettext_lazy("Last login"), "last_login", sort="last_login", kind="date"),
    ]

    def base_queryset(self):
        return User.objects.exclude(username="system").prefetch_related("groups")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for user in context["object_list"]:
            user.role_labels = [ROLE_LABELS.get(g.name, g.name) for g in user.groups.all()]
        return context


class UserFormView(ServiceFormView):
    """A user's form page: saved through one service; roles that take four-eyes are proposed, and the page then
    says so and goes to the proposal."""

    cancel_url = "accounts:user_list"
    proposed_message = ""

    def success_url_for(self, user):
        if user.role_proposal is not None:  # after the success message (ServiceFormView adds it first)
            messages.info(self.request, str(self.proposed_message))
            return reverse("proposals:detail", args=[user.role_proposal.pk])
        return self.cancel_url


class UserCreateView(UserFormView):
    permission_required = "auth.add_user"
    form_class = UserForm
    title = gettext_lazy("New user")
    proposed_message = gettext_lazy("Their roles are proposed; they apply once another risk administrator "
                                    "approves them.")

    def perform(self, data):
        return services.user_create(actor=self.request.user, username=data["username"], password=data["password"],
                                    roles=data["roles"], first_name=data["first_name"],
                                    last_name=data["last_name"], email=data["email"])

    def get_success_message(self, user):
        return _("User %(name)s created.") % {"name": user.username}


class UserEditView(UserFormView):
    permission_required = "auth.change_user"
    form_class = UserEditForm
    proposed_message = gettext_lazy("The new roles are proposed; they apply once another risk administrator "
                                    "approves them.")

    @cached_property
    def target(self):
        # Looked up after the permission check (a refused role never learns whether the id exists).
        return get_object_or_404(User.objects.exclude(username="system"), pk=self.kwargs["pk"])

    def get_initial(self):
        return {"username": self.target.username, "first_name": self.target.first_name,
                "last_name": self.target.last_name, "email": self.target.email,
                "roles": list(self.target.groups.values_list("name", flat=True))}

    def get_title(self):
        return _("Edit user %(name)s") % {"name": self.target.username}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["target"] = self.target
        return context

    def perform(self, data):
        try:
            return services.user_update(actor=self.request.user, user=self.target, roles=data["roles"],
                                        first_name=data["first_name"], last_name=data["last_name"],
                                        email=data["email"])
        except NotAllowed as error:  # segregation of duties (one's own roles): shown above the form
            raise ValidationFailed(error.message) from error

    def get_success_message(self, user):
        return _("User %(name)s saved.") % {"name": self.target.username}


class UserActiveView(PortalPermissionMixin, View):
    """POST only: deactivate (ending sessions and tokens) or reactivate a user."""

    permission_required = "auth.change_user"
    activate = False

    def post(self, request, pk):
        target = get_object_or_404(User.objects.exclude(username="system"), pk=pk)
        try:
            if self.activate:
                services.user_activate(actor=request.user, user=target)
                messages.success(request, _("User %(name)s reactivated.") % {"name": target.username})
            else:
                services.user_deactivate(actor=request.user, user=target)
                messages.success(request, _("User %(name)s deactivated; their sessions and tokens ended.")
                                 % {"name": target.username})
        except ServiceError as error:
            messages.error(request, error.message)
        return redirect(reverse("accounts:user_list"))


class NotificationListView(LoginRequiredMixin, ListView):
    template_name = "accounts/notification_list.html"
    paginate_by = 30

    def get_queryset(self):
        from .models import Notification

        return Notification.objects.visible_to(self.request.user)


class NotificationOpenView(LoginRequiredMixin, View):
    """Opening a notification marks it read and follows its link."""

    def get(self, request, pk):
        from .models import Notification

        notification = get_object_or_404(Notification.objects.visible_to(request.user), pk=pk)
        services.notification_mark_read(actor=request.user, notification=notification)
        target = notification.url if url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None) else ""
        return redirect(target or "accounts:notification_list")


# --- The user's own language ---------------------------------------------------------------------

def _remember_language(request, language):
    from django.conf import settings as django_settings
    from django.utils import translation

    from .signals import SESSION_LANGUAGE_KEY

    request.session[SESSION_LANGUAGE_KEY] = language
    translation.activate(language)
    return django_settings.LANGUAGE_COOKIE_NAME


class ProfileView(LoginRequiredMixin, FormView):
    """The user's own settings: the language of pages, notifications and e-mails (any signed-in user: no
    permission, so not a ``ServiceFormView``; the page is ``creditportal/form_page.html`` without Cancel)."""

    template_name = "accounts/profile.html"
    form_class = PreferenceForm

    @cached_property
    def saved_language(self):
        return services.saved_language_of(self.request.user)

    def get_initial(self):
        # Not chosen yet: offer the language the user is reading this page in, not the site's default.
        return {"language": self.saved_language or translation.get_language()}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("My settings")
        if not self.saved_language:
            context["default_language_name"] = dict(settings.LANGUAGES).get(settings.LANGUAGE_CODE,
                                                                            settings.LANGUAGE_CODE)
        return context

    def form_valid(self, form):
        try:
            preference = services.preference_set_language(actor=self.request.user,
                                                          language=form.cleaned_data["language"])
        except ServiceError as error:
            report_service_error(self.request, form, error)
            return self.form_invalid(form)
        cookie = _remember_language(self.request, preference.language)
        messages.success(self.request, _("Your settings are saved."))
        response = redirect("accounts:profile")
        response.set_cookie(cookie, preference.language)
        return response


class LanguageSwitchView(View):
    """The language switcher in the top bar: Django's ``set_language``, and for a logged-in user the choice is
    saved as their preference (so notifications and e-mails follow it too)."""

    def post(self, request):
        from django.views.i18n import set_language

        response = set_language(request)
        language = request.POST.get("language")
        if request.user.is_authenticated and language:
            try:
                services.preference_set_language(actor=request.user, language=language)
            except ServiceError as error:
                messages.error(request, error.message)
                return response
            _remember_language(request, language)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """The user's own password change, through ``services.password_change`` (which revokes their API tokens)."""

    form_class = PasswordChangeForm
    # Named templates: django.contrib.admin's registration/password_change_*.html come first in the app
    # template search and would show the admin's page instead of the portal's.
    template_name = "creditportal/password_change_form.html"

    def get_success_url(self):
        return reverse("accounts:password_done")

    def form_valid(self, form):
        try:
            services.password_change(actor=self.request.user, new_password=form.cleaned_data["new_password1"])
        except ServiceError as error:
            report_service_error(self.request, form, error)
            return self.form_invalid(form)
        update_session_auth_hash(self.request, self.request.user)
        return HttpResponseRedirect(self.get_success_url())
