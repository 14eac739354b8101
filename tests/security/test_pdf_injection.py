"""PDF injection (security issue, finding 1, critical): no user text can make a PDF read a server file.

Two guards, each tested on its own: user text reaches a document only as escaped text and never inside
``<style>`` (the sweeps over every document live beside each document's tests: ``tests/reports``,
``tests/collection``, ``tests/validation``, all through ``tests/pdf_safety.py``), and WeasyPrint fetches only the
portal's own static files through the allow-list fetcher (here, fed hostile HTML directly).
"""
import io
import os
import pathlib

import pytest

from creditportal.core import pdf
from tests.pdf_safety import attachments_of, watching_pdfs

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("url", [
    "file:///proc/self/environ", "file:///etc/passwd", "file://localhost/etc/passwd", "file://evil.example/x",
    "http://127.0.0.1:8000/", "https://example.com/x.css", "ftp://example.com/x",
    f"file://{ROOT}/creditportal/settings.py", f"file://{ROOT}/creditportal/static/../settings.py",
    f"file://{ROOT}/creditportal/static/%2e%2e/settings.py", "gopher://x", "javascript:alert(1)", "relative/path.css",
])
def test_the_fetcher_refuses_everything_outside_the_static_folders(url):
    assert not pdf.is_allowed_url(url)


def test_the_fetcher_allows_data_urls_and_the_portals_static_files():
    static_file = next((ROOT / "creditportal" / "static").rglob("*.css"))
    assert pdf.is_allowed_url(f"file://{static_file}")
    assert pdf.is_allowed_url("data:text/plain;base64,aGVsbG8=")


def test_a_symlink_out_of_a_static_folder_is_refused(tmp_path, settings):
    static = ROOT / "creditportal" / "static"
    link = static / "test-link-out"
    try:
        os.symlink("/etc", link)
        assert not pdf.is_allowed_url(f"file://{link}/passwd")
    finally:
        if link.is_symlink():
            link.unlink()


@pytest.mark.parametrize("markup", [
    '<link rel="attachment" href="file:///proc/self/environ">',
    '<a rel="attachment" href="file:///etc/passwd">x</a>',
    '<img src="file:///etc/passwd">',
    '<link rel="stylesheet" href="file:///etc/passwd">',
    '<style>@import url("file:///etc/passwd");</style>',
    '<div style="background: url(file:///etc/passwd)">x</div>',
    '<iframe src="file:///etc/passwd"></iframe><object data="file:///etc/passwd"></object>',
])
def test_hostile_html_given_straight_to_weasyprint_embeds_nothing(markup):
    """Defence in depth: even markup that escaped the templates fetches nothing outside the allow-list."""
    with watching_pdfs() as seen:
        data = pdf.html_to_pdf(f"<html><body><p>x</p>{markup}</body></html>")
    assert attachments_of(data) == {}
    assert b"/EmbeddedFile" not in data
    assert b"root:x:0:0" not in data
    assert seen["fetched"] and not any(allowed for _url, allowed in seen["fetched"]), seen["fetched"]


def test_no_template_marks_a_value_safe():
    """No ``|safe`` and no ``{% autoescape off %}`` in any app's templates: values that must be markup are
    built in Python with ``format_html``/``mark_safe`` from escaped parts (the SVG charts, the page counter)."""
    offenders = []
    for template in ROOT.glob("*/templates/**/*.html"):
        if ".venv" in template.parts or "node_modules" in template.parts:
            continue
        text = template.read_text(encoding="utf-8")
        if "|safe" in text or "autoescape off" in text:
            offenders.append(str(template.relative_to(ROOT)))
    assert offenders == []


def test_pdf_styles_hold_only_constants():
    """Inside a PDF template's ``<style>`` only the font family and the translated page counter are variables."""
    import re

    allowed = {"{{ pdf_font_family }}", "{{ page_counter_css }}"}
    for template in [*ROOT.glob("*/templates/**/pdf/*.html"), ROOT / "collection/templates/collection/dunning_letter.html"]:
        text = template.read_text(encoding="utf-8")
        for style in re.findall(r"<style>(.*?)</style>", text, flags=re.S):
            assert set(re.findall(r"{{[^}]*}}|{%[^%]*%}", style)) <= allowed, template


def test_css_strings_cannot_close_the_style_element():
    from reports.documents.common import css_string

    value = css_string('Evil</style><link rel=attachment href=file:///x>"\\ 第 页')
    assert "<" not in value and ">" not in value and value.count('"') == 2 and "\\\\" not in value
    assert "第 页" in value
