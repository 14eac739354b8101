"""Collateral and guarantees, assessed (issue 23): the haircut table by type and the guarantors' recovery factors
by grade (four-eyes), the default haircut and revaluation date of each item, coverage with counted values, the
revaluations due, mutual and chain guarantees, and the pages and API refused to the roles that may not."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from credit import rules, security, services
from credit.models import CollateralHaircut, CreditApplication, RecoveryFactor
from creditportal.core.errors import Conflict, NotAllowed, ValidationFailed
from creditportal.core.money import RateTable
from tests.config import configured

pytestmark = pytest.mark.django_db


# --- the rules, by hand ----------------------------------------------------------------------------------

def test_haircut_and_recovery_rules_by_hand():
    assert rules.effective_haircut(None, D("0.4")) == D("0.4")
    assert rules.effective_haircut(D("0.5"), D("0.4")) == D("0.5")
    assert rules.haircut_needs_reason(D("0.3"), D("0.4")) and not rules.haircut_needs_reason(D("0.4"), D("0.4"))
    assert not rules.haircut_needs_reason(None, D("0.4"))
    assert rules.counted_guarantee(D("300000"), D("0.8")) == D("240000.00")
    assert rules.recovery_factor("ZZ", rules.DEFAULT_RECOVERY_FACTORS) == D("0")      # unknown grade: unrated
    assert rules.external_to_master("AA+") == "AA" and rules.external_to_master(" bbb- ") == "BBB"
    assert rules.external_to_master("Aa2") is None
    day = dt.date(2026, 6, 15)
    assert rules.guarantor_grade(customer_grade="BB", on_date=day) == ("BB", "portal")
    assert rules.guarantor_grade(mapped_grade="A", rated_on=dt.date(2025, 6, 15), on_date=day) == ("A", "external")
    assert rules.guarantor_grade(mapped_grade="A", rated_on=dt.date(2025, 6, 14), on_date=day) == ("unrated",
                                                                                                    "unrated")
    assert rules.guarantor_grade(on_date=day) == ("unrated", "unrated")


def test_revaluation_status_at_its_day():
    due = dt.date(2026, 7, 15)
    assert rules.revaluation_status(due, dt.date(2026, 6, 14)) == "ok"          # 31 days before
    assert rules.revaluation_status(due, dt.date(2026, 6, 15)) == "due"         # 30 days before
    assert rules.revaluation_status(due, due) == "due"
    assert rules.revaluation_status(due, dt.date(2026, 7, 16)) == "overdue"


def test_mutual_and_chain_guarantees_are_detected():
    # 1 and 2 guarantee each other; 3 → 4 → 5 → 3 is a chain; 6 → 7 is a plain guarantee
    edges = [(1, 2), (2, 1), (3, 4), (4, 5), (5, 3), (6, 7), (1, 3)]
    cycles = rules.guarantee_cycles(edges)
    assert cycles == [(1, 2), (3, 4, 5)]
    assert [rules.cycle_kind(c) for c in cycles] == ["mutual", "chain"]
    assert rules.guarantee_cycles([(1, 2), (2, 3)]) == []
    assert rules.guarantee_cycles([(2, 1), (1, 1)]) == []                      # a self-guarantee is no cycle


# --- default haircut, reason, revaluation date -------------------------------------------------------------

def test_default_haircut_and_revaluation_from_the_table(setup, new_application):
    app = new_application(collaterals=[
        {"kind": "receivables", "market_value": "500000", "currency": "CNY", "valuation_date": "2026-06-01"},
        {"kind": "equipment", "market_value": "200000", "currency": "CNY", "haircut": "0.6",
         "valuation_date": "2026-06-01"}])
    receivables, equipment = app.collaterals.order_by("id")
    assert receivables.haircut == D("0.4") and receivables.table_haircut == D("0.4")
    assert receivables.revaluation_due == dt.date(2026, 12, 1)                  # 6 months for receivables
    assert receivables.lendable_value == D("300000.00")
    assert equipment.haircut == D("0.6") and equipment.haircut_reason == ""    # larger than the table: allowed


def test_a_smaller_haircut_needs_a_reason(setup, new_application):
    item = {"kind": "inventory", "market_value": "100000", "currency": "CNY", "haircut": "0.2"}
    with pytest.raises(ValidationFailed, match="smaller haircut needs a reason") as info:
        new_application(collaterals=[item])
    assert "collaterals.haircut_reason" in info.value.field_errors
    assert not CreditApplication.objects.exists()
    app = new_application(collaterals=[{**item, "haircut_reason": "Bonded warehouse, monthly stock count"}])
    c = app.collaterals.get()
    assert c.haircut == D("0.2") and c.table_haircut == D("0.5") and c.haircut_reason.startswith("Bonded")


# --- coverage with haircuts and recovery factors (hand arithmetic) ---------------------------------------

def test_coverage_counts_haircuts_and_guarantor_recovery_factors(setup, new_application, make_customer,
                                                                 ratings_stub):
    guarantor = make_customer("担保客户有限公司")
    ratings_stub[guarantor.pk] = "BBB"                                         # recovery 0.80
    app = new_application(amount="2000000", collaterals=[
        {"kind": "real_estate", "market_value": "1000000", "currency": "CNY"}],  # table 0.30 → 700,000
        guarantors=[
            {"customer": guarantor.pk, "amount": "500000", "currency": "CNY"},     # 500,000 × 0.80 = 400,000
            {"outside_name": "中投保", "external_agency": "中诚信", "external_grade": "AA+",
             "external_rated_on": "2026-03-01", "amount": "200000", "currency": "CNY"},  # AA: 0.95 → 190,000
            {"outside_name": "无评级担保人", "amount": "100000", "currency": "CNY"}])   # unrated: 0
    items = security.security_by_application([app.pk])[app.pk]
    assert [(i.kind, i.factor, i.counted, i.grade) for i in items] == [
        ("collateral", D("0.7000"), D("700000.00"), ""),
        ("guarantee", D("0.8000"), D("400000.00"), "BBB"),
        ("guarantee", D("0.9500"), D("190000.00"), "AA"),
        ("guarantee", D("0.0000"), D("0.00"), "unrated")]
    secured = services.secured_amount(app, RateTable(dt.date(2026, 6, 15)))
    assert secured == D("1290000.00")
    assert rules.coverage_ratio(secured, app.amount) == D("0.6450")
    assert app.guarantors.get(outside_name="中投保").mapped_grade == "AA"


def test_approved_recovery_factor_changes_coverage(setup, new_application, users):
    app = new_application(amount="1000000", guarantors=[
        {"outside_name": "Guarantee Co", "external_agency": "Fitch", "external_grade": "BB",
         "external_rated_on": "2026-01-05", "amount": "1000000", "currency": "CNY"}])
    table = RateTable(dt.date(2026, 6, 15))
    assert services.secured_amount(app, table) == D("600000.00")                # BB: 0.60
    change = services.recovery_factors_propose(actor=users["riskadmin"], factors={"BB": "0.5"})
    assert services.secured_amount(app, table) == D("600000.00")                # not before the approval
    configured(change)
    assert services.secured_amount(app, table) == D("500000.00")


# --- four-eyes of both tables -----------------------------------------------------------------------------

def test_haircut_table_takes_four_eyes(setup, users, new_application):
    admin, other = users["riskadmin"], users["riskadmin2"]
    change = services.haircuts_propose(actor=admin, table={"real_estate": {"haircut": "0.35",
                                                                          "revaluation_months": 24}})
    assert not CollateralHaircut.objects.exists()
    assert security.current_haircuts()["real_estate"] == (D("0.3000"), 12)
    from proposals.services import change_approve

    with pytest.raises(NotAllowed):
        change_approve(actor=admin, change=change)
    with pytest.raises(NotAllowed):
        change_approve(actor=users["approver1"], change=change)
    change_approve(actor=other, change=change)
    assert security.current_haircuts()["real_estate"] == (D("0.3500"), 24)
    c = new_application(collaterals=[{"kind": "real_estate", "market_value": "100", "currency": "CNY",
                                      "valuation_date": "2026-06-15"}]).collaterals.get()
    assert c.haircut == D("0.35") and c.revaluation_due == dt.date(2028, 6, 15)


def test_a_table_changed_since_the_proposal_refuses_the_approval_and_a_change_is_audited(setup, users):
    """``proposals.tables``: only the rows that differ are proposed, with their values in force; an approval
    after the table moved is refused (propose again); an approval writes the rows and audits the table."""
    from audit.models import AuditEvent
    from proposals.services import change_approve

    admin, other = users["riskadmin"], users["riskadmin2"]
    unchanged = {"haircut": "0.3000", "revaluation_months": 12}
    change = services.haircuts_propose(actor=admin, table={
        "real_estate": {"haircut": "0.35", "revaluation_months": 24},
        "receivables": {"haircut": "0.4", "revaluation_months": 6}})
    assert change.values == {"real_estate": {"haircut": "0.3500", "revaluation_months": 24}}   # receivables: as is
    assert change.previous == {"real_estate": unchanged}
    CollateralHaircut.objects.create(kind="real_estate", haircut=D("0.25"), revaluation_months=12, updated_by=admin)
    with pytest.raises(Conflict):
        change_approve(actor=other, change=change)
    assert security.current_haircuts()["real_estate"] == (D("0.2500"), 12)
    CollateralHaircut.objects.filter(kind="real_estate").delete()
    change_approve(actor=other, change=change)
    event = AuditEvent.objects.filter(object_type="credit.collateralhaircut").latest("id")
    assert event.before["real_estate"] == unchanged
    assert event.after["real_estate"] == {"haircut": "0.3500", "revaluation_months": 24}


def test_table_proposals_refuse_bad_input_and_other_roles(setup, users):
    with pytest.raises(ValidationFailed):
        services.haircuts_propose(actor=users["riskadmin"], table={"real_estate": {"haircut": "1.5",
                                                                                   "revaluation_months": 12}})
    with pytest.raises(ValidationFailed):
        services.haircuts_propose(actor=users["riskadmin"], table={"gold": {"haircut": "0.1",
                                                                            "revaluation_months": 12}})
    with pytest.raises(ValidationFailed, match="nothing to change"):
        services.haircuts_propose(actor=users["riskadmin"], table={"deposit": {"haircut": "0",
                                                                               "revaluation_months": 12}})
    with pytest.raises(ValidationFailed):
        services.recovery_factors_propose(actor=users["riskadmin"], factors={"Z": "0.5"})
    for role in ("rm", "analyst", "approver1", "auditor"):
        with pytest.raises(NotAllowed):
            services.recovery_factors_propose(actor=users[role], factors={"A": "0.5"})
        with pytest.raises(NotAllowed):
            services.haircuts_propose(actor=users[role], table={"deposit": {"haircut": "0.1",
                                                                            "revaluation_months": 12}})
    assert not RecoveryFactor.objects.exists()


# --- revaluations due, guarantee cycles on the pages --------------------------------------------------------

def test_revaluations_due_are_listed(setup, new_application):
    app = new_application(collaterals=[
        {"kind": "securities", "market_value": "100", "currency": "CNY", "valuation_date": "2026-03-20"},  # 06-20
        {"kind": "real_estate", "market_value": "100", "currency": "CNY", "valuation_date": "2026-06-01"}])
    due = security.revaluations_due(customer_ids=[setup.customer.pk])
    assert [(r["collateral"].kind, r["status"], r["days"]) for r in due] == [("securities", "due", -5)]
    from creditportal.core import clock

    clock.set_today(dt.date(2026, 6, 21))
    assert [r["status"] for r in security.revaluations_due(application_ids=[app.pk])] == ["overdue"]



def test_revaluations_due_on_the_customer_and_facility_pages(setup, new_application, client_for):
    from credit.models import Facility

    app = new_application(collaterals=[
        {"kind": "securities", "market_value": "100", "currency": "CNY", "valuation_date": "2026-03-01"}])  # 06-01
    CreditApplication.objects.filter(pk=app.pk).update(status="facility_opened")
    facility = Facility.objects.create(customer=setup.customer, limit=D("100000"), currency="CNY",
                                       start_date=dt.date(2026, 1, 1), expiry_date=dt.date(2027, 1, 1),
                                       application=app)
    client = client_for(setup.users["rm"])
    tab = client.get(reverse("customers:customer_detail", args=[setup.customer.pk]) + "?tab=credit")
    assert 'id="revaluations-due"' in tab.content.decode() and "revaluation overdue" in tab.content.decode()
    page = client.get(reverse("credit:facility_detail", args=[facility.pk])).content.decode()
    assert 'id="revaluations-due"' in page and "2026-06-01" in page
    Facility.objects.filter(pk=facility.pk).update(status="closed")
    assert security.revaluations_due(customer_ids=[setup.customer.pk]) == []    # closed: no longer watched


def _guarantee(setup, borrower, guarantor, **kw):
    from credit import services as s

    return s.application_create(actor=setup.users["rm"], customer=borrower, amount="100000", currency="CNY",
                                term_months=12, purpose="Trade", guarantors=[
                                    {"customer": guarantor.pk, "amount": "100000", "currency": "CNY"}], **kw)


def test_mutual_and_chain_guarantees_in_the_portfolio_and_on_the_pages(setup, make_customer, client_for):
    from customers.models import CustomerGroup

    group = CustomerGroup.objects.create(name="华东集团")
    a, b = make_customer("甲公司", group=group), make_customer("乙公司", group=group)
    c, d, e = make_customer("丙公司"), make_customer("丁公司"), make_customer("戊公司")
    _guarantee(setup, a, b)
    app = _guarantee(setup, b, a)                                      # mutual inside the group
    chain_app = _guarantee(setup, c, d)
    _guarantee(setup, d, e)
    withdrawn = _guarantee(setup, e, c)                                # d guarantees c, e d, c e: a chain
    type(e).objects.filter(pk=e.pk).update(relationship_manager=setup.users["rm2"])
    cycles = security.guarantee_cycles()
    assert [(x["kind"], x["ids"], x["group_id"]) for x in cycles] == [
        ("mutual", sorted([a.pk, b.pk]), group.pk), ("chain", _rotated([d.pk, c.pk, e.pk]), None)]
    page = client_for(setup.users["rm"]).get(reverse("credit:application_detail", args=[app.pk])).content.decode()
    assert 'data-warning="guarantee-cycle"' in page and "Mutual guarantee" in page
    assert "inside one group of related companies" in page
    chain_page = client_for(setup.users["rm"]).get(reverse("credit:application_detail", args=[chain_app.pk]))
    text = chain_page.content.decode()
    assert "Chain of guarantees" in text and "a customer outside your portfolio" in text and "戊公司" not in text
    group_page = client_for(setup.users["analyst"]).get(reverse("customers:group_detail", args=[group.pk]))
    assert "Mutual guarantee" in group_page.content.decode()
    services.application_withdraw(actor=setup.users["rm2"], application=withdrawn, comment="no")
    assert [x["kind"] for x in security.guarantee_cycles()] == ["mutual"]


def _rotated(ids):
    """A cycle in guarantee order starting at its smallest id."""
    start = ids.index(min(ids))
    return ids[start:] + ids[:start]


# --- pages and API: shown, proposed, refused ------------------------------------------------------------

def test_application_page_shows_face_factor_and_counted_value(setup, new_application, client_for):
    app = new_application(collaterals=[{"kind": "receivables", "market_value": "500000", "currency": "CNY"}],
                          guarantors=[{"outside_name": "Guarantee Co", "external_agency": "S&P",
                                       "external_grade": "A-", "external_rated_on": "2026-02-01",
                                       "amount": "100000", "currency": "CNY"}])
    page = client_for(setup.users["rm"]).get(reverse("credit:application_detail", args=[app.pk])).content.decode()
    assert "60%" in page and "300,000.00" in page              # receivables: 1 − 0.4, 500,000 → 300,000
    assert "90%" in page and "90,000.00" in page               # A: 0.90 × 100,000
    assert "S&amp;P A- (2026-02-01) = A" in page


def test_table_pages_propose_and_decide(setup, users, client_for):
    url = reverse("credit:recovery_table")
    assert client_for(users["rm"]).get(url).status_code == 200          # every staff role reads the table
    assert client_for(users["rm"]).post(url, {"factor_A": "0.5"}).status_code == 403
    assert client_for(users["approver1"]).post(url, {}).status_code == 403
    form = {f"factor_{g}": str(f) for g, f in rules.DEFAULT_RECOVERY_FACTORS.items()} | {"factor_A": "0.85"}
    response = client_for(users["riskadmin"]).post(url, form)
    assert response.status_code == 302
    change = services.pending_recovery_change()
    assert change.values == {"A": "0.8500"}
    page = client_for(users["riskadmin"]).get(url).content.decode()
    assert "you cannot approve what you proposed" in page
    assert client_for(users["riskadmin"]).post(reverse("credit:recovery_change_approve", args=[change.pk]))
    assert security.current_recovery_factors()["A"] == D("0.9000")      # the proposer's approval is refused
    client_for(users["riskadmin2"]).post(reverse("credit:recovery_change_approve", args=[change.pk]))
    assert security.current_recovery_factors()["A"] == D("0.8500")
    haircuts = client_for(users["riskadmin"]).get(reverse("credit:haircut_table"))
    assert haircuts.status_code == 200 and 'id="propose-table"' in haircuts.content.decode()
    assert 'id="propose-table"' not in client_for(users["analyst"]).get(reverse("credit:haircut_table")).content.decode()


def test_api_lists_proposes_and_refuses(setup, users, api_for):
    rows = api_for(users["collector"]).get("/api/v1/collateral-haircuts/")
    assert rows.status_code == 200 and {"kind": "deposit", "haircut": "0.0000", "revaluation_months": 12} in rows.json()
    body = {"rows": [{"kind": "inventory", "haircut": "0.6", "revaluation_months": 3}]}
    for role in ("rm", "analyst", "approver1", "collector", "auditor"):
        assert api_for(users[role]).post("/api/v1/collateral-haircuts/", body, format="json").status_code == 403
    answer = api_for(users["riskadmin"]).post("/api/v1/collateral-haircuts/", body, format="json")
    assert answer.status_code == 202
    pk = answer.json()["id"]
    assert api_for(users["riskadmin"]).post(f"/api/v1/collateral-haircut-changes/{pk}/approve/", {},
                                            format="json").status_code == 403
    assert api_for(users["approver1"]).post(f"/api/v1/collateral-haircut-changes/{pk}/approve/", {},
                                            format="json").status_code == 403
    assert api_for(users["riskadmin2"]).post(f"/api/v1/collateral-haircut-changes/{pk}/approve/", {},
                                             format="json").status_code == 200
    assert security.current_haircuts()["inventory"] == (D("0.6000"), 3)
    bad = api_for(users["riskadmin"]).post("/api/v1/recovery-factors/", {"factors": [{"grade": "A",
                                                                                       "factor": "1.2"}]},
                                           format="json")
    assert bad.status_code == 400
    factors = api_for(users["rm"]).get("/api/v1/recovery-factors/").json()
    assert factors[-1] == {"grade": "unrated", "factor": "0.0000"}
    ok = api_for(users["riskadmin"]).post("/api/v1/recovery-factors/", {"factors": [{"grade": "unrated",
                                                                                      "factor": "0.1"}]},
                                          format="json")
    assert ok.status_code == 202 and ok.json()["values"] == {"unrated": "0.1000"}


def test_a_guarantee_cycle_is_an_approval_warning(setup, make_customer):
    from credit.providers import decision_warnings

    other = make_customer("乙公司")
    _guarantee(setup, setup.customer, other)
    assert "guarantee_cycle" not in [w["code"] for w in decision_warnings(setup.customer)]
    _guarantee(setup, other, setup.customer)
    warning = next(w for w in decision_warnings(setup.customer) if w["code"] == "guarantee_cycle")
    assert warning["params"] == {"count": 1} and "mutual or chain guarantee" in str(warning["text"])


def test_application_api_shows_each_items_counted_value(setup, new_application, api_for):
    body = {"customer": setup.customer.pk, "amount": "1000000", "currency": "CNY", "term_months": 12,
            "purpose": "Trade", "collaterals": [{"kind": "equipment", "market_value": "400000", "currency": "CNY"}],
            "guarantors": [{"outside_name": "Guarantee Co", "external_agency": "Moody's", "external_grade": "Baa2",
                            "mapped_grade": "BBB", "external_rated_on": "2026-05-01", "amount": "100000",
                            "currency": "CNY"}]}
    created = api_for(setup.users["rm"]).post("/api/v1/applications/", body, format="json")
    assert created.status_code == 201, created.json()
    detail = api_for(setup.users["rm"]).get(f"/api/v1/applications/{created.json()['id']}/").json()
    assert detail["collaterals"][0]["haircut"] == "0.5000" and detail["collaterals"][0]["table_haircut"] == "0.5000"
    assert [(i["kind"], i["factor"], i["counted"]) for i in detail["security"]] == [
        ("collateral", "0.5000", "200000.00"), ("guarantee", "0.8000", "80000.00")]
    unmapped = {**body, "guarantors": [{**body["guarantors"][0], "mapped_grade": ""}]}
    refused = api_for(setup.users["rm"]).post("/api/v1/applications/", unmapped, format="json")
    assert refused.status_code == 400 and "guarantors.mapped_grade" in refused.json()["errors"]


def test_a_proposed_table_waits_on_the_other_risk_admins_home(setup, users, client_for):
    services.haircuts_propose(actor=users["riskadmin"], table={"other": {"haircut": "0.8", "revaluation_months": 6}})
    assert "Collateral haircuts awaiting my approval" in client_for(users["riskadmin2"]).get("/").content.decode()
    assert "Collateral haircuts awaiting my approval" not in client_for(users["riskadmin"]).get("/").content.decode()


def test_the_decision_page_shows_in_force_and_proposed(setup, users, client_for):
    change = services.haircuts_propose(actor=users["riskadmin"], table={
        "receivables": {"haircut": "0.45", "revaluation_months": 3}})
    page = client_for(users["riskadmin2"]).get(reverse("credit:haircut_change_detail", args=[change.pk]))
    text = page.content.decode()
    assert page.status_code == 200 and "Receivables: haircut" in text and "40%" in text and "45%" in text
    assert client_for(users["rm"]).post(reverse("credit:haircut_change_approve", args=[change.pk])).status_code == 403
    client_for(users["riskadmin2"]).post(reverse("credit:haircut_change_reject", args=[change.pk]),
                                         {"note": "Receivables are insured"})
    change.refresh_from_db()
    assert change.state == "rejected" and security.current_haircuts()["receivables"] == (D("0.4000"), 6)
