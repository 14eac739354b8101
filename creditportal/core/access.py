"""Who may do what: the one server-side table of roles and permissions, and the checks that use it.

Roles are Django groups (created by the ``accounts`` migration); this table grants each group its
Django permissions after every ``migrate``. Pages (``PermissionRequiredMixin``), the API
(``core.api.ActionPermission``) and services (``require``) all check these permissions, so hiding a
button is never the only guard. Object-level rules (a relationship manager's own portfolio, four-eyes)
live in each model's ``visible_to`` queryset method and in the services.

Entries are ``app_label.codename``; ``*`` matches any run of characters (``customers.view_*``).
"""
from __future__ import annotations

import fnmatch
import logging

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import NotAllowed, ValidationFailed

security_log = logging.getLogger("creditportal.security")

RELATIONSHIP_MANAGER = "relationship_manager"
CREDIT_ANALYST = "credit_analyst"
APPROVER = "approver"
COLLECTOR = "collector"
RISK_ADMIN = "risk_admin"
AUDITOR = "auditor"
SYSTEM = "system"  # the named system user's group: nightly jobs and dunning act through it

ROLES = [RELATIONSHIP_MANAGER, CREDIT_ANALYST, APPROVER, COLLECTOR, RISK_ADMIN, AUDITOR]
ROLE_LABELS = {
    RELATIONSHIP_MANAGER: gettext_lazy("Relationship manager"),
    CREDIT_ANALYST: gettext_lazy("Credit analyst"),
    APPROVER: gettext_lazy("Approver"),
    COLLECTOR: gettext_lazy("Collector"),
    RISK_ADMIN: gettext_lazy("Risk admin"),
    AUDITOR: gettext_lazy("Auditor"),
    SYSTEM: gettext_lazy("System"),
}

# Segregation of duties (design brief section 2): who sets authority must not use it, and the auditor writes
# nothing. ``check_role_combination`` refuses these pairs wherever roles are granted (pages, API, commands).
WRITING_ROLES = [RELATIONSHIP_MANAGER, CREDIT_ANALYST, APPROVER, COLLECTOR, RISK_ADMIN]
INCOMPATIBLE_ROLES = [(RISK_ADMIN, APPROVER), *[(AUDITOR, role) for role in WRITING_ROLES]]


def role_conflicts(roles) -> list[tuple[str, str]]:
    """The incompatible pairs among ``roles``."""
    roles = set(roles)
    return [(a, b) for a, b in INCOMPATIBLE_ROLES if a in roles and b in roles]


def check_role_combination(roles) -> None:
    """Raise ``ValidationFailed`` when ``roles`` combine roles one person may not hold together."""
    conflicts = role_conflicts(roles)
    if conflicts:
        a, b = conflicts[0]
        security_log.warning("refused role combination: %s + %s", a, b)
        raise ValidationFailed(
            _("Segregation of duties: one person cannot be both %(a)s and %(b)s.") % {
                "a": ROLE_LABELS[a], "b": ROLE_LABELS[b]},
            field_errors={"roles": _("These roles cannot be combined.")})


def require_not_self(actor, subject, message: str | None = None) -> None:
    """Segregation of duties: nobody changes their own roles, approver level or delegations."""
    if subject is not None and actor is not None and getattr(subject, "pk", subject) == actor.pk:
        security_log.warning("refused self-change: user=%s", actor.username)
        raise NotAllowed(message or _("Segregation of duties: you cannot change your own roles, authority or "
                                      "delegations."))


