"""Impaired (individual) assessments and their evidence files."""
from __future__ import annotations

import datetime as dt
import hashlib

from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record, audited_download
from creditportal.core import access
from creditportal.core.canonical import jsonable
from creditportal.core.errors import Conflict, ValidationFailed
from customers.services import require_visible

from .. import rules, selectors
from ..models import AssessmentEvidence, ImpairedAssessment
from ._common import ZERO, Action, _rule_error, _snapshot_of


@transaction.atomic
def impaired_assess(*, actor, customer, period: dt.date, reason: str, evidence: str = "",
                    collateral_value=ZERO, collateral_haircut=ZERO, guarantees=ZERO,
                    insurance_cover=ZERO, evidence_files=()) -> ImpairedAssessment:
    """Assess one credit-impaired customer for a month end (or flag one by hand): ECL = exposure − expected
    recoveries. Entered again for the same month, the assessment is replaced (audited before/after), unless
    the month is locked. ``evidence_files`` (uploads) are attached in the same transaction (``evidence_upload``):
    a refused file saves nothing."""
    access.require(actor, "provisions.assess_impaired")
    require_visible(actor, customer)
    if not (reason or "").strip():
        raise ValidationFailed(_("Say why the customer is credit-impaired and how the recoveries were estimated."),
                               field_errors={"reason": _("Enter the reason.")})
    if not isinstance(period, dt.date):
        raise ValidationFailed(_("Enter a month end."), field_errors={"period": _("Enter a month end.")})
    period = selectors.month_end(period)
    snapshot = _snapshot_of(period)
    if selectors.locked_run(period) is not None:
        raise Conflict(_("The ECL of %(month)s is locked: an assessment for it is entered with a correction run.")
                       % {"month": f"{period:%Y-%m}"})
    line = snapshot.lines.filter(customer_id=customer.pk).first()
    exposure = line.gross if line else ZERO
    try:
        values = {k: rules.as_decimal(v, k) for k, v in (("collateral_value", collateral_value),
                                                          ("collateral_haircut", collateral_haircut),
                                                          ("guarantees", guarantees),
                                                          ("insurance_cover", insurance_cover))}
        recoveries = rules.expected_recoveries(collateral=values["collateral_value"],
                                               haircut=values["collateral_haircut"],
                                               guarantees=values["guarantees"], insurance=values["insurance_cover"])
    except rules.RuleError as error:
        raise _rule_error(error) from None
    ecl = rules.individual_ecl(exposure, recoveries)
    existing = ImpairedAssessment.objects.select_for_update().filter(customer=customer, period=period).first()
    before = _assessment_dict(existing) if existing else None
    item = existing or ImpairedAssessment(customer=customer, period=period)
    item.exposure, item.expected_recoveries, item.ecl = exposure, recoveries, ecl
    for key, value in values.items():
        setattr(item, key, value)
    item.reason, item.evidence, item.created_by = reason.strip(), (evidence or "").strip()[:300], actor
    item.save()
    audit_record(actor=actor, action=Action.UPDATE if existing else Action.CREATE, obj=item,
                 verb="impaired_assess", before=before, after=_assessment_dict(item))
    for uploaded_file in evidence_files or ():
        evidence_upload(actor=actor, assessment=item, uploaded_file=uploaded_file)
    return item


def _assessment_dict(item) -> dict:
    return jsonable({"exposure": item.exposure, "collateral_value": item.collateral_value,
                     "collateral_haircut": item.collateral_haircut, "guarantees": item.guarantees,
                     "insurance_cover": item.insurance_cover, "expected_recoveries": item.expected_recoveries,
                     "ecl": item.ecl, "reason": item.reason, "evidence": item.evidence})


def evidence_upload(*, actor, assessment: ImpairedAssessment, uploaded_file, title: str = "") -> AssessmentEvidence:
    """Attach a file to an impaired assessment (valuation report, insolvency notice, guarantee letter...): its
    name, type, size and content are checked as for the customer documents, it is stored under a server-chosen
    name, hashed and audited. Refused for a locked month (the assessment is then final)."""
    # the customer documents' checks and storage (one home for upload validation)
    from customers.services.documents import _check_upload, _delete_file_unless_committed

    access.require(actor, "provisions.assess_impaired")
    require_visible(actor, assessment.customer)
    if selectors.locked_run(assessment.period) is not None:
        raise Conflict(_("The ECL of %(month)s is locked: its assessments take no more evidence.")
                       % {"month": f"{assessment.period:%Y-%m}"})
    name, _extension, content_type = _check_upload(uploaded_file)
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    evidence = AssessmentEvidence(assessment=assessment, customer_id=assessment.customer_id,
                                  title=(title or "").strip()[:200], original_name=name, content_type=content_type,
                                  size=uploaded_file.size, sha256=digest.hexdigest(), uploaded_by=actor)
    with transaction.atomic():
        evidence.file.save(name, uploaded_file, save=False)
        _delete_file_unless_committed(evidence.file.storage, evidence.file.name)
        evidence.save()
        audit_record(actor=actor, action=Action.UPLOAD, obj=evidence, verb="impaired_evidence_upload",
                     after={"assessment": assessment.pk, "customer": assessment.customer_id, "file": name,
                            "size": evidence.size, "sha256": evidence.sha256, "title": evidence.title})
    return evidence


def evidence_open(*, actor, evidence: AssessmentEvidence):
    """Open an evidence file for download after checking the actor may see impaired assessments and the
    customer; the download is audited."""
    return audited_download(actor=actor, obj=evidence, permission="provisions.view_impairedassessment",
                            file=evidence.file, name=evidence.original_name, sha256=evidence.sha256,
                            verb="impaired_evidence_download")
