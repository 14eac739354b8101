"""Issue 21, the language test: on the demo portfolio, every page of every demo role (the page sweep's pages) and
every PDF (rating report, approval memo, portfolio report, statement of account, dunning letter, validation
report) in Chinese and in English carries no text of the other language — beyond what users typed (the demo's
data: names, addresses, notes), codes, currencies, units, e-mail addresses and the language switcher's names.

Latin words on a Chinese page are words of two letters or more that are not codes (no digit, no underscore, not
all capitals, not a lower-case slug); Han characters on an English page are any. What users typed is read from
the demo's data (``user_typed_words``), not listed by hand, so a shipped name or a label that leaks shows up."""
import re
from html.parser import HTMLParser
from unittest import mock

import pytest
from django.utils import translation

from demo.pages import pages_of
from tests.creditportal.test_page_sweep import ROLES, demo  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

LANGUAGES = ["zh-hans", "en"]
# shown on purpose: the language switcher names each language in itself; units and marks of both languages
ALLOWED_LATIN = {"English", "PDF", "XLSX", "CSV", "Excel", "Tom", "Select"}
ALLOWED_HAN = {"简体中文", "元", "万元", "万", "亿"}
# column names of an import file, named as the file spells them (validation's outcome import)
ALLOWED_CODES = {"inputs"}


class _Text(HTMLParser):
    """The text a reader sees: element text and the attributes shown or read aloud (title, placeholder,
    aria-label, alt), without scripts, styles and the values of form inputs (what a user typed)."""

    SKIP = {"script", "style", "textarea", "option"}
    SHOWN_ATTRS = {"title", "placeholder", "aria-label", "alt"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        for name, value in attrs:
            if name in self.SHOWN_ATTRS and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.parts


HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’._@/:+-]*")


def latin_words(text: str) -> list[str]:
    """The Latin words of a text, leaving out codes (digits, slugs, dotted and underscored names), acronyms,
    e-mail addresses and single letters (grades, units)."""
    words = []
    for token in TOKEN.findall(text):
        token = token.strip("._:/-'’")
        if (len(token) < 2 or any(ch.isdigit() for ch in token) or "@" in token or "_" in token or "/" in token
                or "." in token or token.isupper() or ("-" in token and token.lower() == token)):
            continue
        words.append(token)
    return words


def han_runs(text: str) -> list[str]:
    return HAN.findall(text)


def _user_data_texts():
    """What the demo's users typed: the text fields of the data models (customers, contacts, people, credit
    files, cases, notes, comments), never those of the configuration (rules, policies, levels, models)."""
    from django.apps import apps
    from django.db import models

    data_apps = {"customers", "collection", "credit", "ratings", "monitoring", "provisions", "accounts", "auth",
                 "proposals", "validation", "reports", "audit", "creditinfo", "insurance"}  # audit: what was recorded, in the words of then
    configuration = {"warningrule", "warningrulechange", "authoritylevel", "creditpolicy", "policygraderule",
                     "dunningpolicy", "dunninglevel", "ratingmodel", "ratingfactor", "scale", "grade",
                     "provisionrate", "ratingspolicy", "dunningpolicychange"}
    for model in apps.get_models():
        meta = model._meta
        codes = [f.name for f in meta.get_fields() if isinstance(f, models.SlugField)]
        if codes:  # codes are not translated (a rule's, a model's, a scale's code)
            for row in model.objects.values_list(*codes):
                yield from (value for value in row if value)
        if meta.app_label not in data_apps or meta.model_name in configuration:
            continue
        fields = [f.name for f in meta.get_fields() if isinstance(f, (models.CharField, models.TextField))
                  and not f.choices and getattr(f, "concrete", False)]
        if not fields:
            continue
        for row in model.objects.values_list(*fields):
            yield from (value for value in row if value)
    # the names a risk administrator gave the forward-looking scenarios (kept in a JSON list)
    from provisions.models import ScenarioSet

    for scenarios in ScenarioSet.objects.values_list("scenarios", flat=True):
        yield from (item.get("name") or "" for item in scenarios or [] if isinstance(item, dict))


def user_typed_words() -> tuple[set[str], set[str]]:
    latin, han = set(), set()
    for text in _user_data_texts():
        latin.update(latin_words(text))
        han.update(han_runs(text))
    return latin, han


def foreign_text(parts, language, allowed_latin, allowed_han):
    """(word, context) of the other language in ``parts``: a Han run must be a whole run of what a user
    typed (or inside one); a Latin word must be a word a user typed."""
    found = []
    for part in parts:
        if part.startswith(("{", "[")):  # a stored record shown as data (the audit trail's payloads)
            continue
        if language == "en":
            for run in han_runs(part):
                if run in ALLOWED_HAN or run in allowed_han or any(run in typed for typed in allowed_han):
                    continue
                found.append((run, part[:160]))
        else:
            for word in latin_words(part):
                if word in ALLOWED_LATIN or word in ALLOWED_CODES or word in allowed_latin:
                    continue
                found.append((word, part[:160]))
    return found


