"""Four-eyes configuration changes: one risk administrator proposes, another approves, only then it applies.

``ConfigChange`` is the abstract model every kind of configuration change inherits (the dunning policy, warning
rules and provision rates keep their own tables built on it); ``Proposal`` is the concrete table for the kinds
that need no table of their own (role grants, approver levels, the authority matrix, delegations above the
threshold, group limits): its ``kind`` names the handler an owning app registered (``proposals.registry``).
The one service that proposes, approves, rejects and withdraws them all is ``proposals.services``.
"""
from django.db import models
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField

from creditportal.core.modelbase import StateMachine, state_change, user_field
from creditportal.core.querysets import StaffQuerySet


# Any one of these lets a user decide some kind of ``Proposal`` (pages and API refuse everyone else up front; the
# service then checks the kind's own permission); proposing a delegation also takes ``credit.add_delegation``.
DECIDE_PERMISSIONS = frozenset({"auth.change_user", "credit.add_authoritylevel", "credit.change_authoritylevel",
                                "credit.change_approverauthority", "credit.change_delegation", "credit.add_grouplimit",
                                "credit.change_grouplimit",
                                # credit insurance: policies and the uninsured caps by grade
                                "insurance.add_insurancepolicy", "insurance.change_insurancepolicy",
                                "insurance.change_uninsuredcap"})
PROPOSE_PERMISSIONS = DECIDE_PERMISSIONS | {"credit.add_delegation"}


class ChangeState(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("configuration change", "Waiting for approval")
    APPROVED = "approved", pgettext_lazy("configuration change", "Approved")
    REJECTED = "rejected", pgettext_lazy("configuration change", "Rejected")
    WITHDRAWN = "withdrawn", pgettext_lazy("configuration change", "Withdrawn")


class ConfigChange(StateMachine):
    """A proposed change of configuration that decides credit. ``key`` names its target (one open proposal per
    target: a database constraint); ``values``/``previous``: {field: JSON value} of what changes (``previous``
    empty for something new). Subclasses name their kind in the registry (``proposals.registry.register``)."""

    key = models.CharField(_("key"), max_length=120, editable=False)
    values = models.JSONField(_("proposed values"), default=dict)
    previous = models.JSONField(_("values before"), default=dict)
    state = FSMField(_("state"), default=ChangeState.PROPOSED, choices=ChangeState.choices, protected=True)
    proposed_by = user_field(_("proposed by"))
    proposed_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    decided_by = user_field(_("decided by"), optional=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=Q(state="proposed"),
                                    name="%(app_label)s_%(class)s_one_open_per_target"),
        ]

    #: the registry slug of this kind of change (``Proposal`` reads it from its ``kind`` column)
    change_slug = ""

    def __str__(self):
        return f"{capfirst(self._meta.verbose_name)} {self.pk}"

    @property
    def slug(self) -> str:
        return self.change_slug

    @property
    def is_pending(self) -> bool:
        return self.state == ChangeState.PROPOSED

    approve = state_change(state, ChangeState.PROPOSED, ChangeState.APPROVED)
    reject = state_change(state, ChangeState.PROPOSED, ChangeState.REJECTED)
    withdraw = state_change(state, ChangeState.PROPOSED, ChangeState.WITHDRAWN)


class Proposal(ConfigChange):
    """A configuration change of a kind without a table of its own: ``kind`` is the registry slug
    (``accounts.roles``, ``credit.authority_level``, ...); ``subject`` the user the change is about (role grants,
    approver levels, delegations), who may not decide it; ``object_id`` the changed row, if it exists."""

    kind = models.CharField(_("kind"), max_length=40)
    subject = user_field(_("about user"), optional=True)
    object_id = models.PositiveIntegerField(_("object"), null=True, blank=True)
    summary = models.CharField(_("summary"), max_length=200, blank=True)

    class Meta(ConfigChange.Meta):
        verbose_name = _("configuration change")
        verbose_name_plural = _("configuration changes")

    def __str__(self):
        return _("Configuration change %(id)s (%(summary)s)") % {"id": self.pk, "summary": self.summary}

    @property
    def slug(self) -> str:
        return self.kind
