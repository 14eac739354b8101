"""Both languages complete: every extracted string has a Chinese translation."""
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
PO_FILES = sorted(ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))


def test_there_are_translation_files():
    assert PO_FILES


@pytest.mark.parametrize("path", PO_FILES, ids=lambda p: p.parts[-5])
def test_translations_compile_with_matching_placeholders(path):
    import subprocess

    result = subprocess.run(["msgfmt", "--check-format", "-o", "/dev/null", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("path", PO_FILES, ids=lambda p: p.parts[-5])
def test_every_string_is_translated(path):
    po = polib.pofile(str(path))
    missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    assert missing == [], f"untranslated in {path}: {missing[:10]}"


APPS = sorted(path.parts[-5] for path in PO_FILES)

MAKEMESSAGES = """
import os, sys
import config  # the Celery app it loads puts the working directory on sys.path: drop it after
sys.path[:] = [p for p in sys.path if p not in ("", os.getcwd())]
from django.core.management import execute_from_command_line
execute_from_command_line(["django-admin", "makemessages", "-l", "zh_Hans", "--no-obsolete", "--no-location",
                           "-i", "migrations/*", "-i", "static/*"])
"""


@pytest.mark.parametrize("app", APPS)
def test_every_string_in_the_source_is_in_the_catalog(app, tmp_path):
    """A string marked for translation but never extracted (``scripts/messages`` not run after a change) shows
    in English in the Chinese UI: extract a copy of the app as ``scripts/messages`` does and compare."""
    import os
    import shutil
    import subprocess
    import sys

    copy = tmp_path / app
    shutil.copytree(ROOT / app, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static", "migrations"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_TESTING": "true",
           "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-P", "-c", MAKEMESSAGES], cwd=copy, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    committed = {e.msgid for e in polib.pofile(str(ROOT / app / "locale/zh_Hans/LC_MESSAGES/django.po"))}
    extracted = {e.msgid for e in polib.pofile(str(copy / "locale/zh_Hans/LC_MESSAGES/django.po"))}
    assert sorted(extracted - committed) == [], f"run scripts/messages {app} and translate these"


# --- What the translator of an app wrote is what its pages show ---------------------------------------------
# Django merges every catalogue into one; for the same msgid (and context) LOCALE_PATHS, then the app listed first
# in INSTALLED_APPS (Django's own apps come first) wins. ratings' "Position" (顺序, a factor's order) showed
# customers' 职务 (a contact's job title), customers' "Active" (正常) accounts' 启用, credit's "from" (自) the
# audit filter's 起始日期, "Created" (创建时间) DRF's 已创建 (an HTTP status). A string whose meaning differs
# from the other app's takes a context (pgettext / ``{% translate … context … %}``); the same meaning takes one
# translation. Every app's catalogue is checked; tests/collection/test_translations_shown.py spot-checks the
# words that collection, monitoring, reports and validation showed wrong.

SHOWN_APPS = APPS


def translations_shown_otherwise(app):
    """(context, msgid, what the app's translator wrote, what is shown) for every entry shown otherwise."""
    from django.utils import translation

    po = polib.pofile(str(ROOT / app / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    shown_otherwise = []
    with translation.override("zh-hans"):
        for entry in po:
            if entry.obsolete or not entry.translated():
                continue
            if entry.msgid_plural:
                shown = translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 1) if entry.msgctxt \
                    else translation.ngettext(entry.msgid, entry.msgid_plural, 1)
                wanted = entry.msgstr_plural[0]
            else:
                shown = translation.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt \
                    else translation.gettext(entry.msgid)
                wanted = entry.msgstr
            if shown != wanted:
                shown_otherwise.append((entry.msgctxt, entry.msgid, wanted, shown))
    return shown_otherwise


def test_every_app_with_strings_has_a_catalogue():
    assert {"creditportal", "accounts", "customers", "ratings", "credit", "collection", "monitoring", "reports",
            "validation", "audit", "demo"} <= set(APPS)


@pytest.mark.parametrize("app", SHOWN_APPS)
def test_every_translation_of_the_app_is_the_one_shown(app):
    shown_otherwise = translations_shown_otherwise(app)
    assert shown_otherwise == [], f"{app}: another app's translation wins for {shown_otherwise[:15]}"


def test_the_words_people_saw_wrong():
    """Spot checks of clashes that were fixed, as the models, forms and menus render them."""
    from django.utils import translation

    from accounts.navigation import MENU
    from credit.forms import GroupLimitForm
    from credit.models import Decision, Delegation, Facility
    from customers.models import CustomerStatus
    from ratings.forms import FactorForm
    from ratings.models import RatingBatch, RatingFactor, RatingModelState, ScaleGrade

    with translation.override("zh-hans"):
        assert str(RatingFactor._meta.get_field("position").verbose_name) == "顺序"
        assert str(ScaleGrade._meta.get_field("position").verbose_name) == "顺序"
        assert str(FactorForm.base_fields["position"].label) == "顺序"
        assert str(RatingFactor._meta.get_field("group").verbose_name) == "分组"
        assert str(RatingBatch._meta.get_field("total").verbose_name) == "客户数"
        assert str(CustomerStatus.ACTIVE.label) == "正常" and str(RatingModelState.ACTIVE.label) == "生效"
        assert str(GroupLimitForm.base_fields["active"].label) == "有效"
        assert str(Facility.Status.EXPIRED.label) == "已到期"
        assert str(Decision._meta.get_field("comment").verbose_name) == "意见"
        assert str(Delegation._meta.get_field("start_date").verbose_name) == "起始日期"
        assert str(MENU[0].label) == "系统管理"
        assert translation.pgettext("creation time", "Created") == "创建时间"
        assert translation.pgettext("customer tab", "History") == "变更历史"
        assert translation.pgettext("user status", "active") == "启用"
