"""Keyboard-only use of a list with a picker (issue 21): Tab to the customer picker, type, choose with the keys,
Tab to "Filter" and press Enter; the saved-filter menu opens from the keyboard too."""
import pytest

from customers.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _tab_to(page, predicate_js, limit=80):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(predicate_js):
            return True
    return False


def test_keyboard_only_filter_with_a_customer_picker(users, page, login, shoot):
    wanted = Customer.objects.create(name="华东机械有限公司", is_foreign=True, registration_number="HK1", country="HK",
                                     industry_section="C", size="medium", relationship_manager=users["rm"])
    Customer.objects.create(name="西北能源有限公司", is_foreign=True, registration_number="HK2", country="HK",
                            industry_section="D", size="medium", relationship_manager=users["rm"])
    login("collector")
    page.goto("/collection/invoices/")
    assert _tab_to(page, "() => document.activeElement && document.activeElement.id === 'id_customer-ts-control'")
    page.keyboard.type("华东")
    page.wait_for_selector(".ts-dropdown .option:has-text('华东机械')")
    page.wait_for_function("() => !document.querySelector('.ts-wrapper.loading')")
    if not page.locator(".ts-dropdown .option.active").count():
        page.keyboard.press("ArrowDown")  # make the first match the active option
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => document.querySelector('#id_customer').value === '{wanted.pk}'")
    assert _tab_to(page, "() => document.activeElement && document.activeElement.type === 'submit' "
                         "&& document.activeElement.closest('form.portal-filter') !== null")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert f"customer={wanted.pk}" in page.url
    shoot("invoices-filtered-by-keyboard")
    # the saved-filter menu: a <details> the keyboard opens
    assert _tab_to(page, "() => document.activeElement && document.activeElement.tagName === 'SUMMARY'")
    page.keyboard.press("Enter")
    assert page.locator("details.portal-menu[open]").count() == 1
