"""The configuration pages of risk admins: credit policy drafts and their grade rules, the authority
matrix (levels and approvers) and group limits. Every write goes through a service; refused roles get 403
before any object is looked up; bad input is shown next to the field and changes nothing."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from credit import rules
from credit.models import ApproverAuthority, AuthorityLevel, CreditPolicy, GroupLimit

pytestmark = pytest.mark.django_db

GRADES = rules.DEFAULT_GRADES


def rules_post(overrides=None, include=("AAA", "AA", "A", "BBB", "BB", "B", "CCC")):
    """The POST of the rules formset: one row per grade, ``overrides[grade]`` replaces fields of a row."""
    overrides = overrides or {}
    data = {"rules-TOTAL_FORMS": str(len(GRADES)), "rules-INITIAL_FORMS": str(len(GRADES)),
            "rules-MIN_NUM_FORMS": "0", "rules-MAX_NUM_FORMS": str(len(GRADES))}
    for i, grade in enumerate(GRADES):
        row = {"grade": grade, "eligible": "on", "max_limit": str(10_000_000 * (len(GRADES) - i)),
               "max_limit_hard": "on", "max_equity_share": "50", "max_revenue_share": "25",
               "max_term_months": "36", "min_coverage": "20", "pricing_spread_bps": str(50 + 10 * i),
               "review_months": "12"}
        if grade in include:
            row["include"] = "on"
        row.update(overrides.get(grade, {}))
        for key, value in row.items():
            if value is not None:
                data[f"rules-{i}-{key}"] = value
    return data


def policy_post(name="Policy 2027", **extra):
    return {"name": name, "effective_from": "2027-01-01", "notes": "Tighter for B and below", **extra}


def test_risk_admin_creates_a_draft_and_edits_its_rules(setup, client_for):
    client = client_for(setup.users["riskadmin"])
    page = client.get(reverse("credit:policy_list"))
    assert reverse("credit:policy_create") in page.content.decode()
    assert client.get(reverse("credit:policy_create")).status_code == 200

    response = client.post(reverse("credit:policy_create"), {"name": "Policy 2027", "effective_from": "2027-01-01",
                                                            "notes": "draft"})
    draft = CreditPolicy.objects.get(name="Policy 2027")
    assert response.status_code == 302 and response["Location"] == reverse("credit:policy_edit", args=[draft.pk])
    assert draft.status == CreditPolicy.Status.DRAFT and draft.created_by == setup.users["riskadmin"]
    assert not draft.rules.exists()  # the copy box was left off

    edit = client.get(reverse("credit:policy_edit", args=[draft.pk]))
    assert edit.status_code == 200
    assert 'name="rules-9-max_limit"' in edit.content.decode()

    response = client.post(reverse("credit:policy_edit", args=[draft.pk]),
                           {**policy_post("Policy 2027 (final)"),
                            **rules_post({"B": {"max_limit_hard": None, "max_term_months": "24"}})})
    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert draft.name == "Policy 2027 (final)" and draft.effective_from == dt.date(2027, 1, 1)
    by_grade = {r.grade: r for r in draft.rules.all()}
    assert sorted(by_grade) == sorted(["AAA", "AA", "A", "BBB", "BB", "B", "CCC"])
    assert by_grade["B"].max_term_months == 24 and by_grade["B"].max_limit_hard is False
    assert by_grade["AAA"].max_equity_share == D("0.5") and by_grade["AAA"].max_limit_hard is True
    assert by_grade["CCC"].pricing_spread_bps == 50 + 10 * GRADES.index("CCC")

    detail = client.get(reverse("credit:policy_detail", args=[draft.pk])).content.decode()
    assert reverse("credit:policy_edit", args=[draft.pk]) in detail


def test_new_version_copies_the_rules_of_the_policy_in_force(setup, client_for):
    client = client_for(setup.users["riskadmin"])
    response = client.post(reverse("credit:policy_create"),
                           {"name": "Policy 2027", "effective_from": "2027-01-01", "copy_in_force": "on"})
    assert response.status_code == 302
    draft = CreditPolicy.objects.get(name="Policy 2027")
    copied = {r.grade: (r.max_limit, r.min_coverage) for r in draft.rules.all()}
    original = {r.grade: (r.max_limit, r.min_coverage) for r in setup.policy.rules.all()}
    assert copied == original and copied


def test_a_policy_in_force_cannot_be_edited(setup, client_for):
    client = client_for(setup.users["riskadmin"])
    policy = setup.policy
    page = client.get(reverse("credit:policy_edit", args=[policy.pk]))
    assert page.status_code == 200
    assert "cannot be edited" in page.content.decode()
    assert 'name="rules-0-max_limit"' not in page.content.decode()

    before = sorted(policy.rules.values_list("grade", "max_limit"))
    response = client.post(reverse("credit:policy_edit", args=[policy.pk]), {**policy_post("Hacked"), **rules_post()})
    assert response.status_code == 200
    assert "A policy in force cannot be edited; create a new version instead." in response.content.decode()
    policy.refresh_from_db()
    assert policy.name == "Policy 2026" and policy.status == CreditPolicy.Status.IN_FORCE
    assert sorted(policy.rules.values_list("grade", "max_limit")) == before


def test_bad_rule_input_is_shown_and_changes_nothing(setup, client_for):
    from credit import services

    client = client_for(setup.users["riskadmin"])
    draft = services.policy_create(actor=setup.users["riskadmin"], name="Draft", effective_from=dt.date(2027, 1, 1),
                                   rules=[{"grade": "A", "max_limit": "1000"}])
    url = reverse("credit:policy_edit", args=[draft.pk])
    for bad in ({"max_limit": "-5"}, {"max_equity_share": "150"}):
        response = client.post(url, {**policy_post("Changed"), **rules_post({"BB": bad})})
        assert response.status_code == 200
        body = response.content.decode()
        assert "invalid-feedback" in body
        # a share is typed in per cent (150 for 150 %) and explained in per cent
        assert ("greater than or equal to 0" in body) if "max_limit" in bad else ("Enter at most 100%." in body)
        assert 'value="Changed"' in body                    # the user's input is kept
        assert ('value="-5"' in body) if "max_limit" in bad else ('value="150"' in body)
        draft.refresh_from_db()
        assert draft.name == "Draft"
        assert list(draft.rules.values_list("grade", "max_limit")) == [("A", D("1000"))]



def _approved(response, checker):
    """Configuration takes four-eyes: the page proposes (redirecting to the proposal) and the second risk
    administrator approves it on the shared decision page."""
    from django.test import Client

    assert response.status_code == 302 and response.url.startswith("/proposals/"), response
    pk = int(response.url.strip("/").split("/")[-1])
    client = Client()
    client.force_login(checker)
    assert client.post(reverse("proposals:approve", args=[pk]), {"note": "ok"}).status_code == 302
    from proposals.models import Proposal

    assert Proposal.objects.get(pk=pk).state == "approved"


def test_risk_admin_adds_a_level_and_assigns_an_approver(setup, client_for, make_user):
    client = client_for(setup.users["riskadmin"])
    checker = setup.users["riskadmin2"]
    matrix = client.get(reverse("credit:matrix")).content.decode()
    assert reverse("credit:level_create") in matrix and reverse("credit:approver_assign") in matrix

    response = client.post(reverse("credit:level_create"),
                           {"number": "4", "name": "Board", "max_amount": "", "weakest_grade": "C"})
    _approved(response, checker)
    board = AuthorityLevel.objects.get(number=4)
    assert board.max_amount is None and board.weakest_grade == "C"

    committee = AuthorityLevel.objects.get(number=3)
    response = client.post(reverse("credit:level_edit", args=[committee.pk]),
                           {"number": "3", "name": "Credit committee", "max_amount": "100000000",
                            "weakest_grade": "CCC"})
    _approved(response, checker)
    committee.refresh_from_db()
    assert committee.name == "Credit committee" and committee.max_amount == D("100000000")

    newcomer = make_user("approver4", "approver")
    response = client.post(reverse("credit:approver_assign"), {"user": newcomer.pk, "level": board.pk,
                                                               "active": "on"})
    _approved(response, checker)
    assert ApproverAuthority.objects.get(user=newcomer).level == board

    # changing an approver's level: the same page, pre-filled
    page = client.get(reverse("credit:approver_assign") + f"?user={newcomer.pk}")
    assert page.status_code == 200
    response = client.post(reverse("credit:approver_assign"), {"user": newcomer.pk, "level": committee.pk})
    _approved(response, checker)
    row = ApproverAuthority.objects.get(user=newcomer)
    assert row.level == committee and row.active is False


def test_level_errors_from_the_form_and_the_service_are_shown(setup, client_for):
    client = client_for(setup.users["riskadmin"])
    # negative amount: refused by the form
    response = client.post(reverse("credit:level_create"), {"number": "4", "name": "Board", "max_amount": "-1"})
    assert response.status_code == 200 and "invalid-feedback" in response.content.decode()
    assert 'value="Board"' in response.content.decode()
    # a taken number: refused by the service, shown next to the number
    response = client.post(reverse("credit:level_create"), {"number": "2", "name": "Twin", "max_amount": "1"})
    assert response.status_code == 200 and "Taken." in response.content.decode()
    # a level above allowed less than the one below: the service's message next to the amount
    level2 = AuthorityLevel.objects.get(number=2)
    response = client.post(reverse("credit:level_edit", args=[level2.pk]),
                           {"number": "2", "name": "Head office", "max_amount": "1000"})
    assert response.status_code == 200
    assert "Check the amounts of the levels." in response.content.decode()
    assert sorted(AuthorityLevel.objects.values_list("number", "max_amount")) == [
        (1, D("5000000")), (2, D("20000000")), (3, None)]


def test_group_limit_create_and_edit(setup, client_for):
    from customers.models import CustomerGroup

    group = CustomerGroup.objects.create(name="华东集团")
    client = client_for(setup.users["riskadmin"])
    checker = setup.users["riskadmin2"]
    assert client.get(reverse("credit:group_limit_create")).status_code == 200
    response = client.post(reverse("credit:group_limit_create"),
                           {"group": group.pk, "limit": "30000000", "currency": "CNY", "expiry_date": "2027-06-30",
                            "active": "on"})
    _approved(response, checker)
    row = GroupLimit.objects.get(group=group)
    assert row.limit == D("30000000") and row.expiry_date == dt.date(2027, 6, 30) and row.active

    listing = client.get(reverse("credit:group_limit_list")).content.decode()
    assert "华东集团" in listing and reverse("credit:group_limit_edit", args=[row.pk]) in listing

    response = client.post(reverse("credit:group_limit_edit", args=[row.pk]),
                           {"limit": "4000000", "currency": "USD", "expiry_date": ""})
    _approved(response, checker)
    row.refresh_from_db()
    assert (row.limit, row.currency, row.expiry_date, row.active) == (D("4000000"), "USD", None, False)

    # bad input: negative amount, unknown currency → errors shown, nothing changed
    response = client.post(reverse("credit:group_limit_edit", args=[row.pk]),
                           {"limit": "-1", "currency": "XXX", "active": "on"})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("invalid-feedback") >= 2 and 'value="-1"' in body
    row.refresh_from_db()
    assert (row.limit, row.currency, row.active) == (D("4000000"), "USD", False)


CONFIG_PAGES = [
    ("credit:policy_create", False), ("credit:policy_edit", True), ("credit:level_create", False),
    ("credit:level_edit", True), ("credit:approver_assign", False), ("credit:group_limit_create", False),
    ("credit:group_limit_edit", True),
]


@pytest.mark.parametrize("role", ["rm", "approver1", "auditor"])
def test_other_roles_are_refused_every_config_page(setup, client_for, role):
    from customers.models import CustomerGroup

    group_limit = GroupLimit.objects.create(group=CustomerGroup.objects.create(name="G"), limit=1, currency="CNY")
    objects = {"credit:policy_edit": setup.policy.pk, "credit:level_edit": setup.matrix[0].pk,
               "credit:group_limit_edit": group_limit.pk}
    client = client_for(setup.users[role])
    for name, with_pk in CONFIG_PAGES:
        url = reverse(name, args=[objects[name]] if with_pk else [])
        assert client.get(url).status_code == 403, (role, name)
        assert client.post(url, {"name": "x", "number": "9", "limit": "5", "currency": "CNY"}).status_code == 403
        if with_pk:  # a missing id is refused the same way (no 404 to a refused role)
            assert client.get(reverse(name, args=[987654])).status_code == 403
    # they still read the lists, without the write buttons
    listing = client.get(reverse("credit:group_limit_list"))
    assert listing.status_code == 200
    assert reverse("credit:group_limit_create") not in listing.content.decode()
    matrix = client.get(reverse("credit:matrix")).content.decode()
    assert reverse("credit:level_create") not in matrix
    assert setup.policy.name == CreditPolicy.objects.get(pk=setup.policy.pk).name
    assert AuthorityLevel.objects.count() == 3 and GroupLimit.objects.get().limit == 1
