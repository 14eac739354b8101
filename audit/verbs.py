"""What each audit verb means, in the reader's language (the trail stores the code: ``rating_report``).

Verbs are written by the services of every app; the labels live here, in the lowest app, so the trail page
needs no higher app. A verb with no label is shown as its code with spaces; exports (``<list>_csv`` /
``<list>_xlsx``) and escalations (``escalate_<channel>``) are labelled by their pattern."""
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

VERB_LABELS = {
    "activate": pgettext_lazy("audit verb", "activated"),
    "deactivate": pgettext_lazy("audit verb", "deactivated"),
    "retire": pgettext_lazy("audit verb", "retired"),
    "new_version": pgettext_lazy("audit verb", "new version"),
    "approve": pgettext_lazy("audit verb", "approved"),
    "reject": pgettext_lazy("audit verb", "rejected"),
    "return": pgettext_lazy("audit verb", "returned to the maker"),
    "submit": pgettext_lazy("audit verb", "submitted"),
    "supersede": pgettext_lazy("audit verb", "superseded"),
    "override": pgettext_lazy("audit verb", "grade overridden"),
    "expert_score": pgettext_lazy("audit verb", "expert score"),
    "refresh_inputs": pgettext_lazy("audit verb", "inputs read again"),
    "recommend": pgettext_lazy("audit verb", "recommended"),
    "start_review": pgettext_lazy("audit verb", "review started"),
    "withdraw": pgettext_lazy("audit verb", "withdrawn"),
    "open_facility": pgettext_lazy("audit verb", "facility opened"),
    "suspend": pgettext_lazy("audit verb", "suspended"),
    "resume": pgettext_lazy("audit verb", "resumed"),
    "close": pgettext_lazy("audit verb", "closed"),
    "cancel": pgettext_lazy("audit verb", "cancelled"),
    "expire": pgettext_lazy("audit verb", "expired"),
    "revoke": pgettext_lazy("audit verb", "revoked"),
    "reduce_limit": pgettext_lazy("audit verb", "limit reduced"),
    "reassign": pgettext_lazy("audit verb", "reassigned"),
    "acknowledge": pgettext_lazy("audit verb", "acknowledged"),
    "resolve": pgettext_lazy("audit verb", "resolved"),
    "dismiss": pgettext_lazy("audit verb", "dismissed"),
    "start": pgettext_lazy("audit verb", "started"),
    "language": pgettext_lazy("audit verb", "language chosen"),
    "password_change": pgettext_lazy("audit verb", "password changed"),
    "alert_raised": pgettext_lazy("audit verb", "alert raised"),
    "alerts_evaluate": pgettext_lazy("audit verb", "warning rules evaluated"),
    "classification_run": pgettext_lazy("audit verb", "classification run"),
    "request_reclassification": pgettext_lazy("audit verb", "reclassification requested"),
    "approve_reclassification": pgettext_lazy("audit verb", "reclassification approved"),
    "reject_reclassification": pgettext_lazy("audit verb", "reclassification rejected"),
    "provision_run": pgettext_lazy("audit verb", "provision run"),
    "batch_start": pgettext_lazy("audit verb", "batch started"),
    "batch_finished": pgettext_lazy("audit verb", "batch finished"),
    "chain_check": pgettext_lazy("audit verb", "audit chain checked"),
    "batch_resumed": pgettext_lazy("audit verb", "stalled batch resumed"),
    "batch_stalled_failed": pgettext_lazy("audit verb", "stalled batch failed"),
    "retry_batch": pgettext_lazy("audit verb", "batch retried"),
    "build_batch": pgettext_lazy("audit verb", "batch built"),
    "request_batch": pgettext_lazy("audit verb", "batch requested"),
    "report_batch": pgettext_lazy("audit verb", "report batch"),
    "task_done": pgettext_lazy("audit verb", "task done"),
    "dunning_run": pgettext_lazy("audit verb", "dunning run"),
    "dunning_run_now": pgettext_lazy("audit verb", "dunning run started by hand"),
    "dunning_executed": pgettext_lazy("audit verb", "dunning action done"),
    "dunning_letter": pgettext_lazy("audit verb", "dunning letter"),
    "promise": pgettext_lazy("audit verb", "promise to pay"),
    "promise_kept": pgettext_lazy("audit verb", "promise kept"),
    "promise_broken": pgettext_lazy("audit verb", "promise broken"),
    "promise_replaced": pgettext_lazy("audit verb", "promise replaced"),
    "promise_cancelled_by_write_off": pgettext_lazy("audit verb", "promise cancelled by a write-off"),
    "escalate_after_broken_promises": pgettext_lazy("audit verb", "escalated after broken promises"),
    "recovery": pgettext_lazy("audit verb", "recovery"),
    "invoices_import": pgettext_lazy("audit verb", "invoices imported"),
    "payments_import": pgettext_lazy("audit verb", "payments imported"),
    "statements_import": pgettext_lazy("audit verb", "statements imported"),
    "outcomes_import": pgettext_lazy("audit verb", "outcomes imported"),
    "rating_report": pgettext_lazy("audit verb", "rating report"),
    "approval_memo": pgettext_lazy("audit verb", "approval memo"),
    "statement_of_account": pgettext_lazy("audit verb", "statement of account"),
    "portfolio_report": pgettext_lazy("audit verb", "portfolio report"),
    "validation_report_pdf": pgettext_lazy("audit verb", "validation report"),
    "generate": pgettext_lazy("audit verb", "generated"),
    "validation_start": pgettext_lazy("audit verb", "validation started"),
    "validation_finished": pgettext_lazy("audit verb", "validation finished"),
    "simulation_start": pgettext_lazy("audit verb", "simulation started"),
    "simulation_finished": pgettext_lazy("audit verb", "simulation finished"),
    "new_data_proposal": pgettext_lazy("audit verb", "proposal on new data"),
    "agingsnapshot_take": pgettext_lazy("audit verb", "month-end aging snapshot taken"),
    "scenarioset_propose": pgettext_lazy("audit verb", "ECL scenarios proposed"),
    "scenarioset_approve": pgettext_lazy("audit verb", "ECL scenarios approved"),
    "scenarioset_reject": pgettext_lazy("audit verb", "ECL scenarios rejected"),
    "impaired_assess": pgettext_lazy("audit verb", "impaired customer assessed"),
    "impaired_evidence_upload": pgettext_lazy("audit verb", "evidence of an impaired assessment uploaded"),
    "impaired_evidence_download": pgettext_lazy("audit verb", "evidence of an impaired assessment downloaded"),
    "scenarioset_in_force": pgettext_lazy("audit verb", "ECL scenarios put in force"),
    "scenarioset_retire": pgettext_lazy("audit verb", "ECL scenarios retired"),
    "eclrun_propose": pgettext_lazy("audit verb", "ECL run proposed"),
    "eclrun_approve": pgettext_lazy("audit verb", "ECL run approved"),
    "eclrun_reject": pgettext_lazy("audit verb", "ECL run rejected"),
    "eclrun_lock": pgettext_lazy("audit verb", "ECL month locked"),
    # credit insurance
    "buyerlimit_grant": pgettext_lazy("audit verb", "buyer limit granted by the insurer"),
    "buyerlimit_reduce": pgettext_lazy("audit verb", "buyer limit reduced by the insurer"),
    "buyerlimit_withdraw": pgettext_lazy("audit verb", "buyer limit withdrawn by the insurer"),
    "buyerlimit_expire": pgettext_lazy("audit verb", "buyer limit expired"),
    "claim_accept": pgettext_lazy("audit verb", "insurance claim accepted"),
    "claim_pay": pgettext_lazy("audit verb", "insurance claim paid"),
    "claim_reject": pgettext_lazy("audit verb", "insurance claim rejected"),
    "claim_link": pgettext_lazy("audit verb", "insurance claim linked to the payout and write-off"),
    # order holds (issue 23)
    "hold_place": pgettext_lazy("audit verb", "deliveries held"),
    "hold_reasons": pgettext_lazy("audit verb", "reasons for the hold changed"),
    "hold_release_spent": pgettext_lazy("audit verb", "manual release of a hold ended (its causes cleared)"),
    "release": pgettext_lazy("audit verb", "released"),
    # the credit file (issue 24)
    "peer_statistics_refresh": pgettext_lazy("audit verb", "peer quartiles computed"),
    "statement_sheet_import": pgettext_lazy("audit verb", "statements imported from a spreadsheet"),
}

EXPORT_FORMATS = {"csv": "CSV", "xlsx": "XLSX"}


def verb_label(verb: str) -> str:
    """``rating_report`` → "评级报告" / "rating report"; ``customers_csv`` → "export (CSV): customers"."""
    if not verb:
        return ""
    if verb in VERB_LABELS:
        return str(VERB_LABELS[verb])
    head, _sep, tail = verb.rpartition("_")
    if head and tail in EXPORT_FORMATS:
        return str(_("export (%(format)s): %(list)s") % {"format": EXPORT_FORMATS[tail], "list": head.replace("_", " ")})
    if verb.startswith("escalate_"):
        return str(_("escalated: %(channel)s") % {"channel": verb.removeprefix("escalate_").replace("_", " ")})
    return verb.replace("_", " ")
