"""Add or update catalogue entries: python tools/i18n_add.py < entries.tsv

Each input line: key<TAB>japanese<TAB>english.  Keys keep their order; new
keys are appended.  A maintenance helper for developers, not used by the app.
"""

import json
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent / "loyalty" / "locales"
cats = {lang: json.loads((root / f"{lang}.json").read_text(encoding="utf-8")) for lang in ("ja", "en")}
for line in sys.stdin:
    line = line.rstrip("\n")
    if not line.strip() or line.startswith("#"):
        continue
    key, ja, en = line.split("\t")
    cats["ja"][key] = ja
    cats["en"][key] = en
for lang, cat in cats.items():
    (root / f"{lang}.json").write_text(json.dumps(cat, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
print(len(cats["ja"]), "keys")
