"""Every django-fsm transition in the project writes an audit event.

The transitions are listed from the models (every ``FSMField`` and ``get_all_<field>_transitions``). Each one
must be performed by a service in its app's ``services`` module (or the named app's, ``app:function``) that writes the audit trail (``audit_record``,
``audit_changes`` or ``AuditEvent`` rows) itself or through a helper of the same module; ``SERVICES`` names
the service for each transition (a new transition without an entry fails here). A representative flow is run
for real and its audit entries are checked (credit applications, ratings, facilities).
"""
import ast
import importlib
import inspect
import pkgutil

import pytest
from django.apps import apps
from django_fsm import FSMField

from tests.credit.conftest import (  # noqa: F401 - fixtures for the flow below
    customer, fx, make_customer, matrix, new_application, policy, ratings_stub, setup, to_pending)

AUDIT_CALLS = {"audit_record", "audit_changes", "AuditEvent", "audited_transition", "audited_update"}  # audit.services

# (model label, transition) → the service that performs it.
SERVICES = {
    ("ratings.RatingModel", "activate"): "model_activate",
    ("ratings.RatingModel", "retire"): "model_retire",
    ("ratings.Rating", "approve"): "rating_approve",
    ("ratings.Rating", "reject"): "rating_reject",
    ("ratings.Rating", "return_to_maker"): "rating_return",
    ("ratings.Rating", "submit"): "rating_submit",
    ("ratings.Rating", "supersede"): "rating_approve",
    ("credit.CreditPolicy", "activate"): "policy_activate",
    ("credit.CreditPolicy", "supersede"): "policy_activate",
    ("credit.CreditApplication", "submit"): "application_submit",
    ("credit.CreditApplication", "start_review"): "application_start_review",
    ("credit.CreditApplication", "recommend"): "application_recommend",
    ("credit.CreditApplication", "route_to_approval"): "application_recommend",
    ("credit.CreditApplication", "approve_level"): "application_approve",
    ("credit.CustomerHold", "release"): "hold_release",  # and holds_evaluate (automatic, the same helper)
    ("credit.CreditApplication", "approve_final"): "application_approve",
    ("credit.CreditApplication", "open_facility"): "application_approve",
    ("credit.CreditApplication", "reject"): "application_reject",
    ("credit.CreditApplication", "return_to_manager"): "application_return",
    ("credit.CreditApplication", "withdraw"): "application_withdraw",
    ("credit.Facility", "expire"): "facilities_expire_due",
    ("credit.Facility", "suspend"): "facility_suspend",
    ("credit.Facility", "resume"): "facility_resume",
    ("credit.Facility", "close"): "facility_close",
    ("collection.Invoice", "settle"): "payment_post",  # audited as the payment (with its allocations)
    ("collection.Invoice", "write_off"): "writeoff_approve",
    ("collection.CollectionCase", "start"): "case_start",
    ("collection.CollectionCase", "escalate"): "case_escalate",
    ("collection.CollectionCase", "promise"): "promise_add",
    ("collection.CollectionCase", "promise_broken"): "promises_evaluate",
    ("collection.CollectionCase", "mark_paid"): "case_mark_paid",
    ("collection.CollectionCase", "close"): "case_close",
    ("collection.CollectionCase", "write_off"): "writeoff_approve",
    ("collection.PromiseToPay", "break_"): "promises_evaluate",
    ("collection.PromiseToPay", "keep"): "promises_evaluate",
    ("collection.PromiseToPay", "cancel"): "promise_add",
    ("collection.WriteOff", "approve"): "writeoff_approve",
    ("collection.WriteOff", "reject"): "writeoff_reject",
    ("collection.DunningPolicyChange", "approve"): "proposals:change_approve",
    ("collection.DunningPolicyChange", "reject"): "proposals:change_reject",
    ("collection.DunningPolicyChange", "withdraw"): "proposals:change_withdraw",
    ("monitoring.Alert", "acknowledge"): "alert_start_action",
    ("monitoring.Alert", "dismiss"): "alert_dismiss",
    ("monitoring.Alert", "resolve"): "alert_resolve",
    ("monitoring.AssetClassification", "approve"): "classification_approve",
    ("monitoring.AssetClassification", "reject"): "classification_reject",
    ("monitoring.AssetClassification", "request_reclassification"): "classification_request",
    ("credit.CollateralHaircutChange", "approve"): "proposals:change_approve",
    ("credit.CollateralHaircutChange", "reject"): "proposals:change_reject",
    ("credit.CollateralHaircutChange", "withdraw"): "proposals:change_withdraw",
    ("credit.RecoveryFactorChange", "approve"): "proposals:change_approve",
    ("credit.RecoveryFactorChange", "reject"): "proposals:change_reject",
    ("credit.RecoveryFactorChange", "withdraw"): "proposals:change_withdraw",
    ("monitoring.ProvisionRateChange", "approve"): "proposals:change_approve",
    ("monitoring.ProvisionRateChange", "reject"): "proposals:change_reject",
    ("monitoring.ProvisionRateChange", "withdraw"): "proposals:change_withdraw",
    ("monitoring.WarningRuleChange", "approve"): "proposals:change_approve",
    ("monitoring.WarningRuleChange", "reject"): "proposals:change_reject",
    ("monitoring.WarningRuleChange", "withdraw"): "proposals:change_withdraw",
    # every configuration change (proposals.ConfigChange) is decided by the one shared service
    ("proposals.Proposal", "approve"): "proposals:change_approve",
    ("proposals.Proposal", "reject"): "proposals:change_reject",
    ("proposals.Proposal", "withdraw"): "proposals:change_withdraw",
    ("provisions.EclRun", "approve"): "ecl_run_approve",
    ("provisions.EclRun", "reject"): "ecl_run_reject",
    ("provisions.EclRun", "lock"): "ecl_run_lock",
    ("provisions.ScenarioSet", "retire"): "_apply_scenario_change",
    ("provisions.ScenarioChange", "approve"): "proposals:change_approve",
    ("provisions.ScenarioChange", "reject"): "proposals:change_reject",
    ("provisions.ScenarioChange", "withdraw"): "proposals:change_withdraw",
    ("insurance.BuyerLimit", "grant"): "buyer_limit_grant",
    ("insurance.BuyerLimit", "reduce"): "buyer_limit_reduce",
    ("insurance.BuyerLimit", "withdraw"): "buyer_limit_withdraw",
    ("insurance.BuyerLimit", "expire"): "buyer_limits_expire",
    ("insurance.InsuranceClaim", "accept"): "claim_accept",
    ("insurance.InsuranceClaim", "pay"): "claim_pay",
    ("insurance.InsuranceClaim", "reject"): "claim_reject",
}


