"""Tier and segment labels in the UI language: what a marketer reads for a key.

A tier's label is the definition's own name when it has one (``tier_labels`` in
the definition file), else the catalogue's (最重要顧客 / 中堅層 / 低貢献層).  A named
segment's label is the rule's own ``ja``/``en`` text; the catch-all's comes from
``loyalty/data/segments.json``.  Every page, export and report reads its labels
here, so a label rule is written once.

This module sits above :mod:`loyalty.definition` and :mod:`loyalty.segments` and
below everything that shows labels (measures, personas, summaries, exports); it
imports nothing that imports it back.
"""

from __future__ import annotations

from loyalty.definition import TIER_KEYS, Definition
from loyalty.i18n import t
from loyalty.segments import SegmentRule, catch_all_segment


def tier_label(key: str, definition: Definition | None, lang: str = "ja") -> str:
    """A tier's label: the definition's own name, else the catalogue's.

    Args:
        key: "top", "middle" or "low".
        definition: the definition (its ``tier_labels`` win), or None for the catalogue's.
        lang: "ja" or "en".

    Returns:
        The label.

    Raises:
        KeyError: a key the catalogue does not know.
    """
    if definition is not None and key in definition.tier_labels:
        return definition.tier_labels[key]
    return t(f"tier.{key}", lang)


def tier_labels(definition: Definition | None, lang: str = "ja") -> dict[str, str]:
    """Every tier's label, in tier order (top, middle, low).

    Args:
        definition: the definition, or None for the catalogue's names.
        lang: "ja" or "en".

    Returns:
        ``{tier key: label}``.
    """
    return {k: tier_label(k, definition, lang) for k in TIER_KEYS}


def segment_labels(rules: list[SegmentRule], lang: str = "ja") -> dict[str, str]:
    """Every segment's label: the rules' own, then the catch-all's.

    Args:
        rules: the definition's segment rules.
        lang: "ja" or "en" (any other language reads the English labels).

    Returns:
        ``{segment key: label}`` in rule order, the catch-all last.
    """
    out = {r.key: r.label(lang) for r in rules}
    ca = catch_all_segment()
    out[ca["key"]] = ca["ja"] if lang == "ja" else ca["en"]
    return out


def tier_ranges(definition: Definition, lang: str = "ja") -> dict[str, str]:
    """Each tier's score range in words, without overlap at the cut-offs.

    top = score ≥ top cut-off; middle = ≥ middle and < top; low = < middle:
    「80以上」「50以上80未満」「50未満」.

    Args:
        definition: the definition (its tier cut-offs).
        lang: "ja" or "en".

    Returns:
        ``{tier key: range text}``.
    """
    top, middle = f"{definition.tiers['top']:g}", f"{definition.tiers['middle']:g}"
    return {k: t(f"polish.range.{k}", lang, top=top, middle=middle) for k in TIER_KEYS}
