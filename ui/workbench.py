"""Widgets of the definition workbench: keeping widget state and the working
definition in step, factor weights that always sum to 100, the segment-rule editor,
and the definition the widgets describe."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from loyalty import definition as defn
from loyalty.definition import RFM_KEYS, TIER_KEYS, factor_catalogue, first_unordered_cut
from loyalty.errors import LoyaltyError
from ui import state

AXES = RFM_KEYS
SEG_COLUMNS = ["key", "ja", "en", "r_min", "r_max", "f_min", "f_max", "m_min", "m_max"]


def widget_values(d: defn.Definition) -> dict:
    """The widget keys of the definition page and their values for ``d``."""
    values = {
        "w_def_name": d.name,
        "w_def_asof_auto": d.as_of is None,
        "w_def_window": int(d.window_days),
        "w_def_mode": d.rfm.mode,
        "w_def_tiers": (float(d.tiers["middle"]), float(d.tiers["top"])),
        "w_def_factors": [f.key for f in d.factors],
    }
    for axis in AXES:
        for i, v in enumerate(getattr(d.rfm, axis)):
            values[f"w_def_{axis}_{i}"] = int(v)
    for f in d.factors:
        values[f"w_def_wt_{f.key}"] = float(f.weight)
        if f.key not in RFM_KEYS:
            values[f"w_def_fmode_{f.key}"] = f.effective_mode()
            for i, c in enumerate(f.effective_cuts()):
                values[f"w_def_fcut_{f.key}_{i}"] = float(c)
    for key in TIER_KEYS:
        values[f"w_def_label_{key}"] = d.tier_labels.get(key, "")
    if d.as_of is not None:
        values["w_def_asof"] = d.as_of
    return values


def reset_widgets(d: defn.Definition) -> None:
    """Forget every widget of the definition page; the page sets them from the
    working definition when it is next drawn (:func:`ensure_widgets`).

    Only forgetting, not setting: values set here from another page (the workshop)
    would not survive until the definition page draws its widgets.

    Args:
        d: the definition just loaded (the page reads the working definition).
    """
    for key in [k for k in st.session_state if str(k).startswith("w_def_")]:
        del st.session_state[key]
    st.session_state.pop("seg_editor_base", None)


def ensure_widgets(d: defn.Definition) -> None:
    """Give widgets that have no state yet their values from ``d``."""
    for key, value in widget_values(d).items():
        if key not in st.session_state:
            st.session_state[key] = value
    if "seg_editor_base" not in st.session_state:
        st.session_state["seg_editor_base"] = segments_frame(d)


def load_definition(d: defn.Definition, *, saved: bool = True) -> None:
    """Make ``d`` the working definition (and the saved baseline) and refresh the widgets."""
    state.set_definition(d, saved=saved)
    reset_widgets(d)


# --- weights ------------------------------------------------------------------

def on_factors_changed() -> None:
    """The factor selection changed: keep existing weights, give new factors an
    equal share, then make everything sum to 100."""
    keys = list(st.session_state["w_def_factors"])
    if not keys:
        return
    old = {k: float(st.session_state.get(f"w_def_wt_{k}", 0.0)) for k in keys}
    new_keys = [k for k in keys if f"w_def_wt_{k}" not in st.session_state]
    if new_keys or sum(old.values()) <= 0:
        weights = defn.equal_weights(keys)
    else:
        weights = old
        total = sum(weights.values())
        if abs(total - 100) > 1e-9:
            first = keys[0]
            weights = defn.rebalance(weights, first, weights[first] * 100.0 / total)
    for k, w in weights.items():
        st.session_state[f"w_def_wt_{k}"] = w
    cat = factor_catalogue()
    for k in keys:
        if k not in RFM_KEYS and f"w_def_fmode_{k}" not in st.session_state:
            st.session_state[f"w_def_fmode_{k}"] = cat[k].mode
            for i, c in enumerate(cat[k].cuts):
                st.session_state[f"w_def_fcut_{k}_{i}"] = float(c)


def on_weight_changed(changed: str) -> None:
    """One weight slider moved: rescale the others so the total stays 100."""
    keys = list(st.session_state["w_def_factors"])
    weights = {k: float(st.session_state.get(f"w_def_wt_{k}", 0.0)) for k in keys}
    for k, w in defn.rebalance(weights, changed, weights[changed]).items():
        # never write back the slider being moved: the browser may already show a
        # newer value (keyboard presses arrive faster than reruns), which we'd undo
        if k != changed:
            st.session_state[f"w_def_wt_{k}"] = w


# --- segment rules --------------------------------------------------------------

def segments_frame(d: defn.Definition) -> pd.DataFrame:
    """The definition's segment rules as an editable table."""
    return pd.DataFrame([{"key": s.key, "ja": s.ja, "en": s.en, "r_min": s.r[0], "r_max": s.r[1],
                          "f_min": s.f[0], "f_max": s.f[1], "m_min": s.m[0], "m_max": s.m[1]}
                         for s in d.segments], columns=SEG_COLUMNS)


