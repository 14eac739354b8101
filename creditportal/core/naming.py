"""Names stored in two languages, shown in the reader's: one pattern for configured and shipped names.

A model whose rows are named by the portal or by a risk administrator (warning rules, authority levels,
credit policies, dunning policies and levels, rating models and scales) keeps

* ``name`` — the name in Chinese (the portal's default language; required), and
* ``name_en`` — the name in English (``english_field(...)``; optional: an empty one falls back to ``name``),

and the same ``<field>`` / ``<field>_en`` pair for a description or a meaning. Pages, PDFs, letters, forms'
choice labels and ``str(row)`` show the one of the active language, never both run together::

    {{ rule|localized }}                  → "逾期超过 30 天" / "Invoices overdue more than 30 days"
    {{ rule|localized:"description" }}
    localized(rule), localized(grade, "meaning")

A model mixes in :class:`LocalizedNameMixin` (``str(row)`` and ``row.localized_name``). Forms and the API take
both fields. A name the portal shipped in English only (the ratings' factors and caps inside a model's
definition) is still translated by its catalogue (``creditportal.core.formatting.shipped_text``).
"""
from __future__ import annotations

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

ENGLISH_SUFFIX = "_en"


def reader_reads_english(language: str | None = None) -> bool:
    """Whether the active (or given) language is English."""
    return (language or translation.get_language() or "").lower().startswith("en")


def localized(obj, field: str = "name", *, language: str | None = None) -> str:
    """``obj.<field>`` in the reader's language: the English one (``<field>_en``) for an English reader when
    there is one, the Chinese one otherwise; either falls back to the other when it is empty. Names the portal
    shipped in English only go through the catalogue (``shipped_text``)."""
    if obj is None:
        return ""
    from .formatting import shipped_text

    chinese = getattr(obj, field, "") or ""
    english = getattr(obj, field + ENGLISH_SUFFIX, "") or ""
    if reader_reads_english(language):
        return str(english or shipped_text(chinese) or "")
    return str(shipped_text(chinese) if chinese else english)


def english_field(base: models.Field | None = None, *, verbose_name=None, max_length: int = 200, text=False,
                  **kwargs) -> models.Field:
    """The English twin of a name (``CharField``) or a text (``text=True``: ``TextField``), optional."""
    kwargs.setdefault("blank", True)
    kwargs.setdefault("default", "")
    if text:
        return models.TextField(verbose_name or _("description (English)"), **kwargs)
    return models.CharField(verbose_name or _("name (English)"), max_length=max_length, **kwargs)


class LocalizedNameMixin:
    """``str(row)`` and ``row.localized_name``: the row's name in the reader's language."""

    @property
    def localized_name(self) -> str:
        return localized(self, "name")

    def localized_text(self, field: str) -> str:
        return localized(self, field)

    def __str__(self):
        return self.localized_name


def split_bilingual(text: str) -> tuple[str, str]:
    """A name written "中文 English" (how the portal shipped names before they had two fields) as
    (Chinese, English); a name in one language only as (text, "")."""
    text = (text or "").strip()
    for index, ch in enumerate(text):
        if ch.isascii() and ch.isalpha():
            head, tail = text[:index].strip(), text[index:].strip()
            if head and text[index - 1].isspace() and any("\u4e00" <= c <= "\u9fff" for c in head) and not any(
                    "\u4e00" <= c <= "\u9fff" for c in tail):
                return head, tail
            break
    return text, ""
