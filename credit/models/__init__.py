"""Credit: policies, the authority matrix, applications and their approval workflow, facilities, orders.

State machines use django-fsm-2 (``FSMField(protected=True)`` on a ``modelbase.StateMachine``); the
transitions (``modelbase.state_change``) only change the state: every rule, permission check, row lock and audit record lives in
``credit.services``. Object scoping: ``visible_to(user)`` follows ``customers.Customer.visible_to``.

The models live in one module per section; every name is re-exported here, so
``from credit.models import X`` and the migrations keep working.
"""
from .policy import (  # noqa: F401
    GRADE_CHOICES, SIZING_CHOICES, CreditPolicy, PolicyGradeRule,
)
from .authority import (  # noqa: F401
    AuthorityLevel, ApproverAuthority, DelegationQuerySet, Delegation, GroupLimit,
)
from .applications import (  # noqa: F401
    ApplicationQuerySet, CreditApplication, Collateral, Guarantor, Covenant, CovenantBreach, Decision,
)
from .facilities import (  # noqa: F401
    Facility, OrderQuerySet, Order,
)
from .holds import (  # noqa: F401
    CustomerHold, HoldQuerySet,
)
from .collateral import (  # noqa: F401
    CollateralHaircut, CollateralHaircutChange, RecoveryFactor, RecoveryFactorChange,
)
