#!/usr/bin/env python
"""Choices read as words in English ("Draft", not "draft"): capitalises the first letter of every choice
label written in the source (``NAME = "value", _("label")`` in a Choices class, ``("value", _("label"))`` in a
choices list) and carries each label's Chinese translation over to the new msgid in every app's .po file,
so nothing becomes untranslated. Safe to run again (labels already capitalised are left alone).

    .venv/bin/python scripts/capitalise_choices.py            # rewrite sources and catalogues
    scripts/messages && .venv/bin/python manage.py compilemessages --ignore=.venv
    .venv/bin/python manage.py makemigrations                 # the choices' labels are in the migrations
"""
import pathlib
import re
import sys

import polib

ROOT = pathlib.Path(__file__).resolve().parent.parent
SKIP_DIRS = {".venv", "migrations", "tests", "scripts", "node_modules", "bench", "static"}
# ``NAME = "value", _("label")`` / ``("value", _("label"))`` / with pgettext_lazy("context", "label")
LABEL = re.compile(
    r'''(?P<head>(?:^\s*[A-Z][A-Z0-9_]* = [^#\n]*?,\s*|\(\s*(?:"[^"]*"|'[^']*'|[A-Za-z_.]+),\s*))'''
    r'''(?P<call>_|gettext_lazy|gettext|gettext_noop|pgettext_lazy|pgettext)\('''
    r'''(?P<context>\s*"[^"]*",\s*)?"(?P<msgid>[a-z][^"]*)"\)''', re.M)


def capitalised(msgid: str) -> str:
    return msgid[0].upper() + msgid[1:]


def sources():
    for path in ROOT.rglob("*.py"):
        if SKIP_DIRS & set(path.relative_to(ROOT).parts):
            continue
        yield path


def rewrite_sources() -> set[tuple[str | None, str]]:
    changed: set[tuple[str | None, str]] = set()
    for path in sources():
        text = path.read_text()

        def replace(match):
            line_start = text.rfind("\n", 0, match.start()) + 1
            line = text[line_start:text.find("\n", match.start())]
            if "Column(" in line or "verbose_name" in line or "help_text" in line:
                return match.group(0)
            context = match.group("context")
            context_text = re.search(r'"([^"]*)"', context).group(1) if context else None
            changed.add((context_text, match.group("msgid")))
            return (f'{match.group("head")}{match.group("call")}({context or ""}'
                    f'"{capitalised(match.group("msgid"))}")')

        new = LABEL.sub(replace, text)
        if new != text:
            path.write_text(new)
            print(f"labels: {path.relative_to(ROOT)}")
    return changed


def carry_translations(changed):
    """Each catalogue gets the capitalised msgid with the translation of the lower-case one."""
    for po_path in ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"):
        po = polib.pofile(str(po_path))
        existing = {(entry.msgctxt, entry.msgid) for entry in po}
        added = 0
        for entry in list(po):
            key = (entry.msgctxt, entry.msgid)
            if key not in changed or not entry.msgstr:
                continue
            new_key = (entry.msgctxt, capitalised(entry.msgid))
            if new_key in existing:
                continue
            po.append(polib.POEntry(msgctxt=entry.msgctxt, msgid=new_key[1], msgstr=entry.msgstr))
            existing.add(new_key)
            added += 1
        if added:
            po.save()
            print(f"catalogue: {po_path.relative_to(ROOT)} (+{added})")


def main():
    changed = rewrite_sources()
    carry_translations(changed)
    print(f"{len(changed)} labels capitalised")


if __name__ == "__main__":
    sys.exit(main())