def rules_from_frame(frame: pd.DataFrame) -> list[dict]:
    """Edited table rows -> segment rules in the definition file's form (rows
    without a key are ignored)."""
    rules = []
    for row in frame.to_dict("records"):
        key = row.get("key")
        if key is None or (isinstance(key, float) and key != key) or not str(key).strip():
            continue

        def num(v):
            return int(v) if v is not None and v == v else 0

        rules.append({"key": str(key).strip(), "ja": str(row.get("ja") or key), "en": str(row.get("en") or key),
                      "r": [num(row.get("r_min")), num(row.get("r_max"))],
                      "f": [num(row.get("f_min")), num(row.get("f_max"))],
                      "m": [num(row.get("m_min")), num(row.get("m_max"))]})
    return rules


# --- the definition the widgets describe ---------------------------------------

def definition_from_widgets(d: defn.Definition, chosen: list[str],
                            rules: list[dict]) -> tuple[defn.Definition, list[str]]:
    """The working definition as the definition page's widgets set it.

    A setting the widgets hold in a state the definition cannot take (cut points
    not rising, tier cut-offs upside down, invalid segment rules, no weight at
    all) keeps its value from ``d`` and is reported.

    Args:
        d: the working definition (the fallback for invalid settings).
        chosen: the factors picked, in order.
        rules: the segment rules in the file's form (:func:`rules_from_frame`).

    Returns:
        ``(definition, problems)``: a new definition, and messages in the UI
        language for the settings that were not taken.
    """
    ss = st.session_state
    problems: list[str] = []
    rfm = {"mode": ss["w_def_mode"], **{axis: _rfm_cuts(d, axis, problems) for axis in AXES}}
    middle, top = ss["w_def_tiers"]
    if not top > middle:
        problems.append(state.t("definition.tiers_not_ascending"))
        middle, top = d.tiers["middle"], d.tiers["top"]
    factors = [_factor_setting(d, key, problems) for key in chosen]
    if not factors or sum(f.weight for f in factors) <= 0:
        factors = d.factors
    labels = {k: ss[f"w_def_label_{k}"].strip() for k in TIER_KEYS if ss.get(f"w_def_label_{k}", "").strip()}
    try:
        segments = defn.from_dict({"schema": defn.SCHEMA, "version": defn.VERSION, "segments": rules},
                                  file=state.t("wb.tab.segments")).segments
    except LoyaltyError as exc:
        problems.append(exc.message(state.lang()))
        segments = d.segments
    new = d.copy(
        name=ss["w_def_name"].strip() or d.name,
        as_of=None if ss["w_def_asof_auto"] else ss.get("w_def_asof"),
        window_days=int(ss["w_def_window"]),
        rfm=defn.RFMSetting(**rfm),
        factors=factors,
        tiers={"top": float(top), "middle": float(middle)},
        tier_labels=labels,
        segments=segments,
    )
    return new, problems


