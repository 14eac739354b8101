"""Forms reachable by keyboard and screen readers (every field has a label tied to it) and no page loads a
script, style or font from another site."""
from html.parser import HTMLParser

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

# (role, url name, args) of the forms people fill in every day
FORMS = [
    ("rm", "customers:customer_create", []),
    ("rm", "credit:application_create", []),
    ("rm", "collection:invoice_create", []),
    ("rm", "collection:payment_create", []),
    ("collector", "collection:case_open", []),
    ("collector", "accounts:profile", []),
    ("riskadmin", "accounts:user_create", []),
    ("riskadmin", "collection:policy_create", []),
    ("rm", "accounts:password_change", []),
    ("rm", "customers:customer_list", []),
    ("collector", "collection:invoice_list", []),
    ("auditor", "audit:event_list", []),
]

PAGES = [
    ("rm", "home"), ("rm", "customers:customer_list"), ("analyst", "ratings:rating_list"),
    ("collector", "collection:dunning_list"), ("riskadmin", "monitoring:alert_list"), ("auditor", "audit:event_list"),
    ("riskadmin", "accounts:user_list"), ("rm", "accounts:profile"),
]


class FormFields(HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields, self.labels, self.assets = [], set(), []
        self._label_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            if attrs.get("for"):
                self.labels.add(attrs["for"])
            self._label_depth += 1
        if tag in ("input", "select", "textarea"):
            kind = attrs.get("type", "text")
            if kind not in ("hidden", "submit", "button", "reset"):
                self.fields.append((attrs.get("name"), attrs.get("id"), bool(attrs.get("aria-label")),
                                    self._label_depth > 0))
        if tag == "script" and attrs.get("src"):
            self.assets.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.assets.append(attrs["href"])
        if tag == "img" and attrs.get("src"):
            self.assets.append(attrs["src"])

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_depth -= 1


def parse(html):
    parser = FormFields()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("role,name,args", FORMS)
def test_every_form_field_has_a_label(client, users, role, name, args):
    client.force_login(users[role])
    response = client.get(reverse(name, args=args), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    parsed = parse(response.content.decode())
    # the form fields of the page (the top bar's language select and search have aria-labels)
    assert parsed.fields, "the page has form fields"
    unlabelled = [(field_name, field_id) for field_name, field_id, aria, wrapped in parsed.fields
                  if not aria and not wrapped and (not field_id or field_id not in parsed.labels)]
    assert unlabelled == [], f"fields without a label on {name}: {unlabelled}"


@pytest.mark.parametrize("role,name", PAGES)
def test_no_page_loads_assets_from_another_site(client, users, role, name):
    client.force_login(users[role])
    html = client.get(reverse(name)).content.decode()
    external = [a for a in parse(html).assets if a.startswith(("http://", "https://", "//"))]
    assert external == [], external


def test_login_page_loads_nothing_from_another_site(client):
    html = client.get(reverse("accounts:login")).content.decode()
    parsed = parse(html)
    assert parsed.assets and not [a for a in parsed.assets if a.startswith(("http://", "https://", "//"))]


def test_date_inputs_keep_an_iso_value_in_chinese():
    """The browser's date input reads ISO dates only; in Chinese Django writes 2026/12/03, which it shows as
    empty (an edit then clears the date). Every form uses the one ISO widget."""
    import datetime as dt
    import re
    from pathlib import Path

    from django.utils import translation

    from collection.forms import InvoiceForm
    from creditportal.core.forms import DateInput

    with translation.override("zh-hans"):
        html = DateInput().render("due", dt.date(2026, 12, 3))
        assert 'type="date"' in html and 'value="2026-12-03"' in html
        form = InvoiceForm(initial={"due_date": dt.date(2026, 12, 3)})
        assert 'value="2026-12-03"' in str(form["due_date"])
    root = Path(__file__).resolve().parents[2]
    for path in root.glob("*/forms.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"forms\.DateInput\(|class \w*DateInput\(forms\.DateInput\)", text) \
            or path.parts[-2] == "creditportal", f"{path}: use creditportal.core.forms.DateInput"
