"""Each role logs in through the real login form in Chromium and sees its home page and menu."""
import pytest

from creditportal.core import access
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_each_role_logs_in_and_sees_its_menu(users, page, login, shoot):
    for username in ["rm", "analyst", "approver1", "collector", "riskadmin", "auditor"]:
        login(username)
        assert page.locator("nav.navbar").is_visible()
        assert username in page.locator("nav.navbar").inner_text()
        shoot(username)


def test_language_switch_in_the_browser(users, page, login):
    login("rm")
    with page.expect_navigation():
        page.select_option("select[name=language]", "zh-hans")
    assert "退出登录" in page.content()
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert "Log out" in page.content()


@pytest.mark.parametrize("width", [1280, 1366])
def test_the_top_bar_fits_a_laptop_screen_for_every_role(users, browser, live_server, settings, width):
    """A risk admin or auditor sees every menu group; on a laptop the bar wraps rather than pushing the page
    (and "Notifications") off the right edge."""
    settings.DEBUG = False
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 800}, locale="en-US")
    page = context.new_page()
    try:
        for username in ["rm", "analyst", "approver1", "collector", "riskadmin", "auditor"]:
            log_in(page, username)
            overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{username}: the page scrolls sideways by {overflow}px at {width}px"
            for link in page.locator("nav.navbar .nav-link").all():
                box = link.bounding_box()
                assert box and box["x"] + box["width"] <= width, f"{username}: {link.inner_text()!r} is off screen"
    finally:
        context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_top_bar_is_one_line_at_1366_for_every_role(users, browser, live_server, settings, language):
    """Issue 21: the small apps' menus are sections of the big ones and notifications a bell, so the bar of
    every role holds one line at 1366 px in both languages; at 1024 px the menu collapses and nothing scrolls
    sideways."""
    from django.contrib.auth import get_user_model

    from tests.browser.conftest import header_lines

    settings.DEBUG = False
    # with the unread count the bell carries and full names, as the demo's people have
    for number, user in enumerate(get_user_model().objects.filter(username__in=list(users))):
        user.first_name, user.last_name = "Xiaoming", f"Ouyang{number}"
        user.save()
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 800}, locale="en-US")
    page = context.new_page()
    try:
        for username in ["rm", "analyst", "approver1", "collector", "riskadmin", "auditor"]:
            log_in(page, username)
            if page.locator("select[name=language]").input_value() != language:
                with page.expect_navigation():
                    page.select_option("select[name=language]", language)
            page.set_viewport_size({"width": 1366, "height": 800})
            assert header_lines(page) == 1, f"{username}: the top bar wraps at 1366px ({language})"
            page.set_viewport_size({"width": 1024, "height": 800})
            assert page.locator("button.navbar-toggler").is_visible(), username
            assert page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    finally:
        context.close()
