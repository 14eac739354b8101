"""The rating mathematics as plain Python (no Django, no ``creditportal`` import).

* :mod:`.scale`      master scale: grades with score ranges and PD, roll-up to letters, validation
* :mod:`.behaviour`  the three behaviour indicators of the trade-credit model and their combination
* :mod:`.scorecard`  weighted factors, caps and vetoes: the model definition
* :mod:`.evaluation` the scorecard's result and its explanation

Everything works on ``Decimal`` and plain dicts, so a stored snapshot (canonical JSON) re-runs to the
identical result: ``evaluate(model_definition, inputs, engine_version=result["engine_version"])``. The engine
is versioned (``ENGINE_VERSION``): version 2 (issue 19) gives missing factors no weight and reports data
completeness; version 1 stays reachable so ratings made before reproduce exactly.
"""
from .behaviour import (BehaviourFacts, BehaviourResult, ClaimRow, InvoiceRow, Window, behaviour_window,
                        combine_letters, competitor_share_letter, days_late_letter, evaluate_behaviour,
                        net_collection_letter, payment_facts)
from .scale import Grade, Scale, ScaleError
from .evaluation import RatingResult, evaluate
from .scorecard import ENGINE_VERSION, EngineError, ModelDefinition

__all__ = [
    "BehaviourFacts", "BehaviourResult", "ClaimRow", "InvoiceRow", "Window", "behaviour_window", "payment_facts",
    "ENGINE_VERSION", "combine_letters", "competitor_share_letter", "days_late_letter",
    "evaluate_behaviour", "net_collection_letter", "Grade", "Scale", "ScaleError", "EngineError",
    "ModelDefinition", "RatingResult", "evaluate",
]
