"""Every write and rule of model validation and policy simulation.

* ``default_definition_update``   what counts as a default (grades, days past due, horizon)
* ``outcomes_import``             historical outcomes from CSV: every row valid, or nothing imported
* ``validation_run_start`` / ``validation_run_execute``   a backtest of a model version over a period
* ``simulation_start`` / ``simulation_execute``           a dry run of a draft rating model or credit policy
* ``simulation_activate``         after looking at a finished simulation, activate the version through
                                  ``ratings.services.model_activate`` / ``credit.services.policy_activate``
                                  (their four-eyes rules apply; nothing is duplicated here)

Runs and simulations execute in Celery (``validation.tasks``), in chunks, as their own rows: they write
nothing but their results. A simulation never writes a rating, a model, a policy or a facility."""
from .default_definition import default_definition_update
from .outcomes import MAX_IMPORT_ROWS, TRUE_WORDS, FALSE_WORDS, COLUMNS, outcomes_import
from .backtest import (validation_run_start, months_after, defaulted_after, grade_on, compute_backtest,
                       validation_run_execute, report_downloaded)
from .simulations import ZERO, MAX_LISTED, DEFAULT_LGD, simulation_start, simulation_execute
from .activation import simulation_activate

__all__ = ["default_definition_update", "MAX_IMPORT_ROWS", "TRUE_WORDS", "FALSE_WORDS", "COLUMNS", "outcomes_import",
           "validation_run_start", "months_after", "defaulted_after", "grade_on", "compute_backtest",
           "validation_run_execute", "report_downloaded", "ZERO", "MAX_LISTED", "DEFAULT_LGD", "simulation_start",
           "simulation_execute", "simulation_activate"]
