"""Streamlit side of the R/F/M cut points on the definition page: controls that keep
their cut points in order, customers per score beside them, and the suggestion
from the data (see :mod:`loyalty.cutpoints` for the rules).

**Why cut points are pushed, not bounded.**  A slider whose range were bounded by
its neighbours would change its range (and so its identity in Streamlit: it is
drawn anew) whenever a neighbour moves, and a handle could never be dragged past
the next one.  Instead every slider keeps one fixed range and, when a cut is
dragged (mouse) or stepped (keyboard arrows) into its neighbour, an ``on_change``
callback pushes the neighbour along, one step further; the cut being moved is
never written back (the browser may already show a newer value).  Slider ``i``'s
range leaves room for the cuts before and after it (``lo + i`` … ``hi − (3 − i)``
steps), so a pushed neighbour always fits.  Before the sliders are drawn, any
disorder that a rerun race left behind is repaired the same way, around the cut
moved last.  Amounts (number boxes) and the factors' cut boxes work alike.
"""

from __future__ import annotations

import hashlib
import json
import pandas as pd
import streamlit as st

from loyalty import cutpoints as cp
from loyalty.definition import RFM_KEYS, Definition, factor_catalogue
from loyalty.fmt import format_int, format_pct, format_yen
from ui import state
from ui.components import tier_labels

t = state.t
HIGHER = {"recency": False, "frequency": True, "monetary": True}
LOWEST = {"recency": 0, "frequency": 1, "monetary": 0}
MONEY_MAX = 1_000_000_000
_MOVED = "_cut_moved"            # axis -> index of the cut moved last
_MEMO = "_cut_suggestion_memo"   # suggestion key -> Suggestion (a few kept)
_APPLIED = "_cut_suggestion_applied"  # what the last applied suggestion did


def cut_key(axis: str, i: int) -> str:
    """The widget key of cut point ``i`` of an R/F/M axis."""
    return f"w_def_{axis}_{i}"


def step(axis: str) -> int:
    """One step of an axis's control: a day, an order, or the currency's smallest amount step."""
    if axis == "monetary":
        return cp.AMOUNT_MIN_STEP.get(state.currency(), cp.AMOUNT_MIN_STEP["JPY"])
    return 1


def bounds(axis: str, i: int, top: int) -> tuple[int, int]:
    """The fixed range of cut ``i``: room for the cuts before and after it.

    Args:
        axis: the R/F/M axis.
        i: the cut's index (0–3).
        top: the axis's highest value (a slider's max; the amounts' ceiling).

    Returns:
        ``(min_value, max_value)``.
    """
    gap = step(axis)
    value = int(st.session_state.get(cut_key(axis, i), LOWEST[axis]))
    return min(LOWEST[axis] + i * gap, value), max(top - (3 - i) * gap, value)


def cuts_of(axis: str) -> list[float]:
    """The four cut points of an axis as its widgets hold them."""
    return [float(st.session_state[cut_key(axis, i)]) for i in range(4)]


def _write(axis: str, cuts: list[float], skip: int | None) -> None:
    for i, value in enumerate(cuts):
        if i != skip and float(st.session_state[cut_key(axis, i)]) != value:
            st.session_state[cut_key(axis, i)] = int(value)


def on_cut_changed(axis: str, i: int) -> None:
    """Callback: cut ``i`` moved; push the neighbours it ran into along (never itself)."""
    st.session_state.setdefault(_MOVED, {})[axis] = i
    _write(axis, cp.push_apart(cuts_of(axis), i, step(axis)), skip=i)


def keep_ordered(axis: str) -> None:
    """Before an axis's widgets are drawn: repair cut points left out of order
    (a stale value from the browser), keeping the one moved last."""
    cuts = cuts_of(axis)
    if all(b > a for a, b in zip(cuts, cuts[1:])):
        return
    moved = st.session_state.get(_MOVED, {}).get(axis, 0)
    _write(axis, cp.push_apart(cuts, moved, step(axis)), skip=None)


