"""Panels of the group page (关联企业) that higher apps add at start-up (a ``creditportal.core.registry`` hook,
like ``customers.tabs``): credit adds the mutual and chain guarantees among the group's members::

    from customers.group_panels import GROUP_PANELS, GroupPanel

    GROUP_PANELS.add(GroupPanel("guarantees", "credit/group_guarantees.html", context_fn,
                                permission="credit.view_facility", order=100))

``context_fn(group, user, member_ids)`` returns the panel's template context (``member_ids``: the members the
user may see; the group was checked against ``CustomerGroup.objects.visible_to(user)``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from creditportal.core import registry


@dataclass(frozen=True)
class GroupPanel:
    key: str
    template_name: str
    context_fn: Callable[[Any, Any, list], dict]
    permission: str | None = None
    order: int = 100

    def visible_to(self, user) -> bool:
        return self.permission is None or user.has_perm(self.permission)


GROUP_PANELS: registry.Hook[GroupPanel] = registry.Hook("customers.group_panels", GroupPanel,
                                                        key=lambda p: p.key, order=lambda p: (p.order, p.key))


def panels_for(group, user, member_ids) -> list[dict]:
    """The panels ``user`` may see, rendered as ``{"template_name", "context"}``."""
    return [{"template_name": p.template_name, "context": p.context_fn(group, user, member_ids)}
            for p in GROUP_PANELS.all() if p.visible_to(user)]
