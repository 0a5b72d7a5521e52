"""Measures (施策): suggested actions per tier and per named segment.

The default catalogue is data (``loyalty/data/measures.json``, both languages).
A definition may carry its own edited list; then that list is used as written.
A measure row has: target ("tier:top", "segment:at_risk", …), title, detail,
channel, timing, kpi.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pandas as pd

MEASURE_FIELDS = ("target", "title", "detail", "channel", "timing", "kpi")
_FILE = Path(__file__).parent / "data" / "measures.json"


@lru_cache(maxsize=None)
def _catalogue() -> tuple[dict, ...]:
    return tuple(json.loads(_FILE.read_text(encoding="utf-8"))["measures"])


def default_measures(lang: str = "ja") -> list[dict]:
    """The default catalogue as rows in ``lang``.

    Args:
        lang: "ja" or "en".

    Returns:
        A list of dicts with the keys of ``MEASURE_FIELDS``.
    """
    lang = "ja" if lang not in ("ja", "en") else lang
    return [{"target": m["target"], **m[lang]} for m in _catalogue()]


def measures_for(definition_measures: list[dict] | None, target: str, lang: str = "ja") -> list[dict]:
    """The measures for one target ("tier:top", "segment:new", …).

    Args:
        definition_measures: the definition's own list, or None for the catalogue.
        target: the target key.
        lang: language of the catalogue when the definition has no list.

    Returns:
        The matching rows, in order.
    """
    rows = definition_measures if definition_measures is not None else default_measures(lang)
    return [r for r in rows if r.get("target") == target]


def measures_table(definition_measures: list[dict] | None, lang: str = "ja") -> pd.DataFrame:
    """All measures as a table (the editable form and the action plan)."""
    rows = definition_measures if definition_measures is not None else default_measures(lang)
    return pd.DataFrame([{k: r.get(k, "") for k in MEASURE_FIELDS} for r in rows], columns=list(MEASURE_FIELDS))


def validate_measures(value: object, bad) -> list[dict]:
    """Check a definition's ``measures`` list.

    Args:
        value: the parsed JSON value.
        bad: ``bad(path, key, **kw)`` returning a LoyaltyError for a field path.

    Returns:
        The cleaned list.

    Raises:
        LoyaltyError: through ``bad`` when a row or field is invalid.
    """
    if not isinstance(value, list):
        raise bad("", "error.definition_measures")
    out = []
    for i, row in enumerate(value):
        if not isinstance(row, dict):
            raise bad(f"[{i}]", "error.definition_measures")
        target = row.get("target")
        if not isinstance(target, str) or not (target.startswith("tier:") or target.startswith("segment:")):
            raise bad(f"[{i}].target", "error.definition_measures")
        clean = {"target": target}
        for k in MEASURE_FIELDS[1:]:
            v = row.get(k, "")
            if v is None:
                v = ""
            if not isinstance(v, str):
                raise bad(f"[{i}].{k}", "error.definition_text")
            clean[k] = v
        out.append(clean)
    return out