def factor_gap(value: float) -> float:
    """The push distance for a factor's cut: a unit of the value's last decimal (at most 1)."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    decimals = len(text.split(".")[1]) if "." in text else 0
    return 10.0 ** -decimals


def on_factor_cut_changed(key: str, j: int) -> None:
    """Callback: a factor's cut ``j`` changed; push the cuts it ran into along."""
    keys = [f"w_def_fcut_{key}_{n}" for n in range(len(factor_catalogue()[key].cuts))]
    cuts = [float(st.session_state[k]) for k in keys]
    pushed = cp.push_apart(cuts, j, factor_gap(cuts[j]))
    for n, (k, value) in enumerate(zip(keys, pushed)):
        if n != j and cuts[n] != value:
            st.session_state[k] = value


# --- customers per score ----------------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=12)
def _axes(key: str, as_of, window: int, _scorer) -> dict[str, cp.AxisValues] | None:
    return cp.prepared_axes(_scorer)


def axes() -> dict[str, cp.AxisValues] | None:
    """R, F, M values of the customers in use, sorted once per data and as-of/window."""
    d = state.definition()
    return _axes(state.dataset_key(), d.as_of, d.window_days, state.scorer())


def counts_caption(axis: str, values: cp.AxisValues) -> None:
    """Customers per score at the cut points the widgets hold now (best score first)."""
    counts = cp.score_counts(values, cuts_of(axis), HIGHER[axis])
    letter = axis[0].upper()
    parts = [t("cut.count_item", score=f"{letter}{k}", n=format_int(counts[k - 1])) for k in range(5, 0, -1)]
    st.caption(t("cut.counts", counts=t("cut.count_sep").join(parts)))


# --- the suggestion ---------------------------------------------------------------------


