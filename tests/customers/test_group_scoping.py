"""Customer groups are scoped (issue 18, finding 9): another portfolio's relationship manager neither sees nor
edits a group of customers they cannot see, and a group list never names a parent company they cannot see
(pages and API alike; ``CustomerGroup.objects.visible_to``)."""
import pytest
from django.urls import reverse

from creditportal.core.errors import NotAllowed, ValidationFailed
from customers import services
from customers.models import CustomerGroup

pytestmark = pytest.mark.django_db


@pytest.fixture
def groups(users, make_customer):
    """``theirs``: rm's customers only (parent included); ``shared``: rm's parent company, a member of rm2."""
    parent = make_customer(name="华东控股集团有限公司")
    theirs = services.group_create(actor=users["rm"], name="华东集团", parent_company=parent)
    make_customer(name="华东贸易有限公司", group=theirs, group_relation="subsidiary")
    shared = services.group_create(actor=users["rm"], name="华南集团", parent_company=parent)
    mine = make_customer(name="华南物流有限公司", manager=users["rm2"])
    # a group spanning two portfolios is set up by who sees both (set here directly)
    CustomerGroup.objects.get(pk=shared.pk).members.add(mine)
    return theirs, shared, parent


def test_another_portfolios_manager_neither_sees_nor_edits_the_group(users, groups, client_for, api_for):
    theirs, _shared, _parent = groups
    client = client_for(users["rm2"])
    listing = client.get(reverse("customers:group_list")).content.decode()
    assert "华东集团" not in listing
    assert client.get(reverse("customers:group_detail", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("customers:group_edit", args=[theirs.pk]),
                       {"name": "改名", "notes": ""}).status_code == 404
    api = api_for(users["rm2"])
    assert theirs.pk not in [g["id"] for g in api.get("/api/v1/customer-groups/").json()["results"]]
    assert api.get(f"/api/v1/customer-groups/{theirs.pk}/").status_code == 404
    assert api.patch(f"/api/v1/customer-groups/{theirs.pk}/", {"name": "改名"}, format="json").status_code == 404
    with pytest.raises(NotAllowed):
        services.group_update(actor=users["rm2"], group=theirs, name="改名", parent_company=theirs.parent_company)
    theirs.refresh_from_db()
    assert theirs.name == "华东集团"
    # the owner and who sees every customer still see it
    assert "华东集团" in client_for(users["rm"]).get(reverse("customers:group_list")).content.decode()
    assert api_for(users["analyst"]).get(f"/api/v1/customer-groups/{theirs.pk}/").status_code == 200


def test_a_shared_group_does_not_name_another_portfolios_parent(users, groups, client_for, api_for):
    _theirs, shared, parent = groups
    client = client_for(users["rm2"])
    listing = client.get(reverse("customers:group_list")).content.decode()
    assert "华南集团" in listing and parent.name not in listing
    detail = client.get(reverse("customers:group_detail", args=[shared.pk])).content.decode()
    assert "华南物流有限公司" in detail and parent.name not in detail
    row = api_for(users["rm2"]).get(f"/api/v1/customer-groups/{shared.pk}/").json()
    assert row["parent_company"] is None
    assert api_for(users["rm"]).get(f"/api/v1/customer-groups/{shared.pk}/").json()["parent_company"] == parent.pk
    # editing the shared group keeps the parent rm2 cannot see, and rm2 cannot remove it
    response = client.post(reverse("customers:group_edit", args=[shared.pk]), {"name": "华南集团", "notes": "x"})
    assert response.status_code == 302
    shared.refresh_from_db()
    assert shared.parent_company_id == parent.pk and shared.notes == "x"
    with pytest.raises(NotAllowed):
        services.group_update(actor=users["rm2"], group=shared, name="华南集团", parent_company=None)


def test_a_manager_picks_only_the_groups_they_can_see(users, groups, make_customer, client_for):
    theirs, shared, _parent = groups
    client = client_for(users["rm2"])
    form = client.get(reverse("customers:customer_create")).content.decode()
    assert f'data-picker="{reverse("customers:pick_group")}"' in form  # searched, never every group in a <select>
    assert "华东集团" not in form
    found = [row["text"] for row in client.get(reverse("customers:pick_group"), {"q": "集团"}).json()["results"]]
    assert "华南集团" in found and "华东集团" not in found
    listed = client.get(reverse("customers:customer_list"), {"group": theirs.pk})
    assert listed.status_code == 200 and "is-invalid" in listed.content.decode()  # another portfolio's group
    with pytest.raises(ValidationFailed):
        make_customer(name="华北制造有限公司", manager=users["rm2"], group=theirs, group_relation="subsidiary")
