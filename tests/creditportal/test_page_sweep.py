"""Issue 25, the page sweep (CI, small size): on the demo portfolio, each demo role signs in and requests every
page its menu reaches, plus one customer, application, facility, rating, invoice and collection case it may see
(``demo.pages.pages_of``, the same pages the page benchmark times).
Every page answers 200 (no 5xx, no refusal of a page the menu offers) within a query budget of
``QUERY_BUDGET`` queries per page: a page whose query count grows with the portfolio shows up here first."""
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from demo.pages import pages_of

pytestmark = pytest.mark.django_db

QUERY_BUDGET = 60  # per page, on the demo portfolio (measured at most 24, the home page; the worst are reported)
ROLES = ["rm", "analyst", "approver1", "collector", "riskadmin", "auditor"]  # one demo login per role


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    call_command("load_demo", stdout=io.StringIO())


def test_every_page_of_every_role_answers_within_the_query_budget(demo, client):
    from django.contrib.auth import get_user_model

    failures, counts, seen = [], {}, 0
    for username in ROLES:
        user = get_user_model().objects.get(username=username)
        client.force_login(user)
        pages = pages_of(user)
        assert len(pages) > 3, (username, pages)
        for label, url in pages:
            seen += 1
            with CaptureQueriesContext(connection) as queries:
                try:
                    response = client.get(url)
                except Exception as exc:  # noqa: BLE001 - a 500 in the test client raises: record it
                    failures.append(f"{username} {url} ({label}): {type(exc).__name__}: {exc}")
                    continue
            counts[(username, url)] = len(queries)
            if response.status_code != 200:
                failures.append(f"{username} {url} ({label}): HTTP {response.status_code}")
            elif len(queries) > QUERY_BUDGET:
                failures.append(f"{username} {url} ({label}): {len(queries)} queries > {QUERY_BUDGET}")
        client.logout()
    worst = sorted(counts.items(), key=lambda item: -item[1])[:5]
    assert not failures, "\n".join(failures) + f"\n(worst query counts: {worst})"
    assert seen >= 40, seen  # every role's menu, not an empty sweep
