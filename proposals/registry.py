"""The kinds of configuration change and how each one applies (registered by the app that owns the target).

An owning app registers its kinds in its ``services`` module (imported when its ``AppConfig`` is ready), so the
shared service in ``proposals.services`` applies a change through the owning app's own service without
importing that app (the dependency stays downward)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from creditportal.core import registry


@dataclass(frozen=True)
class ChangeKind:
    slug: str
    model: type
    #: (actor, locked change) → the object now in force; raises Conflict when the target moved meanwhile
    apply: Callable[[Any, Any], Any]
    #: the permission to propose and to decide a change of this kind (a callable when it depends on the change)
    permission: str | Callable[[Any], str]
    #: what it is, for people: "New warning rule overdue-45"
    title: Callable[[Any], str]
    #: the permission to propose, when it differs from the one to decide (an approver proposes a delegation)
    propose_permission: str | None = None
    #: the rows of the decision page: [{"label", "before", "after"}] (None: new / removed)
    rows: Callable[[Any], list[dict]] = lambda change: []
    #: the ids of the users the change is about: none of them may decide it (segregation of duties)
    subjects: Callable[[Any], Iterable[int]] = lambda change: ()
    #: the users who may not propose it (default: ``subjects``; the delegator proposes their own delegation)
    proposer_subjects: Callable[[Any], Iterable[int]] | None = None
    #: extra audit detail (the target's id)
    audit_extra: Callable[[Any], dict] = lambda change: {}
    #: the page a person uses to decide (default: the shared decision page)
    detail_url: Callable[[Any], str] | None = None
    #: where the kind's configuration is listed (for the home queue)
    list_url: str | None = None
    messages: dict = field(default_factory=dict)

    def permission_for(self, change) -> str:
        return self.permission(change) if callable(self.permission) else self.permission


#: the kinds, one per slug (a hook of ``creditportal.core.registry``, filled by the owning apps' services)
KINDS: registry.Hook[ChangeKind] = registry.Hook("proposals.kinds", ChangeKind, key=lambda kind: kind.slug)


def register(kind: ChangeKind) -> ChangeKind:
    return KINDS.add(kind)


_loaded = False


def _load():
    """Import every app's ``services`` module once (each registers its kinds there), so a page or task that
    meets a proposal before anything imported the owning app's services still finds its kind."""
    global _loaded
    if _loaded:
        return
    from creditportal.core.discovery import app_modules

    app_modules("services")
    _loaded = True


def get(slug: str) -> ChangeKind | None:
    if KINDS.get(slug) is None:
        _load()
    return KINDS.get(slug)


def kind_of(change) -> ChangeKind:
    kind = get(change.slug)
    if kind is None:
        raise LookupError(f"no configuration change kind {change.slug!r} is registered")
    return kind


def kinds() -> list[ChangeKind]:
    _load()
    return KINDS.all()
