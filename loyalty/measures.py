"""Measures (施策): suggested actions per tier and per named segment.

The default catalogue is data (``loyalty/data/measures.json``, both languages).
A definition may carry its own edited list; then that list is used as written
(the app saves the whole list, in the language it was edited in, as soon as one
target's measures are edited; "reset" goes back to the catalogue, ``None``).
A measure row has: target ("tier:top", "segment:at_risk", …), title, detail,
channel, timing, kpi (``MEASURE_FIELDS``; a definition file's list is checked
by :func:`loyalty.definition.validate_measures`).

Targets are the three tiers and the definition's named segments plus the
catch-all (:func:`targets`); every one has at least one catalogue measure.
:func:`action_plan` turns the list into the table exported as the action plan.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any
from pathlib import Path

import numpy as np
import pandas as pd

from loyalty.definition import MEASURE_FIELDS, TIER_KEYS
from loyalty.i18n import t
from loyalty.labels import segment_labels, tier_label
from loyalty.measure_log import LOG_COLUMNS, SUMMARY_COLUMNS, run_summary
from loyalty.segments import segment_keys

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


def target_of(group: str, key: str) -> str:
    """The target string of a tier or segment: ``target_of("tier", "top") == "tier:top"``.

    Args:
        group: "tier" or "segment".
        key: the tier or segment key.

    Returns:
        "tier:<key>" or "segment:<key>".
    """
    return f"{'tier' if group == 'tier' else 'segment'}:{key}"


def targets(definition, lang: str = "ja") -> list[tuple[str, str]]:
    """Every target a measure can have, with its display name, in display order.

    Args:
        definition: the definition (tier names and segment rules).
        lang: language of the names.

    Returns:
        ``[(target, label), …]``: the three tiers, then the named segments in rule
        order, then the catch-all segment.  Segment names carry the prefix
        「セグメント:」 so they cannot be confused with a tier.
    """
    out = [(target_of("tier", k), t("measure.target.tier", lang, label=tier_label(k, definition, lang)))
           for k in TIER_KEYS]
    labels = segment_labels(definition.segments, lang)
    for key in segment_keys(definition.segments):
        out.append((target_of("segment", key), t("measure.target.segment", lang, label=labels.get(key, key))))
    return out


def target_label(target: str, definition, lang: str = "ja") -> str:
    """The display name of a target (the target itself when the definition does not know it)."""
    return dict(targets(definition, lang)).get(target, target)


def rows_from_table(frame: pd.DataFrame, target: str) -> list[dict]:
    """Measure rows from an edited table (the app's data editor) for one target.

    Text is stripped; missing cells become ""; rows with every field blank are
    dropped (a row just added and not yet filled in).

    Args:
        frame: a table with some of the columns title, detail, channel, timing, kpi.
        target: the target every row gets.

    Returns:
        A list of measure dicts, in table order.
    """
    fields = MEASURE_FIELDS[1:]
    out = []
    for record in frame.reindex(columns=list(fields)).to_dict("records"):
        row = {"target": target}
        for k in fields:
            v = record.get(k)
            row[k] = "" if v is None or (isinstance(v, float) and v != v) or v is pd.NA else str(v).strip()
        if any(row[k] for k in fields):
            out.append(row)
    return out


def replace_target(definition_measures: list[dict] | None, target: str, rows: list[dict],
                   lang: str = "ja") -> list[dict]:
    """The whole measure list with one target's rows replaced.

    Args:
        definition_measures: the definition's list, or None for the catalogue in ``lang``.
        target: the target whose rows are replaced.
        rows: its new rows (their ``target`` is set to ``target``).
        lang: language of the catalogue when the definition has no list yet.

    Returns:
        A new list: other targets' rows unchanged and in order; the new rows where
        the target's first row was, or at the end when it had none.
    """
    current = definition_measures if definition_measures is not None else default_measures(lang)
    new_rows = [{**{k: r.get(k, "") for k in MEASURE_FIELDS}, "target": target} for r in rows]
    out: list[dict] = []
    placed = False
    for row in current:
        if row.get("target") == target:
            if not placed:
                out.extend(new_rows)
                placed = True
            continue
        out.append(dict(row))
    if not placed:
        out.extend(new_rows)
    return out


ACTION_PLAN_COLUMNS = ("target_label", "customers", "title", "detail", "channel", "timing", "kpi", *SUMMARY_COLUMNS,
                       "owner", "due")


def action_plan(definition_measures: list[dict] | None, definition, lang: str = "ja",
                counts: dict[str, int] | None = None) -> pd.DataFrame:
    """The measures as an action plan: one row per measure, in target order.

    Args:
        definition_measures: the definition's list, or None for the catalogue in ``lang``.
        definition: the definition (target names and order).
        lang: language of the catalogue and the target names.
        counts: customers per target ("tier:top" → 228); a target of the
            definition that is not in it has no customers (0); without counts,
            and for targets the definition does not know, the cell stays empty.

    Returns:
        Columns ``ACTION_PLAN_COLUMNS``: target name, customers, title, detail,
        channel, timing, KPI; from the definition's measure log (:mod:`loyalty.measure_log`)
        how often the measure ran, when last (YYYY/MM/DD) and the totals of sent,
        responded and revenue recorded (empty when never run or not recorded); and
        the empty columns owner and due for the team to fill in.  Rows whose target
        the definition does not know come last, named by their target string.
    """
    rows = definition_measures if definition_measures is not None else default_measures(lang)
    order = {tgt: i for i, (tgt, _) in enumerate(targets(definition, lang))}
    labels = dict(targets(definition, lang))
    ranked = sorted(enumerate(rows), key=lambda ir: (order.get(ir[1].get("target"), len(order)), ir[0]))
    known_zero = 0 if counts is not None else None
    counts = counts or {}
    runs = run_summary(getattr(definition, "measure_log", None))
    records = []
    for _, r in ranked:
        tgt = r.get("target", "")
        ran = runs.get((tgt, r.get("title", "")), {})
        records.append({"target_label": labels.get(tgt, tgt),
                        "customers": counts.get(tgt, known_zero if tgt in order else None),
                        **{k: r.get(k, "") for k in MEASURE_FIELDS[1:]},
                        "runs": ran.get("runs", 0), "last_run": ran.get("last_run", "").replace("-", "/"),
                        "sent": ran.get("sent"), "responded": ran.get("responded"), "revenue": ran.get("revenue"),
                        "owner": "", "due": ""})
    frame = pd.DataFrame(records, columns=list(ACTION_PLAN_COLUMNS))
    for col in ("customers", "runs", "sent", "responded"):
        frame[col] = frame[col].astype("Int64")
    frame["revenue"] = pd.to_numeric(frame["revenue"], errors="coerce").astype(float)
    return frame


def measure_log(definition: Any, lang: str = "ja") -> pd.DataFrame:
    """The definition's measure log as a table, oldest first.

    Args:
        definition: a :class:`loyalty.definition.Definition` (its ``measure_log``).
        lang: language of the target names.

    Returns:
        Columns :data:`LOG_COLUMNS`: ``date`` (datetime64, the day it ran: the movement page
        draws these as markers), target, target_label, measure, sent, responded (nullable
        integers), response_rate (responded / sent, NaN where unknown), revenue, note, and
        from a linked campaign-effect result uplift, low, high, verdict, outcome (else empty).
    """
    rows = []
    for e in getattr(definition, "measure_log", None) or []:
        eff = e.get("effect") or {}
        rows.append({"date": pd.Timestamp(e["date"]), "target": e["target"],
                     "target_label": target_label(e["target"], definition, lang), "measure": e["measure"],
                     "sent": e.get("sent"), "responded": e.get("responded"), "revenue": e.get("revenue"),
                     "note": e.get("note", ""), "uplift": eff.get("uplift"), "low": eff.get("low"),
                     "high": eff.get("high"), "verdict": eff.get("verdict", ""), "outcome": eff.get("outcome", "")})
    frame = pd.DataFrame(rows, columns=[c for c in LOG_COLUMNS if c != "response_rate"])
    frame["date"] = pd.to_datetime(frame["date"])
    for col in ("sent", "responded"):
        frame[col] = frame[col].astype("Int64")
    for col in ("revenue", "uplift", "low", "high"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = frame["responded"].astype(float) / frame["sent"].astype(float)
    frame.insert(6, "response_rate", rate.where(frame["sent"].astype(float) > 0))
    return frame.sort_values("date", kind="stable").reset_index(drop=True)