# Read access every staff role has (a relationship manager's is further limited to their portfolio).
_READ_ALL = [
    "customers.view_*",
    "ratings.view_*",
    "credit.view_*",
    "collection.view_*",
    "monitoring.view_*",
    "creditportal.view_fxrate",
    # credit insurance: policies, buyer limits, notifications, claims (an RM sees their portfolio's)
    "insurance.view_*",
    "creditinfo.view_*",
]
# Reports (stored PDFs, batches) for every role but the collector: collectors work receivables, not credit files.
_READ_REPORTS = ["reports.view_*"]
# Model validation results (backtests, simulations): read by the credit roles and the auditor.
_READ_VALIDATION = ["validation.view_*"]
# Expected credit loss (snapshots, scenarios, runs, impaired assessments, disclosure): the credit roles that
# answer for provisions and the auditor; not relationship managers or collectors.
_READ_PROVISIONS = ["provisions.view_*", "provisions.export_disclosure"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    RELATIONSHIP_MANAGER: [
        # Not "customers.view_*": that would match view_all_customers and open every portfolio.
        *[p for p in _READ_ALL if p != "customers.view_*"], *_READ_REPORTS,
        "customers.view_customer", "customers.view_customergroup", "customers.view_contact",
        "customers.view_customerdocument", "customers.view_negativerecord", "customers.view_financialstatement",
        "customers.add_customer", "customers.change_customer",
        "customers.add_contact", "customers.change_contact", "customers.delete_contact",
        "customers.add_customerdocument", "customers.delete_customerdocument",
        "customers.add_negativerecord", "customers.change_negativerecord",
        "customers.add_financialstatement", "customers.change_financialstatement",
        "customers.add_customergroup", "customers.change_customergroup",
        "creditinfo.add_outsideimport",
        # may impose a suspension (stop deliveries), never lift one: "resume_*" is the approver's
        "customers.suspend_customer",
        "ratings.change_behaviourinput",
        "credit.add_creditapplication", "credit.change_creditapplication",
        "credit.submit_creditapplication", "credit.withdraw_creditapplication", "credit.decide_creditapplication",
        "credit.add_order", "credit.change_order", "credit.suspend_facility", "credit.check_facility",
        "collection.add_invoice", "collection.add_payment", "collection.add_collectionactivity",
        "collection.add_claimpayout",
        "monitoring.handle_alert",
        "reports.download_report",
    ],
    CREDIT_ANALYST: [
        *_READ_ALL, *_READ_REPORTS, *_READ_VALIDATION,
        "customers.view_all_customers", *_READ_PROVISIONS,
        # analysts spread statements (issue 24; relationship managers keep their right)
        "customers.add_financialstatement", "customers.change_financialstatement",
        "creditinfo.add_outsideimport",
        "ratings.add_rating", "ratings.change_rating", "ratings.submit_rating", "ratings.approve_rating",
        "ratings.add_expertscore", "ratings.override_rating",
        "credit.review_creditapplication", "credit.decide_creditapplication", "credit.check_facility",
        "monitoring.handle_alert", "monitoring.add_watchlistentry", "monitoring.change_watchlistentry",
        "monitoring.classify_exposure",
        "reports.download_report",
        # credit insurance: buyer limits are facts from the insurer; notifications and claims to it
        "insurance.add_buyerlimit", "insurance.change_buyerlimit", "insurance.add_insurernotification",
        "insurance.add_insuranceclaim", "insurance.change_insuranceclaim",
    ],
    APPROVER: [
        *_READ_ALL, *_READ_REPORTS, *_READ_VALIDATION,
        "customers.view_all_customers",
        "ratings.approve_rating", "ratings.approve_override", "ratings.approve_ratingmodel",
        "credit.approve_creditapplication", "credit.approve_creditpolicy", "credit.decide_creditapplication",
        "credit.check_facility",
        "credit.suspend_facility", "credit.resume_facility", "credit.change_facility", "credit.add_delegation",
        "credit.release_customerhold",  # order holds (暂停交货): lifted by an approver, with a reason
        "customers.suspend_customer", "customers.resume_customer", "proposals.view_proposal",
        "collection.approve_writeoff",
        "monitoring.approve_classification", "monitoring.handle_alert",
        *_READ_PROVISIONS, "provisions.approve_eclrun",
        "reports.download_report",
    ],
    COLLECTOR: [
        *_READ_ALL,
        "customers.view_all_customers",
        "collection.add_collectioncase", "collection.change_collectioncase",
        "collection.add_collectionactivity", "collection.add_promisetopay",
        "collection.propose_writeoff", "collection.add_payment", "collection.run_dunning",
        "monitoring.handle_alert",
        "insurance.add_insurernotification", "insurance.add_insuranceclaim", "insurance.change_insuranceclaim",
    ],
    RISK_ADMIN: [
        *_READ_ALL, *_READ_REPORTS, *_READ_VALIDATION,
        "validation.run_validation", "validation.run_simulation", "validation.add_outcomeimport",
        "validation.change_defaultdefinition",
        "customers.view_all_customers", "customers.reassign_customer",
        "ratings.add_ratingscale", "ratings.change_ratingscale",
        "ratings.add_ratingmodel", "ratings.change_ratingmodel", "ratings.add_ratingfactor",
        "ratings.change_ratingfactor", "ratings.delete_ratingfactor", "ratings.run_rating_batch",
        "ratings.change_ratingspolicy",
        "credit.add_creditpolicy", "credit.change_creditpolicy", "credit.add_authoritylevel",
        "credit.change_authoritylevel", "credit.add_approverauthority", "credit.change_approverauthority",
        "credit.add_grouplimit", "credit.change_grouplimit", "credit.add_delegation", "credit.change_delegation",
        # the haircut table and the guarantors' recovery factors (four-eyes, issue 23)
        "credit.change_collateralhaircut", "credit.change_recoveryfactor",
        "proposals.view_proposal",
        "collection.add_dunningpolicy", "collection.change_dunningpolicy", "collection.run_dunning",
        "monitoring.add_warningrule", "monitoring.change_warningrule", "monitoring.run_provisions",
        "monitoring.change_provisionrate",
        *_READ_PROVISIONS, "provisions.take_agingsnapshot", "provisions.add_scenarioset",
        "provisions.approve_scenarioset", "provisions.propose_eclrun", "provisions.approve_eclrun",
        "provisions.assess_impaired",
        "creditportal.add_fxrate", "creditportal.change_fxrate",
        "auth.view_user", "auth.add_user", "auth.change_user",
        "audit.view_auditevent",
        "reports.download_report",
        # credit insurance: policies and uninsured caps (four-eyes), buyer limits
        "insurance.add_insurancepolicy", "insurance.change_insurancepolicy", "insurance.change_uninsuredcap",
        "insurance.add_buyerlimit", "insurance.change_buyerlimit",
    ],
    AUDITOR: [
        *_READ_ALL, *_READ_REPORTS, *_READ_VALIDATION,
        "customers.view_all_customers",
        "audit.view_auditevent", "audit.export_auditevent", *_READ_PROVISIONS,
        "reports.download_report", "reports.request_report_batch",
        "auth.view_user", "proposals.view_proposal",
    ],
    SYSTEM: [
        *_READ_ALL, *_READ_REPORTS,
        "customers.view_all_customers",
        "ratings.add_rating", "ratings.run_rating_batch",
        "credit.suspend_facility", "credit.change_facility", "credit.change_order", "credit.check_facility",
        "credit.release_customerhold",  # places and releases order holds automatically
        "customers.suspend_customer",
        "collection.add_collectioncase", "collection.change_collectioncase", "collection.add_collectionactivity",
        "collection.run_dunning",
        "monitoring.add_alert", "monitoring.classify_exposure", "monitoring.run_provisions",
        "provisions.take_agingsnapshot",
        "insurance.change_buyerlimit",
        # the nightly peers' quartiles (issue 24)
        "customers.add_peerstatistic",
        # the nightly whole check of the audit trail's hash chain (it reads every event)
        "audit.view_auditevent",
    ],
}


