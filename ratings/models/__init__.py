"""Ratings: scales, versioned rating models and factors, ratings and their workflow, expert scores,
behaviour inputs, the ratings policy and the re-rating batches.

State machines (django-fsm, ``FSMField(protected=True)``; transitions are called only by services,
which check permissions, lock the row and write the audit trail):

    RatingModel   draft → active → retired
    Rating        proposed (nightly batch, system user) ┐
                  draft ───────────────────────────────┴→ submitted → approved → superseded
                                                          submitted → draft (returned) | rejected
                  proposed → rejected (dismissed)

The models live in one module per section; every name is re-exported here, so
``from ratings.models import X`` and the migrations keep working.
"""
from .scales import (  # noqa: F401
    LETTERS, RatingScale, ScaleGrade,
)
from .definitions import (  # noqa: F401
    RatingModelState, RatingModel, FactorKind, FactorMethod, FactorDirection, RatingFactor,
)
from .policy import (  # noqa: F401
    RatingsPolicy, CompetitorShare, BehaviourInputQuerySet, BehaviourInput,
)
from .batches import (  # noqa: F401
    BatchStatus, RatingBatch, RatingBatchChunk,
)
from .ratings import (  # noqa: F401
    RatingState, OPEN_STATES, EDITABLE_STATES, RatingQuerySet, Rating, ExpertScoreQuerySet, ExpertScore,
)
