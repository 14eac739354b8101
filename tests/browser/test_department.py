"""Issue 21: every role's pages on the demo portfolio, in Chinese and in English, at 1366 and 1024 px.

The top bar takes one line at 1366 px for every role in both languages (the menu groups, search, bell, user and
language side by side).

Each demo login signs in through the form, picks its language from the top bar and opens every page its menu
reaches plus one record of each kind it may see (the list of ``tests/creditportal/test_page_sweep.py``). No page
scrolls sideways at either width, and a screenshot of each (1366 px, full page) is saved under
``test-artifacts/screenshots/department/<language>/<role>/`` to be looked at before an issue is called resolved.
"""
import io
import re

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from demo.pages import pages_of
from tests.browser.conftest import ARTIFACTS, header_lines, log_in
from tests.creditportal.test_page_sweep import ROLES

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
# Charts redraw on a resize (a ResizeObserver, then an animation frame): two frames later the layout is final.
SETTLED = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
LANGUAGES = {"zh-hans": "退出登录", "en": "Log out"}


def _slug(text):
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60] or "page"


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.DEBUG = False
    call_command("load_demo", stdout=io.StringIO())


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_role_page_fits_1024_and_1366_and_is_captured(demo, browser, live_server, language):
    from django.contrib.auth import get_user_model

    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(20000)
    problems = []
    try:
        for username in ROLES:
            user = get_user_model().objects.get(username=username)
            log_in(page, username, django_settings.DEMO_PASSWORD)
            if page.locator("select[name=language]").input_value() != language:
                with page.expect_navigation():
                    page.select_option("select[name=language]", language)
            assert LANGUAGES[language] in page.content(), (username, language)
            page.set_viewport_size({"width": 1366, "height": 900})
            if header_lines(page) != 1:
                problems.append(f"{username}: the top bar takes {header_lines(page)} lines at 1366px ({language})")
            folder = ARTIFACTS / "department" / language / username
            folder.mkdir(parents=True, exist_ok=True)
            for number, (label, url) in enumerate(pages_of(user)):
                page.set_viewport_size({"width": 1366, "height": 900})
                response = page.goto(url)
                if response is None or response.status != 200:
                    problems.append(f"{username} {url}: HTTP {response and response.status}")
                    continue
                for width in (1366, 1024):
                    page.set_viewport_size({"width": width, "height": 900})
                    page.evaluate(SETTLED)
                    overflow = page.evaluate(OVERFLOW)
                    if overflow > 0:
                        problems.append(f"{username} {url} ({label}) at {width}px scrolls sideways by {overflow}px")
                page.set_viewport_size({"width": 1366, "height": 900})
                page.screenshot(path=str(folder / f"{number:02d}-{_slug(url)}.png"), full_page=True)
    finally:
        context.close()
    assert not problems, "\n".join(problems)
