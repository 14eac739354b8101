"""The shared PDF renderer (WeasyPrint): HTML from a Django template → PDF bytes.

Two steps, kept apart so a benchmark can time them separately: ``render_html`` (template → HTML
string, in a language) and ``html_to_pdf`` (HTML → PDF bytes, WeasyPrint's layout alone);
``render_pdf`` does both.

One ``FontConfiguration`` per thread is reused across renders (it caches font look-ups); CJK text needs
a CJK font on the machine (``fonts-wqy-zenhei`` is installed by ``scripts/setup``) and HarfBuzz
subsetting (``libharfbuzz-subset0``) keeps embedding fast. Prefer block layouts to very long
``<table>``s. Documents fetch nothing from the network: only ``file:`` and ``data:`` URLs are loaded.
"""
import threading

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

PDF_FONT_FAMILY = '"WenQuanYi Zen Hei", "Noto Sans CJK SC", "DejaVu Sans", sans-serif'
ALLOWED_PROTOCOLS = frozenset({"file", "data"})

_local = threading.local()


def _font_config():
    config = getattr(_local, "font_config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _local.font_config = FontConfiguration()
    return config


def _url_fetcher():
    fetcher = getattr(_local, "url_fetcher", None)
    if fetcher is None:
        from weasyprint.urls import URLFetcher

        fetcher = _local.url_fetcher = URLFetcher(allowed_protocols=ALLOWED_PROTOCOLS, allow_redirects=False)
    return fetcher


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """Lay out ``html`` and return the PDF bytes (fonts embedded as subsets)."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=base_url or str(settings.BASE_DIR), url_fetcher=_url_fetcher())
    return document.write_pdf(font_config=_font_config())


def render_html(template_name: str, context: dict, *, language: str | None = None) -> str:
    """The HTML of ``template_name`` in ``language`` (default: the active one)."""
    context = {"pdf_font_family": PDF_FONT_FAMILY, **context}
    if language:
        with translation.override(language):
            return render_to_string(template_name, context)
    return render_to_string(template_name, context)


def render_pdf(template_name: str, context: dict, *, language: str | None = None) -> bytes:
    """Render ``template_name`` in ``language`` (default: the active one) and return the PDF bytes."""
    return html_to_pdf(render_html(template_name, context, language=language))