def _memo_key(d: Definition) -> str:
    data = d.to_dict()
    keep = {k: data[k] for k in ("as_of", "window_days", "factors", "tiers")}
    raw = json.dumps([state.dataset_key(), state.currency(), keep], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def suggestion(d: Definition) -> cp.Suggestion | None:
    """The suggestion for ``d``, computed once per data, weights, tiers and currency.

    Its "before" is that of the definition it was first computed for; the page
    compares with :func:`current_impact` instead.
    """
    key = _memo_key(d)
    memo = st.session_state.setdefault(_MEMO, {})
    if key not in memo:
        if len(memo) >= 4:
            memo.pop(next(iter(memo)))
        memo[key] = cp.suggest(state.scorer(), d, state.currency(), axes=axes())
    return memo[key]


def current_impact(res, d: Definition) -> cp.Impact | None:
    """The working definition's top tier and customers per score, from its scores."""
    values = axes()
    if values is None:
        return None
    return cp.impact(res.frame, state.scorer().values("monetary"), d, values)


def _apply(s: cp.Suggestion, before: cp.Impact) -> None:
    """Callback: put the suggested cut points in the widgets (threshold mode) and remember what changed."""
    st.session_state["w_def_mode"] = "threshold"
    for axis in RFM_KEYS:
        for i, value in enumerate(s.cuts[axis]):
            st.session_state[cut_key(axis, i)] = int(value)
    st.session_state[_APPLIED] = {"cuts": {a: list(v) for a, v in s.cuts.items()}, "before": before, "after": s.after}


def _cuts_text(axis: str, cuts) -> str:
    if axis == "monetary":
        return " / ".join(format_yen(c) for c in cuts)
    return " / ".join(format_int(c) for c in cuts) + t(f"cut.unit.{axis}")


def _counts_text(counts) -> str:
    return " / ".join(format_int(counts[k - 1]) for k in range(5, 0, -1))


def _top_text(i: cp.Impact) -> str:
    return t("cut.top_value", n=format_int(i.top), share=format_pct(i.top_share))


def comparison_table(now_cuts: dict[str, list[float]], before: cp.Impact, s: cp.Suggestion) -> pd.DataFrame:
    """Cut points, customers per score, top tier and its revenue share: now and suggested."""
    rows = []
    for axis in RFM_KEYS:
        letter = axis[0].upper()
        rows.append((t("cut.row.cuts", axis=t(f"factor.{axis}")), _cuts_text(axis, now_cuts[axis]),
                     _cuts_text(axis, s.cuts[axis])))
        rows.append((t("cut.row.counts", letter=letter), _counts_text(before.counts[axis]),
                     _counts_text(s.after.counts[axis])))
    rows.append((t("cut.row.top", tier=_top_label()), _top_text(before), _top_text(s.after)))
    rows.append((t("cut.row.revenue", tier=_top_label()), format_pct(before.top_revenue_share), format_pct(s.after.top_revenue_share)))
    return pd.DataFrame(rows, columns=[t("cut.col.what"), t("cut.col.now"), t("cut.col.suggested")])


def offer(res, d: Definition, folded) -> None:
    """The suggestion, where it belongs: open above the tabs when the top tier is very
    small or very large; otherwise on request, in the R/F/M tab's expander ``folded``.

    Args:
        res: the working definition's scores.
        d: the working definition.
        folded: the expander (drawn in the R/F/M tab) for the suggestion on request,
            or None (quantile mode shows no expander).
    """
    applied_note(d)
    before = current_impact(res, d)
    if before is None or not cp.uses_rfm(d):
        return
    flag = cp.top_tier_flag(before.top_share)
    if flag is not None:
        _suggestion_body(d, before, flag)
    elif folded is not None:
        with folded:
            st.caption(t("cut.on_request"))
            if st.toggle(t("cut.show"), key="w_cut_show"):
                _suggestion_body(d, before, None)


def _top_label() -> str:
    return tier_labels()["top"]


def _suggestion_body(d: Definition, before: cp.Impact, flag: str | None) -> None:
    s = suggestion(d)
    if s is None:
        return
    low, high = cp.TARGET_TOP
    if flag is not None:
        st.warning(t(f"cut.flag.{flag}", tier=_top_label(), top=_top_text(before),
                     small=format_pct(cp.TOP_SMALL, 0), large=format_pct(cp.TOP_LARGE, 0)),
                   icon=":material/lightbulb:")
    st.markdown(t("cut.explain", tier=_top_label(), currency=t(f"data.currency.{s.currency}"), low=format_pct(low, 0),
                  high=format_pct(high, 0), levels=" / ".join(f"{round(x * 100)}%" for x in s.levels)))
    now = {axis: getattr(d.rfm, axis) for axis in RFM_KEYS}
    st.table(comparison_table(now, before, s), hide_index=True)
    st.button(t("cut.apply"), on_click=_apply, args=(s, before), key=f"w_cut_apply_{'flag' if flag else 'open'}",
              icon=":material/auto_fix_high:", type="primary" if flag else "secondary")


def applied_note(d: Definition) -> None:
    """After a suggestion was applied (and while its cut points are in use): say what it did."""
    done = st.session_state.get(_APPLIED)
    if not done or d.rfm.mode != "threshold":
        return
    if any([float(x) for x in getattr(d.rfm, axis)] != done["cuts"][axis] for axis in RFM_KEYS):
        return
    before, after = done["before"], done["after"]
    low, high = cp.TARGET_TOP
    inside = low <= after.top_share <= high
    st.success(t("cut.applied" if inside else "cut.applied_outside", tier=_top_label(), before=_top_text(before),
                 after=_top_text(after), low=format_pct(low, 0), high=format_pct(high, 0),
                 rev_before=format_pct(before.top_revenue_share), rev_after=format_pct(after.top_revenue_share)),
               icon=":material/check_circle:")
