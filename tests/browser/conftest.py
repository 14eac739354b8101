"""Browser tests: Playwright for Python driving Debian's Chromium (installed by scripts/setup) against
pytest-django's live server. Screenshots of key pages go to ``test-artifacts/screenshots/``.
"""
import os
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop; Django refuses sync ORM calls from it unless told.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"Chromium not found at {CHROMIUM} (scripts/setup installs Debian's chromium)")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, settings):
    settings.DEBUG = False
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900},
                                  locale="en-US", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


# The rows the top bar's parts sit on (brand, each menu group, search, bell, user, language): one row is one line.
HEADER_ROWS = """() => {
  const nav = document.querySelector('nav.navbar');
  const parts = [...nav.querySelectorAll('.navbar-brand, #mainnav > ul > li, #mainnav > form, nav > .container-fluid > form')]
    .filter(e => e.offsetParent !== null);
  const rows = [];
  for (const e of parts) {
    const r = e.getBoundingClientRect();
    if (!rows.some(([top, bottom]) => r.top < bottom && r.bottom > top)) rows.push([r.top, r.bottom]);
  }
  return {rows: rows.length, height: Math.round(nav.getBoundingClientRect().height)};
}"""


def header_lines(page) -> int:
    """How many lines the top bar takes (1 when it fits)."""
    return page.evaluate(HEADER_ROWS)["rows"]


def log_in(page, username, password="Secret-pass-123"):
    """Log ``page`` in as ``username`` through the real login form (a fresh session)."""
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


@pytest.fixture
def login(page):
    def do_login(username, password="Secret-pass-123"):
        return log_in(page, username, password)

    return do_login


@pytest.fixture
def shoot(page, request):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def screenshot(name):
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return screenshot
