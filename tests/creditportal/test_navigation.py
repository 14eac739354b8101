"""The top menu (issue 21): the small apps' menus are sections of the big ones so the bar holds one line; a
section whose host the user may not use is a group of its own; every link keeps unpacking as label, url."""
import pytest
from django.utils import translation

from creditportal.core.navigation import menu_for

pytestmark = pytest.mark.django_db


def _groups(user):
    with translation.override("en"):
        return {str(label): [(str(link.label), link.url, str(link.section)) for link in links]
                for label, links in menu_for(user)}


def test_small_menus_are_sections_of_the_big_ones(users):
    groups = _groups(users["riskadmin"])
    assert list(groups) == ["Customers", "Ratings", "Credit", "Collection", "Monitoring", "Reports", "Admin"]
    monitoring = groups["Monitoring"]
    assert monitoring[0][2] == "" and ("ECL runs", "/provisions/", "Expected credit loss") in monitoring
    sections = [link[2] for link in monitoring]
    assert sections == sorted(sections, key=lambda s: s != "")  # the group's own links first, then the section
    assert any(section == "Credit insurance" for _l, _u, section in groups["Credit"])
    assert any(section == "Model validation" for _l, _u, section in groups["Ratings"])


def test_a_section_without_its_host_is_a_group_of_its_own(users, make_user):
    auditor = _groups(users["auditor"])
    assert any(section == "Audit" for _l, _u, section in auditor["Reports"])
    # a user who may read the audit trail and nothing of the reports: the trail is a group of its own
    from django.contrib.auth.models import Permission

    reader = make_user("trail-reader")
    reader.groups.clear()
    reader.user_permissions.set([Permission.objects.get(codename="view_auditevent")])
    groups = _groups(reader)
    assert "Reports" not in groups and [url for _l, url, _s in groups["Audit"]] == ["/audit/", "/audit/chain/"]


def test_links_unpack_as_label_and_url(users):
    for _group, links in menu_for(users["rm"]):
        for label, url in links:
            assert url.startswith("/") and str(label)


def test_the_menu_shows_sections_and_the_refused_role_sees_none_of_them(users, client_for):
    html = client_for(users["riskadmin"]).get("/").content.decode()
    assert '<h6 class="dropdown-header">' in html and 'class="portal-bell"' in html
    html = client_for(users["collector"]).get("/").content.decode()
    assert 'href="/provisions/"' not in html and 'href="/validation/"' not in html
