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
