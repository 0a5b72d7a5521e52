"""The measure log (施策ログ): when each measure of the action plan ran, and what came of it.

The seeds close their loop by recording each measure's response and verifying its effect
(001 「施策の効果を見える化し、継続的に検証」).  A log entry is kept in the definition file
(``measure_log``, schema version 2, :mod:`loyalty.definition`) so it travels with the
measures it belongs to::

    {"target": "tier:low", "measure": "休眠掘り起こしキャンペーン", "date": "2026-09-01",
     "sent": 1200, "responded": 84, "revenue": 352000, "note": "件名A/B",
     "effect": {"outcome": "visit", "kind": "rate", "group": "mail", "control": "holdout", ...}}

``target`` is the measure's target ("tier:low", "segment:at_risk"), ``measure`` its title
when it ran (titles may be edited later; the log keeps what ran), ``date`` the day it ran
(YYYY-MM-DD); ``sent``, ``responded`` (whole numbers) and ``revenue`` may be empty
(null); ``effect`` is the campaign-effect result linked to it (:func:`effect_summary` of
:mod:`loyalty.effect`), or null.

:func:`loyalty.measures.measure_log` is the log as a table with dates, for the personas &
measures page, the action-plan export and the movement page's markers; :func:`run_summary`
the totals per measure that the action plan shows.  This module knows nothing of the
definition (the definition imports it to validate its files).  Pure functions; no Streamlit.
"""

from __future__ import annotations

import copy
import math
from datetime import date
from typing import Any, Callable

import numpy as np
import pandas as pd

from loyalty.i18n import error

#: The fields of a log entry, in order.
LOG_FIELDS = ("target", "measure", "date", "sent", "responded", "revenue", "note", "effect")
#: The keys kept from a campaign-effect comparison (:func:`effect_summary`).
EFFECT_FIELDS = ("outcome", "kind", "group", "control", "n", "mean", "control_n", "control_mean", "uplift", "low",
                 "high", "verdict", "days")