def _sign_in(client, user, language):
    from accounts.signals import SESSION_LANGUAGE_KEY

    client.force_login(user)
    session = client.session
    session[SESSION_LANGUAGE_KEY] = language
    session.save()


def _report(failures, limit=60):
    lines = sorted(failures)
    return "\n".join(lines[:limit]) + (f"\n… {len(lines) - limit} more" if len(lines) > limit else "")


def test_every_page_of_every_role_reads_in_one_language(demo, client):
    from django.contrib.auth import get_user_model

    allowed_latin, allowed_han = user_typed_words()
    failures, seen = set(), 0
    for language in LANGUAGES:
        for username in ROLES:
            user = get_user_model().objects.get(username=username)
            _sign_in(client, user, language)
            for label, url in pages_of(user):
                response = client.get(url)
                assert response.status_code == 200, (language, username, url)
                seen += 1
                for word, context in foreign_text(visible_text(response.content.decode()), language,
                                                  allowed_latin, allowed_han):
                    failures.add(f"{language} {url}: {word!r} in {context!r}")
            client.logout()
    assert seen >= 80, seen
    assert not failures, _report(failures)


def _documents(language):
    """(name, callable) of every document the portal prints, on the demo's rows."""
    import datetime as dt

    from django.contrib.auth import get_user_model

    from collection.letters import letter_pdf
    from collection.models import DunningAction
    from credit.models import CreditApplication
    from creditportal.core import clock
    from customers.models import Customer
    from ratings.models import Rating
    from reports import services as reports
    from validation.models import ValidationRun
    from validation.report_pdf import validation_report_pdf

    riskadmin = get_user_model().objects.get(username="riskadmin")
    collector = get_user_model().objects.get(username="collector")
    today = clock.today()
    documents = []
    rating = Rating.objects.filter(state="approved").order_by("pk").first()
    if rating is not None:
        documents.append(("rating report", lambda: reports.rating_report_pdf(rating, language)))
    for application in CreditApplication.objects.order_by("pk")[:3]:
        documents.append((f"approval memo #{application.pk}",
                          lambda a=application: reports.approval_memo_download(actor=riskadmin, application=a,
                                                                               language=language)))
    documents.append(("portfolio report", lambda: reports.portfolio_report_html(
        today.replace(day=1) - dt.timedelta(days=1), language, user=riskadmin)))
    customer = Customer.objects.visible_to(collector).filter(invoices__isnull=False).order_by("pk").first()
    if customer is not None:
        documents.append(("statement of account", lambda: reports.statement_of_account_download(
            actor=collector, customer=customer, start=today - dt.timedelta(days=365), end=today, language=language)))
    action = DunningAction.objects.filter(action__in=["formal_letter", "final_notice"]).order_by("pk").first()
    if action is not None:
        documents.append(("dunning letter", lambda: letter_pdf(action, language=language)))
    run = ValidationRun.objects.order_by("pk").first()
    if run is not None:
        documents.append(("validation report", lambda: validation_report_pdf(run, language=language)))
    return documents


def test_every_pdf_reads_in_one_language(demo):
    from creditportal.core import pdf

    allowed_latin, allowed_han = user_typed_words()
    failures, names = set(), set()
    for language in LANGUAGES:
        rendered = []
        with mock.patch.object(pdf, "html_to_pdf", side_effect=lambda html, **kw: rendered.append(html) or b"%PDF"):
            for name, make in _documents(language):
                rendered.clear()
                with translation.override(language):
                    result = make()
                html = rendered[-1] if rendered else (result if isinstance(result, str) else "")
                assert html, name
                names.add(name)
                for word, context in foreign_text(visible_text(html), language, allowed_latin, allowed_han):
                    failures.add(f"{language} {name}: {word!r} in {context!r}")
    assert {"rating report", "portfolio report", "statement of account"} <= names, names
    assert any(name.startswith("approval memo") for name in names), names
    assert not failures, _report(failures)


def test_the_checks_find_text_of_the_other_language():
    parts = visible_text('<h1 title="Draft">逾期超过 30 天 Invoices overdue</h1><script>var x = "draft";</script>'
                         '<p>CNY 39,000.00 · rm@example.com · overdue-30 · AAA · BBB+ · a_b</p>')
    assert parts == ["Draft", "逾期超过 30 天 Invoices overdue", "CNY 39,000.00 · rm@example.com · overdue-30 · AAA · BBB+ · a_b"]
    assert [w for w, _c in foreign_text(parts, "zh-hans", set(), set())] == ["Draft", "Invoices", "overdue"]
    assert [w for w, _c in foreign_text(parts, "en", set(), set())] == ["逾期超过", "天"]
    # what a user typed is theirs
    assert foreign_text(["华东水泥股份有限公司 · Huadong Cement"], "en", set(), {"华东水泥股份有限公司"}) == []
    assert foreign_text(["华东水泥股份有限公司 · Huadong Cement"], "zh-hans", {"Huadong", "Cement"}, set()) == []
