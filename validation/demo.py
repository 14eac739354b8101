"""Demo data of model validation (idempotent): a backtest of the active corporate model over the last two
years, and a draft copy of it (made by ``riskadmin``) simulated over the portfolio, so an approver can look
at the results and activate it (four-eyes)."""
import logging

from creditportal.core.errors import ServiceError
from ratings.models import RatingModel, RatingModelState
from ratings.selectors import months_before

from . import services
from .models import Simulation, ValidationRun

log = logging.getLogger(__name__)


def load(context):
    users = context["users"]
    admin = users.get("riskadmin")
    active = RatingModel.objects.filter(code="corporate", state=RatingModelState.ACTIVE).first()
    if admin is None or active is None:
        return context
    today = context["today"]
    try:
        if not ValidationRun.objects.exists():
            run = services.validation_run_start(actor=admin, model=active, period_start=months_before(today, 24),
                                                period_end=today, in_worker=False)
            services.validation_run_execute(run_id=run.pk)
        if not Simulation.objects.exists():
            from ratings import services as rating_services

            draft = RatingModel.objects.filter(code="corporate", state=RatingModelState.DRAFT).first()
            draft = draft or rating_services.model_new_version(actor=admin, model=active)
            sim = services.simulation_start(actor=admin, rating_model=draft, in_worker=False)
            services.simulation_execute(simulation_id=sim.pk)
    except ServiceError as error:
        log.warning("demo validation not completed: %s", error.message)
    return context
