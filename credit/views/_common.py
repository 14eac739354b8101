"""What the credit pages share: the form view every form page builds on and the refusal message."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext_lazy

from creditportal.core.errors import NotAllowed, ServiceError, ValidationFailed
from creditportal.core.views import ServiceFormView
from proposals.models import Proposal


def _error(request, error):
    messages.error(request, getattr(error, "message", str(error)))


def run_action(request, call, success="") -> bool:
    """A POST-only action's one service call: a refusal is shown as a message, ``NotAllowed`` answers 403;
    on success ``success`` is shown. Returns whether the service accepted."""
    try:
        call()
    except ServiceError as error:
        _error(request, error)
        return False
    except NotAllowed as error:
        raise PermissionDenied(error.message) from error
    if success:
        messages.success(request, success)
    return True


class ConfigFormView(ServiceFormView):
    """The credit pages' form view (``creditportal.core.views.ServiceFormView``): ``save(data)`` gets a copy of
    the cleaned data; a four-eyes change answers with its proposal (``proposed_message``, then the proposal's
    page), anything else goes to ``saved_url(result)`` (default: ``cancel_url``). With ``refusal_on_form`` a
    ``NotAllowed`` of the service (portfolio scope, segregation of duties) is shown above the form instead of
    a 403."""

    cancel_url = "credit:matrix"
    success_message = gettext_lazy("Saved.")
    proposed_message = gettext_lazy("Change proposed; it takes effect once another risk administrator approves it.")
    refusal_on_form = False

    def save(self, data):
        raise NotImplementedError

    def perform(self, data):
        try:
            return self.save(dict(data))
        except NotAllowed as error:
            if not self.refusal_on_form:
                raise
            raise ValidationFailed(error.message) from error

    def get_success_message(self, result):
        if isinstance(result, Proposal):  # four-eyes configuration: proposed, not yet in force
            return str(self.proposed_message)
        return super().get_success_message(result)

    def success_url_for(self, result):
        if isinstance(result, Proposal):
            return reverse("proposals:detail", args=[result.pk])
        return self.saved_url(result)

    def saved_url(self, result):
        return self.cancel_url
