"""The home-page queue of configuration changes waiting for a second person (never shown to the proposer, nor
to a user the change is about). ``pending_panel`` serves every kind; the kinds with their own table (dunning,
warning rules, provision rates) call it from their app's ``home.py``."""
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from creditportal.core import access, clock
from creditportal.core.formatting import person

from . import registry, services
from .models import Proposal


def pending_for(user, model):
    """The open proposals of ``model`` that ``user`` may decide, oldest first."""
    return [c for c in services.pending(model) if services.may_decide(user, c)]


def pending_panel(user, model, *, title, url, label=None, item_url=None, always=False):
    """One panel of ``model``'s proposals ``user`` may decide (none: no panel, unless ``always``: the empty
    queue shown as such, for the people whose work it is)."""
    rows = pending_for(user, model)
    if not rows and not always:
        return []
    today = clock.today()
    return [{
        "title": title, "count": len(rows), "url": url,
        "items": [{"label": label(c) if label else _("%(change)s, proposed by %(user)s") % {
                       "change": registry.kind_of(c).title(c), "user": person(c.proposed_by)},
                   "url": item_url(c) if item_url else reverse("proposals:detail", args=[c.pk]),
                   "age_days": (today - timezone.localdate(c.proposed_at)).days} for c in rows[:10]],
    }]


def home_panels(user):
    if not user.has_perm("proposals.view_proposal"):
        return []
    # a risk administrator's first queue: shown even when empty (the home is a work queue, not a site map)
    return pending_panel(user, Proposal, title=_("Configuration changes awaiting my approval"),
                         url=reverse("proposals:list") + "?state=proposed",
                         always=access.has_role(user, access.RISK_ADMIN))
