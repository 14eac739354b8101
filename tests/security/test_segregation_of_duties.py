"""Segregation of duties (issue 18, finding 2; design brief section 2): nobody changes their own roles, approver
level or delegations; a risk administrator is never an approver, an auditor holds no writing role. Refused in
the services, so pages and the API refuse alike."""
import pytest
from django.urls import reverse
from django.utils import translation

from accounts import services as accounts
from credit import services as credit
from creditportal.core.errors import NotAllowed, ValidationFailed
from proposals.models import Proposal
from proposals.services import change_approve
from tests.config import configured

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _roles(user):
    return sorted(user.groups.values_list("name", flat=True))


def test_a_risk_admin_cannot_grant_themself_a_role(users, client_for, api_for):
    admin = users["riskadmin"]
    with pytest.raises(NotAllowed, match="own roles"):
        accounts.user_update(actor=admin, user=admin, roles=["risk_admin", "credit_analyst"], first_name="",
                             last_name="", email="")
    with pytest.raises(NotAllowed, match="own roles"):
        accounts.user_roles_propose(actor=admin, user=admin, roles=["risk_admin", "approver"])
    page = client_for(admin).post(reverse("accounts:user_edit", args=[admin.pk]), {
        "username": admin.username, "first_name": "", "last_name": "", "email": "",
        "roles": ["risk_admin", "credit_analyst"]}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "your own roles" in page.content.decode()
    assert api_for(admin).post(f"/api/v1/users/{admin.pk}/roles/", {"roles": ["risk_admin", "credit_analyst"]},
                               format="json").status_code == 403
    assert _roles(admin) == ["risk_admin"] and not Proposal.objects.exists()


def test_nobody_decides_a_change_about_themself(users, make_user):
    """riskadmin proposes a role for riskadmin2: riskadmin2 may not approve it; a third risk admin may."""
    change = accounts.user_roles_propose(actor=users["riskadmin"], user=users["riskadmin2"],
                                         roles=["risk_admin", "credit_analyst"])
    with pytest.raises(NotAllowed, match="your own"):
        change_approve(actor=users["riskadmin2"], change=change)
    assert _roles(users["riskadmin2"]) == ["risk_admin"]
    change_approve(actor=make_user("riskadmin3", "risk_admin"), change=change)
    assert _roles(users["riskadmin2"]) == ["credit_analyst", "risk_admin"]


def test_nobody_sets_their_own_approver_level_or_delegates_to_themself(users):
    level = configured(credit.authority_level_propose(actor=users["riskadmin"], number=1, name="Branch",
                                                      max_amount="5000000"))
    with pytest.raises(NotAllowed, match="own approver level"):
        credit.approver_authority_propose(actor=users["riskadmin"], user=users["riskadmin"], level=level)
    configured(credit.approver_authority_propose(actor=users["riskadmin"], user=users["approver1"], level=level))
    import datetime as dt

    with pytest.raises(NotAllowed):
        credit.delegation_create(actor=users["approver2"], delegator=users["approver1"], delegate=users["approver2"],
                                 start_date=dt.date(2026, 6, 1), end_date=dt.date(2026, 6, 30), reason="mine")


@pytest.mark.parametrize("roles", [["risk_admin", "approver"], ["auditor", "relationship_manager"],
                                   ["auditor", "credit_analyst"], ["auditor", "approver"], ["auditor", "collector"],
                                   ["auditor", "risk_admin"]])
def test_incompatible_roles_are_refused(users, roles, client_for, api_for):
    target = users["analyst2"]
    with pytest.raises(ValidationFailed, match="Segregation of duties"):
        accounts.user_roles_propose(actor=users["riskadmin"], user=target, roles=roles)
    with pytest.raises(ValidationFailed, match="Segregation of duties"):
        accounts.user_update(actor=users["riskadmin"], user=target, roles=roles, first_name="", last_name="",
                             email="")
    with pytest.raises(ValidationFailed, match="Segregation of duties"):
        accounts.user_create(actor=users["riskadmin"], username="combo", password="Good-pass-2024x", roles=roles)
    response = api_for(users["riskadmin"]).post(f"/api/v1/users/{target.pk}/roles/", {"roles": roles},
                                                format="json")
    assert response.status_code == 400 and "roles" in response.json()["errors"]
    page = client_for(users["riskadmin"]).post(reverse("accounts:user_edit", args=[target.pk]), {
        "username": target.username, "first_name": "", "last_name": "", "email": "", "roles": roles},
        HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "These roles cannot be combined." in page.content.decode()
    assert _roles(target) == ["credit_analyst"] and not Proposal.objects.exists()


def test_a_combination_made_meanwhile_is_refused_on_approval(users):
    """approver proposed for an analyst; meanwhile (outside the portal) they became a risk admin: refused."""
    from django.contrib.auth.models import Group

    from creditportal.core.errors import Conflict

    change = accounts.user_roles_propose(actor=users["riskadmin"], user=users["analyst2"],
                                         roles=["approver", "credit_analyst"])
    users["analyst2"].groups.add(Group.objects.get(name="risk_admin"))
    with pytest.raises(Conflict):
        change_approve(actor=users["riskadmin2"], change=change)
    assert "approver" not in _roles(users["analyst2"])


def test_a_new_users_roles_wait_for_the_second_risk_admin(users):
    user = accounts.user_create(actor=users["riskadmin"], username="newcomer", password="Good-pass-2024x",
                                roles=["relationship_manager"])
    assert _roles(user) == [] and user.role_proposal.values == {"roles": ["relationship_manager"]}
    change_approve(actor=users["riskadmin2"], change=user.role_proposal)
    assert _roles(user) == ["relationship_manager"]


def test_taking_a_role_away_applies_at_once(users):
    accounts.user_update(actor=users["riskadmin"], user=users["analyst2"], roles=[], first_name="", last_name="",
                         email="")
    assert _roles(users["analyst2"]) == [] and not Proposal.objects.exists()
