"""The credit rules as plain functions: required approval levels, policy check, collateral, limit arithmetic.

Nothing here touches the database; services load the rows, call these functions and store the results,
so every rule is unit-tested on its own and lives in one place. One module per section, every name
re-exported here (``from credit import rules``; ``rules.policy_check``); like all of ``credit.rules`` they import
no Django, no portal machinery and no other app (import-linter).
"""
from ._common import (  # noqa: F401
    CENT, DEFAULT_GRADES, ZERO, default_grade_rank, q2,
)
from .authority import (  # noqa: F401
    Authority, Level, NO_AUTHORITY, RequiredLevels, authority, capped_level, delegation_active, required_levels,
)
from .exposure import (  # noqa: F401
    coverage_ratio, customer_exposure, exposure_after, facility_exposure, lendable_value, pending_addition,
    secured_value,
)
from .policy import (  # noqa: F401
    COMPARISONS, EQUITY_DENOMINATED, GradeRule, HARD, LimitCheck, PolicyResult, SOFT, Violation, covenant_holds,
    free_limit, limit_decision, policy_check, utilisation_share,
)
from .sizing import (  # noqa: F401
    DAYS_PER_MONTH, LimitSizing, SIZING_EQUITY, SIZING_METHODS, SIZING_REVENUE, SIZING_SALES_DAYS,
    monthly_credit_sales, order_term_exception, size_limit,
)
from .holds import (  # noqa: F401
    DEFAULT_OVERDUE_TOLERANCE_DAYS, HOLD_OVERDUE, HOLD_OVER_LIMIT, HOLD_REASONS, hold_needed, hold_reasons,
    order_refusals,
)
from .security import (  # noqa: F401
    DEFAULT_HAIRCUTS, DEFAULT_RECOVERY_FACTORS, EXTERNAL_RATING_VALID_MONTHS, REVALUATION_DUE_WINDOW_DAYS, UNRATED,
    counted_guarantee, cycle_kind, effective_haircut, external_to_master, guarantee_cycles, guarantor_grade,
    haircut_needs_reason, recovery_factor, revaluation_status,
)


