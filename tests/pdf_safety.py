"""What every PDF test of hostile text checks (security issue: a customer name that made a PDF embed a server file).

``HOSTILE`` is the attacker's name plus the other shapes of the same attack. ``watching_pdfs()`` records the HTML
each document hands to WeasyPrint and every URL WeasyPrint asks the portal's fetcher for; ``assert_safe`` checks
one document: the hostile text reached the HTML only as escaped text (one ``<style>`` element, no ``<link>``, no
``<img>`` of the user's), the fetcher was asked for nothing, and the PDF has no attachment or embedded file.
"""
import contextlib
import io
from unittest import mock

HOSTILE = ('Evil</style><link rel=attachment href=file:///proc/self/environ><style>'
           '<img src=file:///etc/passwd><a rel=attachment href="file:///etc/hostname">x</a>"\\;}')


@contextlib.contextmanager
def watching_pdfs():
    """Yields ``{"html": [...], "fetched": [(url, allowed), ...]}`` for the documents rendered inside the block."""
    from creditportal.core import pdf

    seen = {"html": [], "fetched": []}
    real_html_to_pdf, real_allowed = pdf.html_to_pdf, pdf.is_allowed_url

    def html_to_pdf(html, **kwargs):
        seen["html"].append(html)
        return real_html_to_pdf(html, **kwargs)

    def is_allowed_url(url):
        allowed = real_allowed(url)
        seen["fetched"].append((url, allowed))
        return allowed

    with mock.patch.object(pdf, "html_to_pdf", html_to_pdf), mock.patch.object(pdf, "is_allowed_url", is_allowed_url):
        yield seen


def attachments_of(data: bytes) -> dict:
    from pypdf import PdfReader

    return dict(PdfReader(io.BytesIO(data)).attachments)


def assert_safe(data: bytes, seen: dict, *, name_shown: bool = True):
    assert data.startswith(b"%PDF")
    assert attachments_of(data) == {}
    for marker in (b"/EmbeddedFile", b"/FileAttachment", b"/Filespec"):
        assert marker not in data, marker
    assert seen["fetched"] == [], seen["fetched"]          # documents fetch nothing at all
    assert seen["html"], "the document did not go through the shared renderer"
    for html in seen["html"]:
        assert html.count("<style") == html.count("</style>") <= 1
        for element in ("<link", "<img src=file", "<a rel=attachment", "<a rel=\"attachment"):
            assert element not in html, element
    if name_shown:
        assert any("&lt;/style&gt;&lt;link rel=attachment" in html for html in seen["html"])
