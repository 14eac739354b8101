"""Tablet (768×1024): the key pages of each role fit the screen (no horizontal overflow of the page body) and
the collapsed menu opens and leads somewhere. Screenshots in test-artifacts/screenshots/."""
import pytest

from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 768, "height": 1024}

KEY_PAGES = {
    "rm": ["/", "/customers/", "/credit/applications/", "/collection/invoices/", "/accounts/profile/"],
    "analyst": ["/", "/ratings/all/", "/credit/applications/", "/credit/facilities/"],
    "approver1": ["/", "/credit/applications/", "/accounts/notifications/"],
    "collector": ["/", "/collection/", "/collection/invoices/", "/collection/dunning/", "/collection/cases/",
                  "/collection/aging/"],
    "riskadmin": ["/", "/monitoring/alerts/", "/monitoring/exposure/", "/accounts/users/", "/customers/groups/"],
    "auditor": ["/", "/audit/", "/monitoring/watchlist/"],
}

OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def tablet(browser, live_server, settings):
    settings.DEBUG = False
    context = browser.new_context(base_url=live_server.url, viewport=TABLET, locale="en-US", has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def _login(page, username):
    log_in(page, username)


@pytest.mark.parametrize("username", list(KEY_PAGES))
def test_key_pages_fit_a_tablet_and_the_menu_opens(users, tablet, username, request):
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    _login(tablet, username)
    for path in KEY_PAGES[username]:
        response = tablet.goto(path)
        assert response.status == 200, path
        assert tablet.evaluate(OVERFLOW) <= 0, f"{path} scrolls sideways on a tablet"
        name = path.strip("/").replace("/", "-") or "home"
        tablet.screenshot(path=str(ARTIFACTS / f"tablet-{username}-{name}.png"), full_page=True)

    tablet.goto("/")
    toggler = tablet.locator("button.navbar-toggler")
    menu = tablet.locator("#mainnav")
    assert toggler.is_visible() and not menu.is_visible(), "the menu is collapsed on a tablet"
    toggler.click()
    menu.wait_for(state="visible")
    first_group = menu.locator("a.dropdown-toggle").first
    first_group.click()
    link = menu.locator(".dropdown-menu.show a.dropdown-item").first
    link.wait_for(state="visible")
    target = link.get_attribute("href")
    link.click()
    tablet.wait_for_load_state()
    assert tablet.url.endswith(target)
    assert tablet.evaluate(OVERFLOW) <= 0
    tablet.screenshot(path=str(ARTIFACTS / f"tablet-{username}-menu-target.png"), full_page=True)


def test_forms_are_usable_by_keyboard(users, tablet):
    """Tab from the top reaches the language field of the settings form; Enter saves it."""
    _login(tablet, "collector")
    tablet.goto("/accounts/profile/")
    for _ in range(40):
        tablet.keyboard.press("Tab")
        if tablet.evaluate("document.activeElement && document.activeElement.id") == "id_language":
            break
    else:
        pytest.fail("the language field is not reachable with Tab")
    tablet.keyboard.press("ArrowDown")  # zh-hans → en, or en stays
    tablet.select_option("#id_language", "en")
    tablet.keyboard.press("Tab")
    assert tablet.evaluate("document.activeElement.type") == "submit"
    with tablet.expect_navigation():
        tablet.keyboard.press("Enter")
    assert "Your settings are saved." in tablet.content()
