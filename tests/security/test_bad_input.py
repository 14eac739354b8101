"""Bad input: property tests (money, ratios, import parsers), uploads, escaping, CSRF, raw SQL."""
import io
import math
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from creditportal.core import money
from creditportal.core.errors import ValidationFailed

ROOT = Path(__file__).resolve().parents[2]
APPS = ["accounts", "audit", "customers", "ratings", "credit", "collection", "monitoring", "reports", "validation",
        "demo", "creditportal"]
FAST = hsettings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
SCRIPT = "<script>alert(1)</script>"

# --- money ---------------------------------------------------------------------------------------

decimals = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False,
                       allow_infinity=False, places=4)


@FAST
@given(st.one_of(st.text(max_size=30), st.integers(), decimals, st.decimals(allow_nan=True, allow_infinity=True)))
def test_to_decimal_gives_a_finite_decimal_or_value_error(value):
    try:
        result = money.to_decimal(value)
    except ValueError:
        return
    assert isinstance(result, Decimal) and result.is_finite()


@FAST
@given(decimals, decimals)
def test_money_addition_is_exact_and_commutative(a, b):
    x, y = money.Money(a, "CNY"), money.Money(b, "CNY")
    assert (x + y).amount == a + b == (y + x).amount


@FAST
@given(decimals)
def test_quantize_rounds_half_up_to_cents_within_half_a_cent(a):
    q = money.quantize(a)
    assert q.as_tuple().exponent == -2
    assert abs(q - a) <= Decimal("0.005")


def test_money_refuses_mixed_currencies_and_floats():
    with pytest.raises(Exception):
        money.Money(Decimal("1"), "CNY") + money.Money(Decimal("1"), "USD")
    with pytest.raises(ValueError):
        money.to_decimal(1.5)


# --- ratios --------------------------------------------------------------------------------------

RATIO_FIELDS = ["cash", "receivables", "inventory", "current_assets", "total_assets", "short_term_debt",
                "current_liabilities", "long_term_debt", "total_liabilities", "equity", "revenue", "cost_of_sales",
                "operating_profit", "interest_expense", "profit_before_tax", "net_profit", "operating_cash_flow"]
ratio_value = st.one_of(st.none(), decimals, st.just(Decimal("0")), st.text(max_size=5), st.integers())
statement = st.fixed_dictionaries({}, optional={f: ratio_value for f in RATIO_FIELDS})


@FAST
@given(statement, st.one_of(st.none(), statement), st.integers(min_value=1, max_value=400))
def test_ratios_never_raise_and_are_none_or_finite(current, previous, days):
    from customers import rules as ratios

    result = ratios.compute_ratios(current, previous, days=days)
    for value in result.values():
        assert value is None or (isinstance(value, Decimal) and value.is_finite())
    ratios.flags(current, previous)


# --- import parsers ------------------------------------------------------------------------------

@FAST
@given(st.binary(max_size=400))
def test_statement_parser_never_crashes_on_bytes(data):
    from customers import statement_io

    for name in ("s.csv", "s.xlsx"):
        try:
            statement_io.read_rows(SimpleUploadedFile(name, data))
        except statement_io.ImportFileError:
            pass


csv_cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@pytest.mark.django_db
@hsettings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(rows=st.lists(st.lists(csv_cell, min_size=0, max_size=8), max_size=6), raw=st.binary(max_size=200))
def test_collection_imports_never_crash_and_never_partially_import(users, rows, raw):
    from collection import services
    from collection.models import Invoice, Payment

    header_i = ",".join(services.INVOICE_COLUMNS)
    header_p = ",".join(services.PAYMENT_COLUMNS)
    body = "\n".join(",".join(c.replace(",", " ").replace("\n", " ") for c in r) for r in rows)
    before = (Invoice.objects.count(), Payment.objects.count())
    for fn, content in [(services.invoices_import, (header_i + "\n" + body).encode()),
                        (services.payments_import, (header_p + "\n" + body).encode()),
                        (services.invoices_import, raw), (services.payments_import, raw)]:
        try:
            result = fn(actor=users["rm"], content=content)
        except ValidationFailed:
            assert (Invoice.objects.count(), Payment.objects.count()) == before
            continue
        assert not result.errors  # an import with errors raises: all or nothing
        before = (Invoice.objects.count(), Payment.objects.count())


# --- uploads -------------------------------------------------------------------------------------

@pytest.fixture
def customer(users):
    from customers.models import Customer

    return Customer.objects.create(name=SCRIPT, is_foreign=True, registration_number="REG-XSS", country="HK",
                                   industry_section="C", size="medium", relationship_manager=users["rm"],
                                   status="active")


def _doc_type():
    from customers.models import DocumentType

    return DocumentType.values[0]


class RawUpload(io.BytesIO):
    """An upload whose name reaches the service unchanged (Django's UploadedFile already strips folders)."""

    def __init__(self, name, content, content_type):
        super().__init__(content)
        self.name, self.size, self.content_type = name, len(content), content_type

    def chunks(self, chunk_size=None):
        self.seek(0)
        yield self.read()


