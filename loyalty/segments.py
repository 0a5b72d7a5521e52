"""Named RFM segments: rules as data, first match wins, an explicit catch-all.

A rule (:class:`SegmentRule`) names a segment and gives inclusive R, F and M
score ranges.  The standard rules and the catch-all live in
``loyalty/data/segments.json``; a definition may carry its own list, checked by
:func:`parse_rules`.  The rules are compiled into a 5×5×5 lookup table, so
assigning a million customers is one array index, not a loop.

This module needs nothing else of the package: the definition reads its rules
from here, and labels (:mod:`loyalty.labels`) and scoring build on both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

_FILE = Path(__file__).parent / "data" / "segments.json"


@dataclass
class SegmentRule:
    """A named RFM segment: inclusive score ranges on R, F and M."""

    key: str
    ja: str
    en: str
    r: tuple[int, int]
    f: tuple[int, int]
    m: tuple[int, int]

    def label(self, lang: str) -> str:
        """The label in ``lang``."""
        return self.ja if lang == "ja" else self.en


@lru_cache(maxsize=None)
def _segment_data() -> dict:
    return json.loads(_FILE.read_text(encoding="utf-8"))


def default_segments() -> list[SegmentRule]:
    """The standard named segments (``loyalty/data/segments.json``)."""
    return [SegmentRule(key=r["key"], ja=r["ja"], en=r["en"], r=tuple(r["r"]), f=tuple(r["f"]),
                        m=tuple(r["m"])) for r in _segment_data()["rules"]]


def catch_all_segment() -> dict:
    """The catch-all segment's key and labels."""
    return dict(_segment_data()["catch_all"])


def parse_rules(value: object, bad) -> list[SegmentRule]:
    """Check a definition's ``segments`` list and build its rules.

    Args:
        value: the parsed JSON value: a non-empty list of
            ``{"key", "ja", "en", "r": [lo, hi], "f": […], "m": […]}``.
        bad: ``bad(path, key, **kw)`` returning a LoyaltyError for a field path
            (``segments[2].r``).

    Returns:
        The rules, in order (``ja``/``en`` default to the key).

    Raises:
        LoyaltyError: through ``bad``: not a list, a blank or repeated key (the
            catch-all's key included), a range outside 1–5 or upside down.
    """
    if not isinstance(value, list) or not value:
        raise bad("segments", "error.definition_segments")
    out: list[SegmentRule] = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        path = f"segments[{i}]"
        if not isinstance(item, dict):
            raise bad(path, "error.definition_not_object")
        key = item.get("key")
        if not isinstance(key, str) or not key.strip():
            raise bad(f"{path}.key", "error.definition_text")
        if key in seen or key == catch_all_segment()["key"]:
            raise bad(f"{path}.key", "error.definition_duplicate", value=key)
        seen.add(key)
        ranges = {}
        for axis in ("r", "f", "m"):
            rng = item.get(axis)
            if (not isinstance(rng, list) or len(rng) != 2 or not all(isinstance(x, int) and not isinstance(x, bool)
                                                                       for x in rng)
                    or not 1 <= rng[0] <= rng[1] <= 5):
                raise bad(f"{path}.{axis}", "error.definition_segment_range")
            ranges[axis] = (rng[0], rng[1])
        ja = item.get("ja", key)
        en = item.get("en", key)
        if not isinstance(ja, str) or not isinstance(en, str):
            raise bad(f"{path}.ja", "error.definition_text")
        out.append(SegmentRule(key=key, ja=ja, en=en, **ranges))
    return out


def segment_keys(rules: list[SegmentRule]) -> list[str]:
    """Every segment key a customer can get: the rules' in order, then the catch-all's."""
    return [r.key for r in rules] + [catch_all_segment()["key"]]


def compile_rules(rules: list[SegmentRule]) -> tuple[np.ndarray, list[str]]:
    """Build the lookup table.

    Args:
        rules: segment rules in priority order.

    Returns:
        ``(table, keys)``: an int array of shape (5, 5, 5) indexed by
        (R−1, F−1, M−1) holding an index into ``keys``; the last key is the catch-all.
    """
    keys = segment_keys(rules)
    table = np.full((5, 5, 5), len(rules), dtype=np.int16)
    for i in range(len(rules) - 1, -1, -1):  # paint in reverse so the first rule wins
        rule = rules[i]
        table[rule.r[0] - 1:rule.r[1], rule.f[0] - 1:rule.f[1], rule.m[0] - 1:rule.m[1]] = i
    return table, keys


def assign(r: np.ndarray, f: np.ndarray, m: np.ndarray, rules: list[SegmentRule]) -> tuple[np.ndarray, list[str]]:
    """Segment index per customer.

    Args:
        r, f, m: integer scores 1–5.
        rules: the segment rules.

    Returns:
        ``(codes, keys)``: codes index into keys.
    """
    table, keys = compile_rules(rules)
    ri = np.asarray(r, dtype=np.int64) - 1
    fi = np.asarray(f, dtype=np.int64) - 1
    mi = np.asarray(m, dtype=np.int64) - 1
    return table[ri, fi, mi], keys


def coverage(rules: list[SegmentRule]) -> dict[str, int]:
    """How many of the 125 R×F×M cells each segment gets (the catch-all included)."""
    table, keys = compile_rules(rules)
    counts = np.bincount(table.ravel(), minlength=len(keys))
    return {k: int(c) for k, c in zip(keys, counts)}
