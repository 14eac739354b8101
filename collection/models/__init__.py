"""Receivables and collections: invoices, payments and their allocation, claim payouts, write-offs,
dunning policies and actions, collection cases with activities and promises to pay.

Amounts are ``Decimal`` (``AmountField``) with a currency. An invoice keeps three running totals that
services maintain under a row lock: ``paid_amount`` (allocations), ``written_off_amount`` (approved
write-offs); outstanding = amount − paid − written off. Scoping: every model's ``visible_to(user)``
reaches the customer, so a relationship manager sees their own portfolio only.

The models live in one module per section; every name is re-exported here, so
``from collection.models import X`` and the migrations keep working.
"""
from .receivables import (  # noqa: F401
    ZERO, InvoiceStatus, outstanding_expression, InvoiceQuerySet, Invoice, PaymentQuerySet, Payment, AllocationQuerySet, PaymentAllocation,
    ClaimPayoutKind, ClaimPayout,
)
from .dunning import (  # noqa: F401
    DunningActionKind, LETTER_KINDS, ESCALATION_KINDS, Language, DunningPolicy, DunningLevel, DUNNING_POLICY_FIELDS,
    DUNNING_LEVEL_FIELDS, DunningChangeKind, DunningPolicyChange, DunningActionQuerySet, DunningAction,
)
from .cases import (  # noqa: F401
    CaseState, ACTIVE_CASE_STATES, EscalationChannel, CaseQuerySet, CollectionCase, ActivityKind, CaseChildQuerySet,
    CollectionActivity, PromiseState, PromiseToPay,
)
from .writeoffs import (  # noqa: F401
    WriteOffState, WriteOff, WriteOffItem,
)
from .dunning_grades import DUNNING_LETTERS, DunningGradePolicy  # noqa: F401
from .aging import CustomerAging, AgingSummaryState  # noqa: F401
