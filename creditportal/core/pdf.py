"""The shared PDF renderer (WeasyPrint): HTML from a Django template → PDF bytes.

Two steps, kept apart so a benchmark can time them separately: ``render_html`` (template → HTML
string, in a language) and ``html_to_pdf`` (HTML → PDF bytes, WeasyPrint's layout alone);
``render_pdf`` does both.

One ``FontConfiguration`` per thread is reused across renders (it caches font look-ups); CJK text needs
a CJK font on the machine (``fonts-wqy-zenhei`` is installed by ``scripts/setup``) and HarfBuzz
subsetting (``libharfbuzz-subset0``) keeps embedding fast. Prefer block layouts to very long
``<table>``s.

Documents fetch nothing but the portal's own static files: ``PortalURLFetcher`` serves ``data:`` URLs and
``file:`` URLs whose real path lies inside an app's ``static/`` folder or ``STATIC_ROOT``, and refuses
everything else (``file:///proc/self/environ``, ``http:``, a ``../`` or a symlink out of a static folder),
so a ``<link rel=attachment>`` or ``<img src=file:...>`` that user text might smuggle into a document
embeds nothing. User text never goes inside ``<style>``: page headers and footers are running elements
(``position: running(...)``) in the body, escaped like any other text.
"""
import logging
import os
import threading
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from django.apps import apps
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

PDF_FONT_FAMILY = '"WenQuanYi Zen Hei", "Noto Sans CJK SC", "DejaVu Sans", sans-serif'
ALLOWED_PROTOCOLS = frozenset({"file", "data"})

logger = logging.getLogger(__name__)


class FetchRefused(ValueError):
    """A document asked for a resource outside the allow-list (WeasyPrint logs it and skips the resource)."""


@lru_cache(maxsize=1)
def allowed_roots() -> tuple[str, ...]:
    """Real paths of the folders a document may read: every app's ``static/`` and ``STATIC_ROOT``."""
    roots = [os.path.join(config.path, "static") for config in apps.get_app_configs()]
    roots += [str(path) for path in getattr(settings, "STATICFILES_DIRS", ())]
    if getattr(settings, "STATIC_ROOT", None):
        roots.append(str(settings.STATIC_ROOT))
    return tuple(os.path.realpath(root) + os.sep for root in roots if os.path.isdir(root))


def is_allowed_url(url: str) -> bool:
    """True for ``data:`` URLs and for ``file:`` URLs inside the portal's static folders; nothing else."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "data":
        return True
    if scheme != "file" or parts.netloc not in ("", "localhost"):
        return False
    path = os.path.realpath(unquote(parts.path))
    return any(path.startswith(root) for root in allowed_roots())


def _fetcher_class():
    from weasyprint.urls import URLFetcher

    class PortalURLFetcher(URLFetcher):
        """WeasyPrint's fetcher behind the portal's allow-list (see the module's docstring)."""

        def fetch(self, url, headers=None):
            if not is_allowed_url(url):
                logger.warning("PDF: refused to fetch %.200s", url)
                raise FetchRefused(f"refused: {url[:200]}")
            return super().fetch(url, headers)

    return PortalURLFetcher

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
        fetcher = _local.url_fetcher = _fetcher_class()(allowed_protocols=ALLOWED_PROTOCOLS, allow_redirects=False)
    return fetcher


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """Lay out ``html`` and return the PDF bytes (fonts embedded as subsets)."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=base_url or str(settings.BASE_DIR), url_fetcher=_url_fetcher())
    return document.write_pdf(font_config=_font_config())


def render_html(template_name: str, context: dict, *, language: str | None = None) -> str:
    """The HTML of ``template_name`` in ``language`` (default: the active one)."""
    context = {"pdf_font_family": mark_safe(PDF_FONT_FAMILY), **context}  # a constant, never user text
    if language:
        with translation.override(language):
            return render_to_string(template_name, context)
    return render_to_string(template_name, context)


def render_pdf(template_name: str, context: dict, *, language: str | None = None) -> bytes:
    """Render ``template_name`` in ``language`` (default: the active one) and return the PDF bytes."""
    return html_to_pdf(render_html(template_name, context, language=language))
