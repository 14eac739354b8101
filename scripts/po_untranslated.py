"""List the untranslated (or fuzzy) entries of the .po files given, or fill them from a JSON file.

    python scripts/po_untranslated.py customers/locale/zh_Hans/LC_MESSAGES/django.po
    python scripts/po_untranslated.py PO --fill translations.json   # {"msgid": "msgstr", ...}: untranslated and
                                                                     # fuzzy entries only
Plural entries take a list of one form ["…"] (Chinese has one plural form).
"""
import json
import sys

import polib


def main(argv):
    path = argv[1]
    po = polib.pofile(path)
    if len(argv) > 3 and argv[2] == "--fill":
        table = json.load(open(argv[3], encoding="utf-8"))
        for entry in po:
            # Only what is missing or fuzzy: an entry already translated (another context of the same
            # msgid, say) keeps its translation.
            if entry.msgid in table and (not entry.translated() or "fuzzy" in entry.flags):
                value = table[entry.msgid]
                if entry.msgid_plural:
                    entry.msgstr_plural = {0: value[0] if isinstance(value, list) else value}
                else:
                    entry.msgstr = value
                if "fuzzy" in entry.flags:
                    entry.flags.remove("fuzzy")
        po.save()
    missing = [e for e in po if (not e.translated() or "fuzzy" in e.flags) and not e.obsolete]
    for entry in missing:
        print(json.dumps(entry.msgid, ensure_ascii=False) + (" [plural]" if entry.msgid_plural else ""))
    print(f"# {len(missing)} untranslated in {path}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
