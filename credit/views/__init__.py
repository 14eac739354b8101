"""Credit pages. Objects are looked up through ``visible_to(user)`` (another portfolio → 404); every write
goes through a service, whose refusals are shown to the user.

The pages by section: ``applications`` (work queue, applications), ``facilities``, ``configuration`` (policies,
authority matrix, delegations, group limits), ``customer_tab``; ``_common`` holds ``ConfigFormView``, the form
view every credit form page builds on (on ``creditportal.core.views.ServiceFormView``)."""
from ._common import ConfigFormView  # noqa: F401
from .applications import (  # noqa: F401
    ACTION_LABELS,
    ApplicationActionView,
    ApplicationCreateView,
    ApplicationDetailView,
    ApplicationEditView,
    ApplicationItemRemoveView,
    ApplicationItemView,
    ApplicationListView,
    ITEM_FIELDS,
    QueueView,
    guarantor_choices,
)
from .facilities import (  # noqa: F401
    FacilityActionView,
    FacilityChangeView,
    FacilityDetailView,
    FacilityListView,
    FacilityOrderReleaseView,
    FacilityOrderView,
    FacilityResumeView,
    FacilitySuspendView,
)
from .configuration import (  # noqa: F401
    ApproverAuthorityView,
    AuthorityLevelCreateView,
    AuthorityLevelEditView,
    DelegationCreateView,
    DelegationRevokeView,
    GroupLimitCreateView,
    GroupLimitEditView,
    GroupLimitListView,
    MatrixView,
    PolicyActivateView,
    PolicyCreateView,
    PolicyDetailView,
    PolicyEditView,
    PolicyListView,
    RULE_COLUMNS,
)
from .customer_tab import customer_credit_tab  # noqa: F401
from .security import (  # noqa: F401
    HaircutTableView,
    RecoveryTableView,
)