def _rfm_cuts(d: defn.Definition, axis: str, problems: list[str]) -> list[float]:
    """One R/F/M axis's four cut points from its widgets (``d``'s when they do not rise)."""
    cuts = [st.session_state[f"w_def_{axis}_{i}"] for i in range(4)]
    bad = first_unordered_cut(cuts)
    if bad is not None:
        problems.append(state.t("definition.cuts_not_ascending", axis=state.t(f"factor.{axis}"),
                                first=state.t(f"definition.cut.{axis}.{bad - 1}"), first_value=f"{cuts[bad - 1]:g}",
                                second=state.t(f"definition.cut.{axis}.{bad}"), second_value=f"{cuts[bad]:g}"))
        cuts = getattr(d.rfm, axis)
    return [float(x) for x in cuts]


def _factor_setting(d: defn.Definition, key: str, problems: list[str]) -> defn.FactorSetting:
    """One factor's weight, mode and cuts from its widgets (the catalogue's mode and cuts
    are left unset; cuts that do not rise keep ``d``'s)."""
    ss = st.session_state
    weight = float(ss.get(f"w_def_wt_{key}", 0.0))
    if key in RFM_KEYS:
        return defn.FactorSetting(key, weight)
    info = factor_catalogue()[key]
    mode = ss.get(f"w_def_fmode_{key}", info.mode)
    cuts = [float(ss.get(f"w_def_fcut_{key}_{j}", c)) for j, c in enumerate(info.cuts)]
    bad = first_unordered_cut(cuts)
    if mode == "threshold" and bad is not None:
        problems.append(state.t("wb.factor_cuts_not_ascending", factor=state.t(f"factor.{key}"),
                                first=state.t(f"wb.cut.{info.direction}.{bad - 1}"), first_value=f"{cuts[bad - 1]:g}",
                                second=state.t(f"wb.cut.{info.direction}.{bad}"), second_value=f"{cuts[bad]:g}"))
        old = d.factor(key)
        cuts = old.effective_cuts() if old else list(info.cuts)
    return defn.FactorSetting(key, weight, mode=None if mode == info.mode else mode,
                              cuts=None if list(cuts) == list(info.cuts) else cuts)


# --- which preset fits the data ------------------------------------------------

def available_factors() -> set[str]:
    """The factors the data in use can score (raises LoyaltyError when it cannot be read)."""
    scorer = state.scorer()
    return {k for k, info in factor_catalogue().items()
            if (k in RFM_KEYS and scorer.values({"recency": "recency_days"}.get(k, k)) is not None)
            or (k in RFM_KEYS and scorer.values(f"{k[0]}_score_given") is not None)
            or (k not in RFM_KEYS and scorer.values(info.source) is not None)}


def _use_preset(name: str) -> None:
    load_definition(defn.preset(name))


def preset_hint(available: set[str]) -> None:
    """Suggest the preset whose factors the data has more of than the working
    definition's (a BtoB account list scored with the BtoC preset, say)."""
    d = state.definition()
    have = sum(f.key in available for f in d.factors)
    fits = {p: sum(f.key in available for f in defn.preset(p).factors) for p in defn.PRESETS}
    best = max(fits, key=lambda p: (fits[p], p == d.preset))
    if best == d.preset or fits[best] <= have:
        return
    with st.container(horizontal=True, vertical_alignment="center"):
        st.info(state.t("polish.preset_hint", preset=state.t(f"preset.{best}"), n=fits[best],
                        total=len(defn.preset(best).factors), m=have, k=len(d.factors)),
                icon=":material/lightbulb:", width="stretch")
        st.button(state.t("polish.preset_hint_button", preset=state.t(f"preset.{best}")), on_click=_use_preset,
                  args=(best,), key="w_preset_hint", icon=":material/swap_horiz:")
