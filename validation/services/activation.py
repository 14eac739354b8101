"""Activation after a simulation."""
from __future__ import annotations

from django.utils.translation import gettext as _

from creditportal.core.errors import Conflict, ValidationFailed

from ..models import RunStatus, Simulation


def simulation_activate(*, actor, simulation: Simulation, kind: str | None = None):
    """Activate the simulated version through its own app's service (four-eyes there).

    Only a finished simulation of a version that is still a draft leads to activation."""
    sim = Simulation.objects.select_related("rating_model", "credit_policy").get(pk=simulation.pk)
    if kind is not None and sim.kind != kind:
        raise ValidationFailed(_("This simulation is of another kind of version."))
    if sim.status != RunStatus.FINISHED:
        raise Conflict(_("Wait for the simulation to finish before activating the version."))
    if sim.kind == Simulation.Kind.RATING_MODEL:
        from ratings.services import model_activate

        return model_activate(actor=actor, model=sim.rating_model)
    from credit.services import policy_activate

    return policy_activate(actor=actor, policy=sim.credit_policy)
