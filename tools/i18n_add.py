"""Add or update catalogue entries: python tools/i18n_add.py [AREA] < entries.tsv

Each input line: key<TAB>japanese<TAB>english.  Entries go to
loyalty/locales/{ja,en}/AREA.json (default AREA: core); keys keep their order,
new keys are appended.  A maintenance helper for developers, not used by the app.
"""

import json
import sys
from pathlib import Path

area = sys.argv[1] if len(sys.argv) > 1 else "core"
root = Path(__file__).resolve().parent.parent / "loyalty" / "locales"
paths = {lang: root / lang / f"{area}.json" for lang in ("ja", "en")}
cats = {lang: (json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}) for lang, p in paths.items()}
for line in sys.stdin:
    line = line.rstrip("\n")
    if not line.strip() or line.startswith("#"):
        continue
    key, ja, en = line.split("\t")
    cats["ja"][key] = ja
    cats["en"][key] = en
for lang, cat in cats.items():
    paths[lang].write_text(json.dumps(cat, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
print(area, len(cats["ja"]), "keys")
