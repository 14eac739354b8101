"""API of the credit app: thin viewsets, querysets from ``visible_to``, every write through ``services``.

Workflow transitions are POST actions named after the transition; a transition not allowed from the
current state (or lost to a concurrent one) answers 409.

The viewsets by section: ``applications`` (with covenant breaches), ``facilities`` (with orders),
``configuration``; ``register(router)`` adds their routes.
"""
from ._common import CreditViewSetMixin, User  # noqa: F401
from .applications import (  # noqa: F401
    APPLICATION_READ_FIELDS,
    ApplicationDetailSerializer,
    ApplicationSerializer,
    ApplicationViewSet,
    ApplicationWriteSerializer,
    CollateralSerializer,
    CommentSerializer,
    CovenantBreachSerializer,
    CovenantBreachViewSet,
    CovenantSerializer,
    DecisionSerializer,
    GuarantorSerializer,
)
from .facilities import (  # noqa: F401
    CheckSerializer,
    FacilitySerializer,
    FacilityViewSet,
    OrderSerializer,
    OrderViewSet,
    ReasonSerializer,
    ReduceSerializer,
    check_payload,
)
from .holds import HoldReleaseSerializer, HoldSerializer, HoldViewSet, order_check_payload  # noqa: F401
from .configuration import (  # noqa: F401
    ApproverAuthoritySerializer,
    ApproverAuthorityViewSet,
    AuthorityLevelSerializer,
    AuthorityLevelViewSet,
    DelegationSerializer,
    DelegationViewSet,
    GroupLimitSerializer,
    GroupLimitViewSet,
    PolicyRuleSerializer,
    PolicySerializer,
    PolicyViewSet,
    ConfigChangeViewSet,
    ProposeOnCreateMixin,
    ProposeOnWriteMixin,
)
from .security import (  # noqa: F401
    CollateralHaircutViewSet,
    HaircutChangeViewSet,
    RecoveryChangeViewSet,
    RecoveryFactorViewSet,
)


def register(router):
    router.register("applications", ApplicationViewSet, basename="credit-application")
    router.register("facilities", FacilityViewSet, basename="facility")
    router.register("orders", OrderViewSet, basename="order")
    router.register("credit-policies", PolicyViewSet, basename="credit-policy")
    router.register("authority-levels", AuthorityLevelViewSet, basename="authority-level")
    router.register("approver-authorities", ApproverAuthorityViewSet, basename="approver-authority")
    router.register("delegations", DelegationViewSet, basename="delegation")
    router.register("group-limits", GroupLimitViewSet, basename="group-limit")
    router.register("covenant-breaches", CovenantBreachViewSet, basename="covenant-breach")
    router.register("order-holds", HoldViewSet, basename="order-hold")
    # the security tables (issue 23)
    router.register("collateral-haircuts", CollateralHaircutViewSet, basename="collateral-haircut")
    router.register("collateral-haircut-changes", HaircutChangeViewSet, basename="collateral-haircut-change")
    router.register("recovery-factors", RecoveryFactorViewSet, basename="recovery-factor")
    router.register("recovery-factor-changes", RecoveryChangeViewSet, basename="recovery-factor-change")
