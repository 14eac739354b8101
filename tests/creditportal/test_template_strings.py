"""Every human-readable string in a page template goes through the translation system.

Removes template tags, variables, comments, translate/blocktranslate blocks, scripts and styles, then
fails on any remaining text (letters or CJK) between HTML tags or in user-visible attributes
(placeholder, title, aria-label, alt). Symbols, numbers and punctuation are allowed.
"""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(p for p in ROOT.glob("*/templates/**/*.html") if ".venv" not in p.parts)
# PDF and e-mail bodies are checked the same way; nothing is exempt.

BLOCK_TRANS = re.compile(r"{%\s*blocktrans(?:late)?\b.*?{%\s*endblocktrans(?:late)?\s*%}", re.S)
COMMENT_BLOCK = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.S)
TAG = re.compile(r"{%.*?%}", re.S)
VAR = re.compile(r"{{.*?}}", re.S)
TPL_COMMENT = re.compile(r"{#.*?#}", re.S)
SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
VISIBLE_ATTR = re.compile(r'\b(?:placeholder|title|aria-label|alt)\s*=\s*"([^"]*)"', re.I)
HTML_TAG = re.compile(r"<[^>]+>", re.S)
WORDS = re.compile(r"[A-Za-z\u4e00-\u9fff]{2,}")
ENTITY = re.compile(r"&[a-zA-Z]+;|&#\d+;")


def untranslated(text: str) -> list[str]:
    text = COMMENT_BLOCK.sub(" ", text)
    text = BLOCK_TRANS.sub(" ", text)
    text = TPL_COMMENT.sub(" ", text)
    text = SCRIPT.sub(" ", text)
    text = HTML_COMMENT.sub(" ", text)
    text = VAR.sub(" ", text)
    text = TAG.sub(" ", text)
    found = [v for v in VISIBLE_ATTR.findall(text) if WORDS.search(v)]
    text = HTML_TAG.sub("\n", text)
    text = ENTITY.sub(" ", text)
    found += [line.strip() for line in text.splitlines() if WORDS.search(line)]
    return found


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_template_has_no_untranslated_text(path):
    assert untranslated(path.read_text(encoding="utf-8")) == []


def test_the_checker_finds_raw_text():
    assert untranslated("<p>Hello</p>") == ["Hello"]
    assert untranslated('<input placeholder="Name">') == ["Name"]
    assert untranslated("<p>{% translate 'Hello' %} {{ x }} · 12</p>") == []