def expand(patterns, all_permissions):
    """The set of ``app.codename`` strings matched by ``patterns`` among ``all_permissions``."""
    matched = set()
    for pattern in patterns:
        if "*" in pattern:
            matched.update(fnmatch.filter(all_permissions, pattern))
        elif pattern in all_permissions:
            matched.add(pattern)
    return matched


def unknown_entries(all_permissions):
    """Entries of the table that match no existing permission (typos); a test keeps this empty."""
    return sorted(
        {p for patterns in ROLE_PERMISSIONS.values() for p in patterns if not expand([p], all_permissions)}
    )


def sync_role_permissions(sender=None, using="default", **kwargs):
    """Give every role group exactly the permissions of the table (idempotent; runs after migrate)."""
    from django.contrib.auth.models import Group, Permission

    permissions = {
        f"{app}.{codename}": pk
        for pk, app, codename in Permission.objects.using(using).values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    for role, patterns in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=role)
        wanted = {permissions[name] for name in expand(patterns, permissions)}
        group.permissions.set(wanted)


def model_permission(model, verb: str) -> str:
    """``"app.<verb>_<model>"``: the permission Django gives ``model`` for ``verb`` (view, add, change, delete)."""
    return f"{model._meta.app_label}.{verb}_{model._meta.model_name}"


def has(user, permission: str) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(permission))


def require(user, permission: str, message: str | None = None) -> None:
    """Raise ``NotAllowed`` unless ``user`` holds ``permission``; log the refusal."""
    if not has(user, permission):
        security_log.warning("refused: user=%s permission=%s", getattr(user, "username", None), permission)
        raise NotAllowed(message or _("You do not have the permission to do this."))


def require_other_person(actor, maker, message: str | None = None) -> None:
    """Four-eyes: the person who made something cannot check it."""
    if maker is not None and actor is not None and getattr(maker, "pk", maker) == actor.pk:
        security_log.warning("refused four-eyes: user=%s", actor.username)
        raise NotAllowed(message or _("Four-eyes rule: you cannot approve what you made yourself."))


def roles_of(user) -> list[str]:
    if not user or not user.is_authenticated:
        return []
    if not hasattr(user, "_portal_roles"):
        user._portal_roles = [g.name for g in user.groups.all()]
    return user._portal_roles


def has_role(user, role: str) -> bool:
    return role in roles_of(user)
