"""Named RFM segments: rules as data, first match wins, an explicit catch-all.

The rules (``loyalty/data/segments.json`` or a definition's own list) are
compiled into a 5×5×5 lookup table, so assigning a million customers is one
array index, not a loop.
"""

from __future__ import annotations

import numpy as np

from loyalty.definition import SegmentRule, catch_all_segment


def compile_rules(rules: list[SegmentRule]) -> tuple[np.ndarray, list[str]]:
    """Build the lookup table.

    Args:
        rules: segment rules in priority order.

    Returns:
        ``(table, keys)``: an int array of shape (5, 5, 5) indexed by
        (R−1, F−1, M−1) holding an index into ``keys``; the last key is the catch-all.
    """
    keys = [r.key for r in rules] + [catch_all_segment()["key"]]
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


def segment_labels(rules: list[SegmentRule], lang: str = "ja") -> dict[str, str]:
    """key -> label for the rules plus the catch-all."""
    out = {r.key: r.label(lang) for r in rules}
    ca = catch_all_segment()
    out[ca["key"]] = ca["ja"] if lang == "ja" else ca["en"]
    return out