@pytest.mark.django_db
@pytest.mark.parametrize("name, content, ctype", [
    ("../../x.pdf", b"%PDF-1.4 fine", "application/pdf"),
    ("..\\x.pdf", b"%PDF-1.4 fine", "application/pdf"),
    ("/etc/x.pdf", b"%PDF-1.4 fine", "application/pdf"),
    ("x.exe", b"MZ\x90\x00", "application/octet-stream"),
    ("x.pdf", b"MZ\x90\x00not a pdf", "application/pdf"),
    ("x.pdf", b"", "application/pdf"),
])
def test_bad_uploads_are_refused_and_nothing_is_stored(users, customer, name, content, ctype, settings, tmp_path):
    from customers import services
    from customers.models import CustomerDocument

    settings.MEDIA_ROOT = str(tmp_path)
    with pytest.raises(ValidationFailed):
        services.document_upload(actor=users["rm"], customer=customer, doc_type=_doc_type(),
                                 uploaded_file=RawUpload(name, content, ctype))
    assert CustomerDocument.objects.count() == 0
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


@pytest.mark.django_db
def test_an_oversized_upload_is_refused(users, customer, settings, tmp_path):
    from customers import services
    from customers.models import CustomerDocument

    settings.MEDIA_ROOT = str(tmp_path)
    settings.DOCUMENT_MAX_BYTES = 1000
    with pytest.raises(ValidationFailed):
        services.document_upload(actor=users["rm"], customer=customer, doc_type=_doc_type(),
                                 uploaded_file=SimpleUploadedFile("x.pdf", b"%PDF-1.4" + b"0" * 2000,
                                                                  content_type="application/pdf"))
    assert CustomerDocument.objects.count() == 0


def _xlsx_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet><sheetData>" + "<row/>" * 8_000_000 + "</sheetData></worksheet>")
    return buf.getvalue()


@pytest.mark.django_db
def test_an_xlsx_bomb_is_refused_and_nothing_is_imported(users, customer):
    from customers import services
    from customers.models import FinancialStatement

    data = _xlsx_bomb()
    assert len(data) < 1024 * 1024
    with pytest.raises(ValidationFailed):
        services.statements_import(actor=users["rm"], customer=customer,
                                   uploaded_file=SimpleUploadedFile("bomb.xlsx", data))
    assert FinancialStatement.objects.count() == 0


# --- escaping ------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["customers:customer_list", "customers:customer_detail"])
def test_a_script_name_is_shown_as_text(users, customer, client_for, url_name):
    from django.urls import reverse

    url = reverse(url_name, args=[customer.pk] if "detail" in url_name else [])
    html = client_for(users["rm"]).get(url).content.decode()
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- CSRF ----------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/customers/new/", "/customers/1/edit/", "/accounts/logout/",
                                 "/accounts/password/", "/ratings/batches/", "/credit/applications/new/", "/ratings/start/1/",
                                 "/i18n/setlang/"])
def test_posts_without_a_csrf_token_are_refused(users, url):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["riskadmin"])
    response = client.post(url, {"name": "x"})
    assert response.status_code == 403, (url, response.status_code)


@pytest.mark.django_db
def test_every_page_post_route_needs_csrf(users):
    """Every page that accepts POST is checked by Django's CSRF middleware (none is csrf_exempt)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns)
            elif isinstance(p, URLPattern):
                yield p

    exempt = []
    for p in walk(get_resolver().url_patterns):
        cb = p.callback
        if getattr(cb, "csrf_exempt", False) and not getattr(cb, "cls", None):  # DRF views: token auth, session checks CSRF
            exempt.append(str(p.pattern))
    assert exempt == [], exempt


# --- raw SQL -------------------------------------------------------------------------------------

RAW = re.compile(r"""(\.raw\(|\.extra\(|cursor\.execute\(|RawSQL\()\s*(f["']|["'][^"']*["']\s*%|[^)]*\.format\()""")


# f-strings that interpolate only identifiers the code itself chooses (never request input), reviewed:
ALLOWED_RAW = {
    # alias is a literal from the caller, sql/params come from the ORM's own sql_with_params()
    'monitoring/selectors/dashboard.py: cursor.execute(f"',
    # the letter moves: the windowed query's sql/params come from the ORM's own sql_with_params()
    'monitoring/trends.py: cursor.execute(f"',
    # permission versions: the table name from model _meta and one "(%s, %s)" per row, values as parameters
    'creditportal/core/permcache.py: cursor.execute(f"',
    # demo loader: table and constraint names come from model _meta / pg catalog, no user input
    "demo/generator.py: cursor.execute(f'", 'demo/generator.py: cursor.execute(f"',
    "demo/generator.py: self.cursor.execute(f'", 'demo/generator.py: cursor.execute(f"',
}


def test_no_raw_sql_built_from_strings():
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            for m in RAW.finditer(text):
                offenders.append(f"{path.relative_to(ROOT)}: {m.group(0)}")
            for line in text.splitlines():
                if re.search(r"\.(raw|extra)\(", line) and re.search(r"f[\"']|%\s*\(|\.format\(", line):
                    offenders.append(f"{path.relative_to(ROOT)}: {line.strip()}")
    offenders = [o for o in offenders if o not in ALLOWED_RAW and not o.startswith("demo/generator/")]
    assert offenders == [], offenders
