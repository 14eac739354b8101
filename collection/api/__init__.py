"""REST API of the collection app: receivables, cases with their transitions, promises, activities, aging, dunning.

One module per section (``receivables``, ``cases``, ``dunning``); ``register(router)`` adds every route.
"""
from .receivables import (  # noqa: F401
    InvoiceSerializer, InvoiceDetailSerializer, AllocationLineSerializer, PaymentSerializer, ClaimPayoutSerializer,
    InvoiceViewSet, PaymentViewSet, ClaimPayoutViewSet, AgingViewSet,
)
from .cases import (  # noqa: F401
    CaseSerializer, CaseOpenSerializer, ActivitySerializer, PromiseSerializer, WriteOffSerializer, RecoverySerializer,
    CollectionNoteSerializer, CaseViewSet, WriteOffViewSet, ActivityViewSet, PromiseViewSet,
)
from .dunning import (  # noqa: F401
    DunningLevelSerializer, DunningPolicySerializer, DunningActionSerializer, DunningPolicyChangeSerializer,
    DunningPolicyViewSet, DunningPolicyChangeViewSet, DunningActionViewSet, DunningGradeSerializer,
    DunningGradeViewSet,
)
from . import cases, dunning, receivables


def register(router):
    for section in (receivables, cases, dunning):
        section.register(router)
