"""ロイヤル定義: preset, as-of date and window, R/F/M cut points, tiers; save and load."""

from datetime import date

import pandas as pd
import streamlit as st

from loyalty import definition as defn
from loyalty.errors import LoyaltyError
from loyalty.fmt import format_date, format_int
from loyalty.summary import tier_moves
from ui import components, state

t = state.t
AXES = ("recency", "frequency", "monetary")


# --- widgets <-> definition ---------------------------------------------------

def _widget_values(d: defn.Definition) -> dict:
    values = {
        "w_def_name": d.name,
        "w_def_asof_auto": d.as_of is None,
        "w_def_window": int(d.window_days),
        "w_def_mode": d.rfm.mode,
        "w_def_tiers": (float(d.tiers["middle"]), float(d.tiers["top"])),
    }
    for axis in AXES:
        for i, v in enumerate(getattr(d.rfm, axis)):
            values[f"w_def_{axis}_{i}"] = int(v)
    if d.as_of is not None:
        values["w_def_asof"] = d.as_of
    return values


def _reset_widgets(d: defn.Definition) -> None:
    for key in [k for k in st.session_state if str(k).startswith("w_def_")]:
        del st.session_state[key]
    st.session_state.update(_widget_values(d))


def _ensure_widgets(d: defn.Definition) -> None:
    for key, value in _widget_values(d).items():
        if key not in st.session_state:
            st.session_state[key] = value


def _apply_preset() -> None:
    d = defn.preset(st.session_state["w_preset"])
    state.set_definition(d, saved=True)
    _reset_widgets(d)


def _load_file() -> None:
    f = st.session_state.get("w_def_upload")
    if f is None:
        return
    try:
        d = defn.loads(f.getvalue(), file=f.name)
    except LoyaltyError as exc:
        st.session_state["def_load_error"] = exc
        return
    st.session_state.pop("def_load_error", None)
    state.set_definition(d, saved=True)
    _reset_widgets(d)


def _mark_saved() -> None:
    state.set_definition(state.definition(), saved=True)


# --- page ---------------------------------------------------------------------

st.title(t("definition.title"))
st.caption(t("definition.caption"))

d = state.definition()
_ensure_widgets(d)
try:
    data_as_of = state.as_of_default()
except LoyaltyError as exc:
    state.show_error(exc)
    st.page_link("pages/data.py", label=t("common.go_data"), icon=":material/upload_file:")
    st.stop()

with st.container(border=True):
    c1, c2 = st.columns([1, 2])
    presets = list(defn.PRESETS)
    if "w_preset" not in st.session_state:
        st.session_state["w_preset"] = d.preset if d.preset in presets else "b2c"
    c1.selectbox(t("definition.preset"), presets, key="w_preset", format_func=lambda p: t(f"preset.{p}"),
                 help=t("definition.preset_help"))
    c1.button(t("definition.apply_preset"), on_click=_apply_preset, icon=":material/restart_alt:")
    c2.markdown(t(f"preset.{st.session_state['w_preset']}.explain"))
    c2.text_input(t("definition.name"), key="w_def_name")

st.subheader(t("definition.period_title"))
c1, c2, c3 = st.columns([2, 1, 1])
c1.checkbox(t("definition.asof_auto", date=format_date(data_as_of) if data_as_of else "—"), key="w_def_asof_auto",
            help=t("definition.asof_help"))
if not st.session_state["w_def_asof_auto"]:
    if "w_def_asof" not in st.session_state:
        st.session_state["w_def_asof"] = data_as_of or date.today()
    c2.date_input(t("definition.asof"), key="w_def_asof", format="YYYY/MM/DD")
c3.number_input(t("definition.window"), min_value=7, max_value=3650, step=1, key="w_def_window",
                help=t("definition.window_help"))

st.subheader(t("definition.rfm_title"))
st.radio(t("definition.mode"), ["threshold", "quantile"], key="w_def_mode", horizontal=True,
         format_func=lambda m: t(f"definition.mode.{m}"), help=t("definition.mode_help"))

