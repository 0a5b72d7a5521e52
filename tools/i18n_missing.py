"""List catalogue keys used in the code (t("…") / error("…") calls) but missing
from a catalogue.  Developer helper; tests/test_i18n.py does the same check."""

import json
import re
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
pat = re.compile(r"""\b(?:t|error|_t)\(\s*f?["']([a-z_]+\.[A-Za-z0-9_.{}]+)["']""")
used = set()
for path in list(root.glob("loyalty/*.py")) + list(root.glob("pages/*.py")) + list(root.glob("ui/*.py")) + [root / "app.py"]:
    for m in pat.finditer(path.read_text(encoding="utf-8")):
        used.add(m.group(1))
sys.path.insert(0, str(root))
from loyalty.i18n import catalogue  # noqa: E402

for lang in ("ja", "en"):
    cat = catalogue(lang)
    missing = sorted(k for k in used if "{" not in k and k not in cat)
    print(lang, "missing:", *missing, sep="\n  ")
    dyn = sorted(k for k in used if "{" in k)
print("dynamic keys (check by hand):", *dyn, sep="\n  ")
