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
import creditportal
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
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "creditportal.settings", "DJANGO_TESTING": "true",
           "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-P", "-c", MAKEMESSAGES], cwd=copy, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    committed = {e.msgid for e in polib.pofile(str(ROOT / app / "locale/zh_Hans/LC_MESSAGES/django.po"))}
    extracted = {e.msgid for e in polib.pofile(str(copy / "locale/zh_Hans/LC_MESSAGES/django.po"))}
    assert sorted(extracted - committed) == [], f"run scripts/messages {app} and translate these"
