"""Dunning by grade (issue 23): a rating letter's dunning policy, proposed and approved four-eyes, and the policy
the dunning run uses for each customer (its letter's, or the active default policy)."""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import AuditEvent
from audit.services import audit_record, snapshot
from creditportal.core import access
from creditportal.core.errors import Conflict, ValidationFailed
from proposals import registry as proposals_registry
from proposals import services as proposals
from proposals.models import Proposal

from ..models import DUNNING_LETTERS, DunningGradePolicy, DunningPolicy

DUNNING_GRADE_KIND = "collection.dunning_grade"
LETTERS = [code for code, _label in DUNNING_LETTERS]


def _assigned(letter) -> int | None:
    return DunningGradePolicy.objects.filter(letter=letter).values_list("policy_id", flat=True).first()


@transaction.atomic
def dunning_grade_propose(*, actor, letter, policy=None) -> Proposal:
    """Propose the dunning policy of the customers rated ``letter`` (``policy=None``: the default policy duns
    them). Four-eyes: it takes effect when another risk administrator approves it."""
    access.require(actor, "collection.change_dunningpolicy")
    if letter not in LETTERS:
        raise ValidationFailed(_("Choose a rating letter."), field_errors={"letter": _("Choose a listed letter.")})
    policy_id = getattr(policy, "pk", policy) or None
    if policy_id is not None:
        found = DunningPolicy.objects.filter(pk=policy_id).first()
        if found is None:
            raise ValidationFailed(_("Choose a dunning policy."), field_errors={"policy": _("Choose a listed policy.")})
        if not found.levels.exists():
            raise ValidationFailed(_("This dunning policy has no levels yet."),
                                   field_errors={"policy": _("Give it levels first.")})
    current = _assigned(letter)
    if current == policy_id:
        raise ValidationFailed(_("This is the assignment in force; nothing to change."))
    return proposals.proposal_propose(actor=actor, kind=DUNNING_GRADE_KIND, key=f"letter-{letter}",
                                      values={"letter": letter, "policy_id": policy_id},
                                      previous={"letter": letter, "policy_id": current}, summary=letter)


def _apply_dunning_grade(actor, change):
    letter = change.values["letter"]
    row = DunningGradePolicy.objects.select_for_update().filter(letter=letter).first()
    if (row.policy_id if row else None) != change.previous.get("policy_id"):
        raise Conflict(_("The dunning policy of this grade was changed after this proposal; reject it and propose "
                         "again."))
    policy_id = change.values["policy_id"]
    if policy_id is None:
        if row is not None:
            audit_record(actor=actor, action=AuditEvent.Action.DELETE, obj=row, before=snapshot(row))
            row.delete()
        return None
    if not DunningPolicy.objects.filter(pk=policy_id).exists():
        raise Conflict(_("The dunning policy no longer exists."))
    before = snapshot(row) if row else None
    row = row or DunningGradePolicy(letter=letter)
    row.policy_id, row.updated_by = policy_id, actor
    row.save()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE if before else AuditEvent.Action.CREATE, obj=row,
                 before=before, after=snapshot(row))
    change.object_id = row.pk
    return row


def _policy_name(policy_id) -> str:
    if policy_id is None:
        return str(_("the default policy"))
    return DunningPolicy.objects.filter(pk=policy_id).values_list("name", flat=True).first() or f"#{policy_id}"


def _rows(change) -> list[dict]:
    label = str(DunningGradePolicy._meta.get_field("policy").verbose_name)
    return [{"field": "policy", "label": label,
             "before": _policy_name(change.previous.get("policy_id")) if change.previous else None,
             "after": _policy_name(change.values.get("policy_id"))}]


proposals_registry.register(proposals_registry.ChangeKind(
    slug=DUNNING_GRADE_KIND, model=Proposal, apply=_apply_dunning_grade, permission="collection.change_dunningpolicy",
    title=lambda change: _("Dunning policy of grade %(letter)s") % {"letter": change.values.get("letter", "?")},
    rows=_rows, list_url="collection:dunning_grades",
    messages={"open": gettext_lazy("A change of this grade's dunning policy is already waiting for approval.")}))


# --- the policy of each customer --------------------------------------------------------------------------------

def policies_by_letter() -> dict[str, DunningPolicy]:
    """``{letter: policy}`` of the assignments in force, levels prefetched (two queries)."""
    rows = DunningGradePolicy.objects.select_related("policy").prefetch_related("policy__levels")
    return {row.letter: row.policy for row in rows}


def customer_letters(customer_ids) -> dict[int, str]:
    """``{customer_id: letter}`` of the approved ratings in force (one query; unrated customers are absent)."""
    from ratings.models import Rating, RatingState

    return dict(Rating.objects.filter(customer_id__in=list(customer_ids), state=RatingState.APPROVED)
                .values_list("customer_id", "letter"))


def dunning_policy_for(letter: str | None, by_letter: dict, default):
    """The dunning policy of a customer rated ``letter``: its letter's assignment, else the default."""
    return by_letter.get(letter) or default if letter else default
