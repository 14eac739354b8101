"""The shared PDF renderer (WeasyPrint): HTML from a Django template → PDF bytes.

One ``FontConfiguration`` is reused across renders (it caches font look-ups); CJK text needs a CJK
font on the machine (``fonts-wqy-zenhei`` is installed by ``scripts/setup``) and HarfBuzz subsetting
(``libharfbuzz-subset0``) keeps embedding fast. Prefer block layouts to very long ``<table>``s.
"""
from functools import cache

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

PDF_FONT_FAMILY = '"WenQuanYi Zen Hei", "Noto Sans CJK SC", sans-serif'


@cache
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    from weasyprint import HTML

    font_config = _font_config()
    document = HTML(string=html, base_url=base_url or str(settings.BASE_DIR))
    return document.write_pdf(font_config=font_config)


def render_pdf(template_name: str, context: dict, *, language: str | None = None) -> bytes:
    """Render ``template_name`` in ``language`` (default: the active one) and return the PDF bytes."""
    context = {"pdf_font_family": PDF_FONT_FAMILY, **context}
    if language:
        with translation.override(language):
            html = render_to_string(template_name, context)
    else:
        html = render_to_string(template_name, context)
    return html_to_pdf(html)
