"""Collection pages. Every object is looked up through ``visible_to(user)`` (another portfolio → 404); every
write goes through a service, whose refusals are shown next to the fields (the input is kept).

A package of sections (``receivables``, ``aging``, ``dunning``, ``cases``; the app's list and form page bases in
``_common``); ``urls.py`` keeps ``views.XView``.
"""
from ._common import BUCKET_LABELS, ObjectFormView, ServiceFormView, SortedFilteredListView  # noqa: F401
from .aging import AgingView  # noqa: F401
from .cases import (  # noqa: F401
    ActivityCreateView,
    CaseActionView,
    CaseAssignView,
    CaseCloseView,
    CaseDetailView,
    CaseEscalateView,
    CaseListView,
    CaseMarkPaidView,
    CaseOpenView,
    CaseStartView,
    PromiseCreateView,
    RecoveryCreateView,
    WorkQueueView,
    WriteOffDecideView,
    WriteOffListView,
    WriteOffProposeView,
)
from .dunning import (  # noqa: F401
    DunningActionListView,
    DunningLetterView,
    DunningLevelFormView,
    DunningPolicyCreateView,
    DunningPolicyEditView,
    DunningPolicyListView,
    DunningProposalMixin,
    DunningRunNowView,
    DunningRunStatusView,
    DunningTaskDoneView,
)
from .receivables import (  # noqa: F401
    ClaimPayoutCreateView,
    ClaimPayoutListView,
    ImportView,
    InvoiceCreateView,
    InvoiceDetailView,
    InvoiceImportView,
    InvoiceListView,
    PaymentCreateView,
    PaymentImportView,
    PaymentListView,
)