#: The columns of :func:`loyalty.measures.measure_log`.
LOG_COLUMNS = ("date", "target", "target_label", "measure", "sent", "responded", "response_rate", "revenue", "note",
               "uplift", "low", "high", "verdict", "outcome")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _amount(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def validate_log(value: object, bad: Callable[..., Exception]) -> list[dict]:
    """Check a definition's ``measure_log`` list.

    Args:
        value: the parsed JSON value.
        bad: ``bad(path, key, **kw)`` returning a LoyaltyError for a field path (relative:
            ``[0].date``).

    Returns:
        The cleaned list: every entry with all of :data:`LOG_FIELDS` (missing numbers and
        effect None, a missing note "").

    Raises:
        LoyaltyError: through ``bad`` when an entry or field is invalid.
    """
    if not isinstance(value, list):
        raise bad("", "error.definition_measure_log")
    out = []
    for i, row in enumerate(value):
        if not isinstance(row, dict) or sorted(set(row) - set(LOG_FIELDS)):
            raise bad(f"[{i}]", "error.definition_measure_log")
        target = row.get("target")
        if not isinstance(target, str) or not target.startswith(("tier:", "segment:")):
            raise bad(f"[{i}].target", "error.definition_measure_log")
        if not isinstance(row.get("measure"), str) or not row["measure"].strip():
            raise bad(f"[{i}].measure", "error.definition_text")
        try:
            day = date.fromisoformat(str(row.get("date")))
        except ValueError:
            raise bad(f"[{i}].date", "error.definition_date") from None
        for k in ("sent", "responded"):
            if row.get(k) is not None and not _whole(row[k]):
                raise bad(f"[{i}].{k}", "error.definition_log_count")
        if row.get("revenue") is not None and not _amount(row["revenue"]):
            raise bad(f"[{i}].revenue", "error.definition_log_count")
        note = row.get("note", "")
        if not isinstance(note, str):
            raise bad(f"[{i}].note", "error.definition_text")
        effect = row.get("effect")
        if effect is not None and (not isinstance(effect, dict) or sorted(set(effect) - set(EFFECT_FIELDS))):
            raise bad(f"[{i}].effect", "error.definition_measure_log")
        out.append({"target": target, "measure": row["measure"].strip(), "date": day.isoformat(),
                    "sent": row.get("sent"), "responded": row.get("responded"), "revenue": row.get("revenue"),
                    "note": note, "effect": copy.deepcopy(effect)})
    return out


def new_entry(target: str, measure: str, day: date, *, sent: int | None = None, responded: int | None = None,
              revenue: float | None = None, note: str = "", effect: dict | None = None) -> dict:
    """A log entry, checked.

    Args:
        target: the measure's target ("tier:low", ...).
        measure: the measure's title.
        day: the day it ran.
        sent: customers it was sent to (None: not recorded).
        responded: customers who responded (None: not recorded).
        revenue: revenue attributed to it (None: not recorded).
        note: free text.
        effect: a campaign-effect summary (:func:`effect_summary`), or None.

    Returns:
        The entry (a dict of :data:`LOG_FIELDS`).

    Raises:
        LoyaltyError: no title, a negative count or amount, or more responded than sent.
    """
    if not str(measure).strip():
        raise error("error.measure_log_no_measure", field="measure")
    for name, v in (("sent", sent), ("responded", responded), ("revenue", revenue)):
        if v is not None and not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
            raise error("error.measure_log_negative", field=name)
    if sent is not None and responded is not None and responded > sent:
        raise error("error.measure_log_more_responded", field="responded", sent=int(sent), responded=int(responded))
    return {"target": target, "measure": str(measure).strip(), "date": day.isoformat(),
            "sent": None if sent is None else int(sent), "responded": None if responded is None else int(responded),
            "revenue": None if revenue is None else float(revenue), "note": note.strip(),
            "effect": copy.deepcopy(effect)}


def add_entry(log: list[dict] | None, entry: dict) -> list[dict]:
    """A new log with ``entry`` added, entries in date order (same date: in the order added)."""
    out = [dict(e) for e in (log or [])] + [dict(entry)]
    return sorted(out, key=lambda e: e["date"])


def remove_entries(log: list[dict] | None, positions: list[int]) -> list[dict]:
    """A new log without the entries at ``positions`` (indexes into ``log``)."""
    drop = set(positions)
    return [dict(e) for i, e in enumerate(log or []) if i not in drop]


def effect_summary(effect: Any, *, group: str | None = None, days: int | None = None) -> dict:
    """The part of a campaign-effect comparison a log entry keeps (overall, one treated group).

    Args:
        effect: a :class:`loyalty.effect.Effect`.
        group: the treated group to keep (default: the first treated group).
        days: the outcome window in days after the send, when the outcome came from transactions.

    Returns:
        A dict of :data:`EFFECT_FIELDS` with plain floats (None where there is no number,
        e.g. no uplift when the groups are too small to tell); ``outcome`` is the outcome's
        name without the page's "line:" / "col:" prefix (visit, conversion, spend or a column).
    """
    rows = effect.overall.set_index("group")
    name = group if group is not None else effect.treated[0]
    row = rows.loc[name]

    def num(v: Any) -> float | None:
        return float(v) if v is not None and np.isfinite(v) else None

    shown = bool(row["enough"])
    outcome = str(effect.outcome)
    if outcome.startswith(("line:", "col:")):
        outcome = outcome.split(":", 1)[1]
    return {"outcome": outcome, "kind": str(effect.kind), "group": str(name),
            "control": str(effect.control), "n": int(row["n"]), "mean": num(row["mean"]),
            "control_n": int(row["control_n"]), "control_mean": num(row["control_mean"]),
            "uplift": num(row["uplift"]) if shown else None, "low": num(row["low"]) if shown else None,
            "high": num(row["high"]) if shown else None, "verdict": str(row["verdict"]),
            "days": None if days is None else int(days)}


#: The totals per measure the action plan shows (:func:`run_summary`).
SUMMARY_COLUMNS = ("runs", "last_run", "sent", "responded", "revenue")


def run_summary(log: list[dict] | None) -> dict[tuple[str, str], dict]:
    """Per (target, measure title): how often it ran, when last, and the totals recorded.

    Returns:
        ``{(target, title): {"runs", "last_run" (YYYY-MM-DD), "sent", "responded", "revenue"}}``;
        a total is None when no run recorded it.
    """
    out: dict[tuple[str, str], dict] = {}
    for e in log or []:
        s = out.setdefault((e["target"], e["measure"]), {"runs": 0, "last_run": "", "sent": None, "responded": None,
                                                         "revenue": None})
        s["runs"] += 1
        s["last_run"] = max(s["last_run"], e["date"])
        for k in ("sent", "responded", "revenue"):
            if e.get(k) is not None:
                s[k] = (s[k] or 0) + e[k]
    return out
