"""The navigation menu: each app declares its entries in ``<app>/navigation.py`` as ``MENU``.

An entry is shown only to users holding its permission, so the menu shows what the role may do (the
server still checks every request).

The top bar holds one line at 1366 px (issue 21): an app whose menu is small or seldom used declares
``within=<key of another group>`` and shows as a section (a header and its links) at the end of that group's
menu — outside information under Customers, credit insurance under Credit, expected credit loss under
Monitoring, model validation under Ratings, audit under Reports. When the user may use nothing of the host
group, the section is a group of its own, at its own place.
"""
from dataclasses import dataclass, field
from functools import cache

from django.urls import NoReverseMatch

from .discovery import app_modules
from .links import url_of


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    permission: str | tuple[str, ...] | None = None  # None: any signed-in user; a tuple: all of them


@dataclass(frozen=True)
class MenuGroup:
    label: str
    items: list = field(default_factory=list)
    order: int = 100
    key: str = ""  # the name other groups give in ``within``
    within: str = ""  # show as a section of the group of this key


@dataclass(frozen=True)
class MenuLink:
    """One link of a group's menu; ``section`` names the section it heads or belongs to ("": the group's own).
    It unpacks as ``label, url`` (the site map and the page sweep read it so)."""

    label: str
    url: str
    section: str = ""

    def __iter__(self):
        return iter((self.label, self.url))

    def __len__(self):
        return 2


@cache
def all_groups():
    groups = []
    for _app, module in app_modules("navigation"):
        groups.extend(getattr(module, "MENU", []))
    return sorted(groups, key=lambda g: g.order)


def _links(user, group):
    links = []
    for item in group.items:
        needed = (item.permission,) if isinstance(item.permission, str) else item.permission
        if needed and not user.has_perms(needed):
            continue
        try:
            links.append(MenuLink(item.label, url_of(item.url_name)))
        except NoReverseMatch:
            continue
    return links


def menu_for(user):
    """[(group label, [MenuLink])] that ``user`` may use, sections (``within``) inside their host group."""
    if not user.is_authenticated:
        return []
    groups = all_groups()
    hosts = {g.key: g for g in groups if g.key and not g.within}
    own = {id(g): _links(user, g) for g in groups}
    result, placed = [], {}
    for group in groups:
        host = hosts.get(group.within) if group.within else None
        if host is not None and own[id(host)]:
            continue  # shown inside its host, below
        if own[id(group)]:
            placed[group.key or id(group)] = (group.label, list(own[id(group)]))
            result.append(placed[group.key or id(group)])
    for group in groups:
        host = hosts.get(group.within) if group.within else None
        if host is not None and own[id(host)] and own[id(group)]:
            placed[host.key][1].extend(MenuLink(link.label, link.url, str(group.label)) for link in own[id(group)])
    return result
