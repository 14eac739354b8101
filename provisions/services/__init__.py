"""Every write of the ECL app: month-end snapshots, scenarios (four-eyes), impaired assessments, the ECL
run (propose → approve by another person → lock) and the audited downloads of the disclosure.

A package of sections (``snapshots``, ``scenarios``, ``assessments``, ``runs``; shared helpers in ``_common``);
callers keep ``from provisions import services; services.x(...)``. The arithmetic is in ``provisions.rules``
(no Django); the reads in ``provisions.selectors``.
"""
from ._common import ZERO  # noqa: F401
from .snapshots import snapshot_take, snapshot_digest, snapshot_verify, snapshots_take_back  # noqa: F401
from .scenarios import (  # noqa: F401
    SCENARIO_KEY,
    scenario_set_propose,
    scenario_set_approve,
    scenario_set_reject,
    scenario_set_withdraw,
)
from .assessments import impaired_assess, evidence_upload, evidence_open  # noqa: F401
from .runs import (  # noqa: F401
    LINE_COLUMNS,
    _bucket_rates,
    ecl_run_propose,
    ecl_run_approve,
    ecl_run_reject,
    ecl_run_lock,
    disclosure_downloaded,
)