if st.session_state["w_def_mode"] == "threshold":
    cols = st.columns(3)
    slider_max = {"recency": 730, "frequency": 60}
    for col, axis in zip(cols, AXES):
        with col:
            st.markdown(f"**{t(f'factor.{axis}')}**")
            st.caption(t(f"definition.{axis}_help"))
            for i in range(4):
                key = f"w_def_{axis}_{i}"
                label = t(f"definition.cut.{axis}.{i}")
                if axis == "monetary":
                    st.number_input(label, min_value=0, max_value=1_000_000_000, step=1000, key=key)
                else:
                    top = max(slider_max[axis], int(st.session_state[key]))
                    st.slider(label, min_value=0 if axis == "recency" else 1, max_value=top, key=key)
else:
    st.info(t("definition.quantile_info"))

st.subheader(t("definition.tiers_title"))
tl = components.tier_labels()
st.slider(t("definition.tiers"), min_value=0.0, max_value=100.0, step=1.0, key="w_def_tiers",
          help=t("definition.tiers_help", top=tl["top"], middle=tl["middle"], low=tl["low"]))

# --- build the definition from the widgets ------------------------------------
problems = []
rfm = {"mode": st.session_state["w_def_mode"]}
for axis in AXES:
    cuts = [st.session_state[f"w_def_{axis}_{i}"] for i in range(4)]
    if any(b <= a for a, b in zip(cuts, cuts[1:])):
        problems.append(t("definition.cuts_not_ascending", axis=t(f"factor.{axis}")))
        cuts = getattr(d.rfm, axis)
    rfm[axis] = [float(x) for x in cuts]
middle, top = st.session_state["w_def_tiers"]
if not top > middle:
    problems.append(t("definition.tiers_not_ascending"))
    middle, top = d.tiers["middle"], d.tiers["top"]
new = d.copy(
    name=st.session_state["w_def_name"].strip() or d.name,
    as_of=None if st.session_state["w_def_asof_auto"] else st.session_state.get("w_def_asof"),
    window_days=int(st.session_state["w_def_window"]),
    rfm=defn.RFMSetting(**rfm),
    tiers={"top": float(top), "middle": float(middle)},
)
for p in problems:
    st.error(p, icon="⚠️")
if new.to_dict() != d.to_dict():
    state.set_definition(new)
d = new

# --- effect of the settings -----------------------------------------------------
st.subheader(t("definition.effect_title"))
try:
    with st.spinner(t("common.loading")):
        res = state.scores(d)
        base = state.scores(state.saved_definition())
except LoyaltyError as exc:
    state.show_error(exc)
    st.stop()

counts = res.frame["tier"].value_counts()
cols = st.columns(4)
for col, key in zip(cols, ("top", "middle", "low")):
    before = int((base.frame["tier"] == key).sum())
    now = int(counts.get(key, 0))
    col.metric(tl[key], format_int(now), delta=now - before if now != before else None)
moves = tier_moves(base.frame["tier"], res.frame["tier"])
moved = int(moves.to_numpy().sum() - moves.to_numpy().trace())
cols[3].metric(t("definition.moved"), format_int(moved), help=t("definition.moved_help"))
if moved:
    view = moves.rename(index=tl, columns=tl)
    view.index.name = t("definition.moves_rows")
    view.columns.name = t("definition.moves_cols")
    st.dataframe(view, width="content")
for axis, empty in res.collapsed.items():
    st.warning(t("definition.collapsed", axis=t(f"factor.{axis}"), scores="、".join(map(str, empty))))

# --- save and load ----------------------------------------------------------------
st.subheader(t("definition.file_title"))
c1, c2 = st.columns(2)
with c1:
    st.download_button(t("definition.download"), data=d.to_json().encode("utf-8"),
                       file_name="loyalty_definition.json", mime="application/json",
                       on_click=_mark_saved, icon=":material/download:", key="dl_definition")
    st.caption(t("definition.download_help"))
with c2:
    st.file_uploader(t("definition.upload"), type=["json"], key="w_def_upload", on_change=_load_file)
    if "def_load_error" in st.session_state:
        state.show_error(st.session_state["def_load_error"])
with st.expander(t("definition.json_preview")):
    st.code(d.to_json(), language="json")
