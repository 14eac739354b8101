"""Each role logs in through the real login form in Chromium and sees its home page and menu."""
import pytest

from creditportal.core import access

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