def all_transitions():
    found = set()
    for model in apps.get_models():
        for field in model._meta.fields:
            if isinstance(field, FSMField):
                for t in getattr(model, f"get_all_{field.name}_transitions")(model()):
                    found.add((model._meta.label, t.name))
    return found


def _sources(module):
    """The module's source; a package's (``services/`` split by section) is that of every module in it."""

    if not hasattr(module, "__path__"):
        return [inspect.getsource(module)]
    return [inspect.getsource(module)] + [inspect.getsource(importlib.import_module(f"{module.__name__}.{info.name}"))
                                          for info in pkgutil.iter_modules(module.__path__)]


class ModuleGraph:
    """Per function of a module: the names it calls or mentions, and whether it audits (transitively)."""

    def __init__(self, module):
        self.functions = {}
        for source in _sources(module):
            tree = ast.parse(source)
            self.functions.update({n.name: n for n in ast.walk(tree)
                                   if isinstance(n, (ast.FunctionDef, ast.Lambda.__base__))
                                   and isinstance(n, ast.FunctionDef)})
        self.names, self.strings = {}, {}
        for name, fn in self.functions.items():
            names, strings = set(), set()
            for node in ast.walk(fn):
                if isinstance(node, ast.Attribute):
                    names.add(node.attr)
                elif isinstance(node, ast.Name):
                    names.add(node.id)
                elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                    strings.add(node.value)
            self.names[name], self.strings[name] = names, strings

    def reach(self, name):
        seen, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current in seen or current not in self.functions:
                continue
            seen.add(current)
            todo.extend(n for n in self.names[current] if n in self.functions)
        return seen

    def audits(self, name):
        return any(self.names[f] & AUDIT_CALLS for f in self.reach(name))

    def performs(self, name, transition):
        return any(transition in self.names[f] or transition in self.strings[f] for f in self.reach(name))


def test_every_transition_has_an_audited_service():
    transitions = all_transitions()
    assert len(transitions) >= 40
    missing = sorted(transitions - set(SERVICES))
    assert missing == [], f"transitions without a service in SERVICES: {missing}"
    stale = sorted(set(SERVICES) - transitions)
    assert stale == [], f"SERVICES names transitions that no longer exist: {stale}"
    graphs, problems = {}, []
    for (label, transition), service in sorted(SERVICES.items()):
        app = label.split(".")[0]
        if ":" in service:  # performed by another app's service ("app:function"), e.g. the shared proposals
            app, service = service.split(":")
        if app not in graphs:
            graphs[app] = ModuleGraph(importlib.import_module(f"{app}.services"))
        graph = graphs[app]
        if service not in graph.functions:
            problems.append(f"{label}.{transition}: {app}.services.{service} does not exist")
        elif not graph.performs(service, transition):
            problems.append(f"{label}.{transition}: {service} does not perform it")
        elif not graph.audits(service):
            problems.append(f"{label}.{transition}: {service} writes no audit event")
    assert problems == [], problems


@pytest.mark.django_db
def test_a_credit_application_flow_leaves_an_audit_entry_per_transition(setup, new_application, to_pending):
    """Run a representative flow for real: each transition leaves an audit entry on the application."""
    from audit.models import AuditEvent

    app = to_pending(new_application(amount="25000000"))
    from credit import services

    services.application_approve(actor=setup.users["approver2"], application=app, comment="ok")
    verbs = set(AuditEvent.objects.filter(object_type="credit.creditapplication", object_id=str(app.pk))
                .values_list("verb", flat=True))
    for transition in ("submit", "start_review", "recommend"):
        assert any(transition in v for v in verbs), (transition, verbs)
    assert any("approve" in v for v in verbs), verbs
