"""ワークショップ: 2–4 definitions side by side on the same customers."""

from ui.router import ensure_router

ensure_router()

from datetime import datetime
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from loyalty import definition as defn
from loyalty import export
from loyalty.compare import compare
from loyalty.definition import TIER_KEYS
from loyalty.errors import LoyaltyError
from loyalty.fmt import format_int, format_pct
from loyalty.workbook import as_of_line
from ui import components, state, workbench
from ui.deliverables import source_text
from ui.theme import tier_scale

t = state.t
K_PROPOSALS = "proposals"   # name -> Definition, in order
MAX_PROPOSALS = 4
SAMPLES = Path(__file__).resolve().parent.parent / "loyalty" / "data" / "proposals"


def _proposals() -> dict[str, defn.Definition]:
    return st.session_state.setdefault(K_PROPOSALS, {})


def _unique_name(name: str) -> str:
    base, n, names = name.strip() or t("ws.untitled"), 2, _proposals()
    out = base
    while out in names:
        out, n = f"{base} ({n})", n + 1
    return out


def _add_current() -> None:
    props = _proposals()
    if len(props) >= MAX_PROPOSALS:
        return
    d = state.definition().copy()
    name = _unique_name(st.session_state.get("w_ws_name") or d.name)
    d.name = name
    props[name] = d


def _add_files() -> None:
    props = _proposals()
    errors = []
    for f in st.session_state.get("w_ws_upload") or []:
        if len(props) >= MAX_PROPOSALS:
            break
        try:
            d = defn.loads(f.getvalue(), file=f.name)
        except LoyaltyError as exc:
            errors.append(exc)
            continue
        name = _unique_name(d.name)
        d.name = name
        props[name] = d
    st.session_state["ws_errors"] = errors


SAMPLE_ORDER = ("sales", "marketing", "cs")


def _add_samples() -> None:
    props = _proposals()
    # in the order the caption names them: sales, marketing, customer success
    for path in sorted(SAMPLES.glob("*.json"), key=lambda p: (SAMPLE_ORDER.index(p.stem)
                                                               if p.stem in SAMPLE_ORDER else len(SAMPLE_ORDER), p.stem)):
        if len(props) >= MAX_PROPOSALS:
            break
        d = defn.load(path)
        name = d.name if state.lang() == "ja" else t(f"ws.sample.{path.stem}")
        if name in props:  # already on the table: a second click adds no copy
            continue
        d.name = name
        props[name] = d


def _remove(name: str) -> None:
    _proposals().pop(name, None)


def _edit(name: str) -> None:
    # loaded by the script run (a confirmation dialog first when unsaved work would be lost)
    st.session_state["ws_edit_pending"] = name


def _load(name: str) -> None:
    workbench.load_definition(_proposals()[name].copy(), saved=True)
    st.session_state["ws_loaded"] = name


def _cancel_edit() -> None:
    st.session_state["ws_edit_cancelled"] = True


@st.dialog(t("ws.confirm_title"))
def _confirm_edit(name: str) -> None:
    # the buttons act in callbacks (before any rerun); a rerun of the dialog alone then closes it.
    # (a dialog's own rerun skips app.py: the currency is applied here too)
    state.apply_currency()
    if st.session_state.get("ws_loaded") or st.session_state.get("ws_edit_cancelled"):
        st.rerun()
    st.write(t("ws.confirm_text", name=name, current=state.definition_name(state.definition())))
    c1, c2 = st.columns(2)
    c1.button(t("ws.confirm_yes"), type="primary", key="ws_confirm_yes", icon=":material/swap_horiz:",
              on_click=_load, args=(name,))
    c2.button(t("ws.confirm_no"), key="ws_confirm_no", on_click=_cancel_edit)


def _update(name: str) -> None:
    d = state.definition().copy()
    d.name = name
    _proposals()[name] = d


st.title(t("ws.title"))
st.caption(t("ws.caption"))

# --- the proposals -----------------------------------------------------------------
props = _proposals()
with st.container(border=True):
    st.markdown(f"**{t('ws.add_title')}**")
    c1, c2, c3 = st.columns([2, 2, 2])
    with c1:
        st.text_input(t("ws.name"), key="w_ws_name", placeholder=t("ws.name_placeholder"))
        st.button(t("ws.add_current"), on_click=_add_current, icon=":material/add:",
                  disabled=len(props) >= MAX_PROPOSALS, help=t("ws.add_current_help"))
    with c2:
        st.file_uploader(t("ws.upload"), type=["json"], accept_multiple_files=True, key="w_ws_upload",
                         on_change=_add_files, disabled=len(props) >= MAX_PROPOSALS)
    with c3:
        st.caption(t("ws.samples_help"))
        st.button(t("ws.add_samples"), on_click=_add_samples, icon=":material/library_add:",
                  disabled=len(props) >= MAX_PROPOSALS)
    if len(props) >= MAX_PROPOSALS:
        st.caption(t("polish.ws.full", n=MAX_PROPOSALS))
    for exc in st.session_state.get("ws_errors", []):
        state.show_error(exc)

if props:
    cols = st.columns(len(props))
    for col, (name, d) in zip(cols, props.items()):
        with col.container(border=True):
            st.markdown(f"**{name}**")
            st.caption(state.join_list(f"{t(f'factor.{f.key}')} {f.weight:g}" for f in d.factors))
            st.caption(t("ws.tiers_line", top=f"{d.tiers['top']:g}", middle=f"{d.tiers['middle']:g}"))
            # three buttons side by side fit up to three cards; four narrow cards stack them
            b1, b2, b3 = st.columns(3) if len(props) < 4 else (st.container(),) * 3
            b1.button(t("ws.edit"), key=f"ws_edit_{name}", on_click=_edit, args=(name,),
                      help=t("ws.edit_help"), icon=":material/edit:")
            b2.button(t("ws.update"), key=f"ws_update_{name}", on_click=_update, args=(name,),
                      help=t("ws.update_help"), icon=":material/sync:")
            b3.button(t("ws.remove"), key=f"ws_remove_{name}", on_click=_remove, args=(name,),
                      icon=":material/delete:")

st.session_state.pop("ws_edit_cancelled", None)
pending = st.session_state.pop("ws_edit_pending", None)
if pending in props:
    if state.definition_unsaved():
        _confirm_edit(pending)
    else:
        _load(pending)
        st.rerun()  # the sidebar, drawn before this page, names the new definition
loaded = st.session_state.pop("ws_loaded", None)
if loaded:
    st.success(t("ws.loaded", name=loaded), icon=":material/check_circle:")
    st.page_link("pages/definition.py", label=t("ws.go_definition"), icon=":material/tune:")

if len(props) < 2:
    st.info(t("ws.empty"), icon=":material/lightbulb:")
    st.stop()

# --- score every proposal on the same customers ------------------------------------
try:
    with st.spinner(t("common.loading")):
        results = {name: state.scores(d) for name, d in props.items()}
        feats = state.features().frame
except LoyaltyError as exc:
    state.show_error(exc)
    st.stop()
for name, r in results.items():
    # a proposal built on data this file lacks (NPS, survey columns…) is compared on what is left: say so
    if r.dropped:
        weights = props[name].weights()
        st.warning(t("ws.dropped", name=name, lost=f"{sum(weights.get(k, 0.0) for k in r.dropped):g}",
                     factors=state.join_list(t("ws.factor_weight", factor=t(f"factor.{k}"),
                                                 weight=f"{weights.get(k, 0.0):g}") for k in r.dropped)),
                   icon=":material/warning:")
common = None
for r in results.values():
    common = r.frame.index if common is None else common.intersection(r.frame.index)
if any(len(r.frame.index) != len(common) for r in results.values()):
    st.caption(t("ws.common_customers", n=format_int(len(common))))
scores = {name: r.frame.loc[common] for name, r in results.items()}
monetary = feats["monetary"].reindex(common).fillna(0.0) if "monetary" in feats else pd.Series(0.0, index=common)
cmp = compare(scores, monetary)
names = cmp.names
tl = components.tier_labels()

# tier sizes and revenue shares side by side
st.subheader(t("ws.sizes_title"))
table = cmp.tier_table()
table["tier_label"] = table["tier"].map(tl)
for measure, title in (("customer_share", t("common.customer_share")),
                       ("revenue_share", t("common.revenue_share"))):
    chart = alt.Chart(table).mark_bar().encode(
        x=alt.X("definition:N", title=None, sort=names, axis=alt.Axis(labelAngle=0, labelLimit=160)),
        xOffset=alt.XOffset("tier_label:N", sort=[tl[k] for k in TIER_KEYS]),
        y=alt.Y(f"{measure}:Q", title=title, axis=alt.Axis(format="%")),
        color=alt.Color("tier_label:N", title=t("common.tier"), scale=tier_scale(tl)),
        tooltip=[alt.Tooltip("definition:N", title=t("ws.definition")),
                 alt.Tooltip("tier_label:N", title=t("common.tier")),
                 alt.Tooltip("customers:Q", title=t("col.customers"), format=","),
                 alt.Tooltip(f"{measure}:Q", title=title, format=".1%")],
    ).properties(height=300)
    st.markdown(f"**{title}**")
    st.altair_chart(chart, width="stretch")
wide = table.pivot(index="definition", columns="tier", values="customers").reindex(index=names, columns=list(TIER_KEYS))
rev = table.pivot(index="definition", columns="tier", values="revenue_share").reindex(index=names, columns=list(TIER_KEYS))
view = pd.DataFrame({t("ws.definition"): names})
for k in TIER_KEYS:
    view[t("ws.customers_of", tier=tl[k])] = [format_int(v) for v in wide[k]]
    view[t("ws.revenue_of", tier=tl[k])] = [format_pct(v) for v in rev[k]]
st.dataframe(view, hide_index=True, width="stretch")

# agreement on who is loyal
st.subheader(t("ws.agreement_title", tier=tl["top"]))
ag = cmp.agreement("top")
cols = st.columns(len(names) + 2)
for col, name in zip(cols, names):
    col.metric(name, format_int(ag["counts"][name]))
cols[-2].metric(t("ws.in_all"), format_int(ag["in_all"]), help=t("ws.in_all_help"))
cols[-1].metric(t("ws.in_any"), format_int(ag["in_any"]), help=t("ws.in_any_help"))
jac = ag["jaccard"].stack().rename("jaccard").reset_index()
jac.columns = ["a", "b", "jaccard"]
jac["overlap"] = ag["overlap"].stack().to_numpy()
left, right = st.columns([3, 2])
with left:
    base = alt.Chart(jac).encode(
        # a long name breaks before its bracket so every column keeps its label
        x=alt.X("b:N", sort=names, title=None,
                axis=alt.Axis(labelAngle=0, labelLimit=160, labelOverlap=False,
                              labelExpr="split(replace(replace(datum.label, '（', '\\n（'), ' (', '\\n('), '\\n')")),
        y=alt.Y("a:N", sort=names, title=None, axis=alt.Axis(labelLimit=160)))
    heat = base.mark_rect().encode(
        color=alt.Color("jaccard:Q", title=t("ws.jaccard"), scale=alt.Scale(domain=[0, 1], scheme="reds"),
                        legend=None),
        tooltip=[alt.Tooltip("a:N", title=t("ws.definition")), alt.Tooltip("b:N", title=t("ws.definition")),
                 alt.Tooltip("jaccard:Q", format=".2f", title=t("ws.jaccard")),
                 alt.Tooltip("overlap:Q", format=",", title=t("ws.overlap"))])
    text = base.mark_text(fontSize=13).encode(
        text=alt.Text("jaccard:Q", format=".2f"),
        color=alt.condition(alt.datum.jaccard > 0.6, alt.value("white"), alt.value("#333")))
    st.markdown(f"**{t('ws.jaccard_title')}**")
    st.altair_chart((heat + text).properties(height=56 * len(names) + 40), width="stretch")
with right:
    st.markdown(t("ws.jaccard_help"))

# migration matrix
st.subheader(t("ws.migration_title"))
c1, c2 = st.columns(2)
a = c1.selectbox(t("ws.from"), names, index=0, key="w_ws_from")
b = c2.selectbox(t("ws.to"), names, index=1, key="w_ws_to")
mig = cmp.migration(a, b)
mig_view = mig.rename(index=tl, columns=tl)
mig_view.index.name = t("ws.rows_under", name=a)
mig_view.columns.name = t("ws.cols_under", name=b)
st.dataframe(mig_view, width="content")
moved = int(mig.to_numpy().sum() - np.trace(mig.to_numpy()))
st.caption(t("ws.moved", n=format_int(moved), a=a, b=b))

# the customers they disagree on most
st.subheader(t("ws.disagree_title"))
st.caption(t("ws.disagree_help"))
dis = cmp.disagreements(n=50)
dis_view = pd.DataFrame({t("col.customer_id"): dis.index})
for name in names:
    dis_view[name] = [f"{s:.0f}（{tl[k]}）" if state.lang() == "ja" else f"{s:.0f} ({tl[k]})"
                      for s, k in zip(dis[f"score_{name}"], dis[f"tier_{name}"])]
dis_view[t("ws.spread")] = dis["spread"].round(1).to_numpy()
dis_view[t("ws.factor")] = [t(f"factor.{f}") if f else "—" for f in dis["factor"]]
dis_view[t("ws.factor_points")] = dis["factor_points"].round(1).to_numpy()
st.dataframe(dis_view, hide_index=True, width="stretch", height=360)


def _comparison_sheets() -> list[export.Sheet]:
    """The comparison workbook's sheets, described in the script run (the download
    click writes them on a worker thread, where the session cannot be read)."""
    # the sizes as numbers (the screen shows them formatted as text)
    sizes = pd.DataFrame({t("ws.definition"): names})
    kinds: dict[str, str] = {}
    for k in TIER_KEYS:
        c, r = t("ws.customers_of", tier=tl[k]), t("ws.revenue_of", tier=tl[k])
        sizes[c], sizes[r] = wide[k].to_numpy(), rev[k].to_numpy()
        kinds.update({c: "int", r: "pct"})
    # each proposal is scored on its own as-of date and window: one line, or one per proposal
    lines = {name: as_of_line(state.features_of(props[name]), state.lang()) for name in names}
    as_of_lines = (list(dict.fromkeys(lines.values())) if len(set(lines.values())) == 1
                   else [t("ws.line.as_of_of", name=name, line=line) for name, line in lines.items()])
    context = [t("ws.sheet_title"), *as_of_lines,
               t("workbook.line.source", source=source_text() or "—"),
               t("workbook.line.created", time=datetime.now().strftime("%Y/%m/%d %H:%M"))]
    return [
        export.Sheet(t("ws.sheet.sizes"), sizes, kinds=kinds, title=context),
        export.Sheet(t("ws.sheet.jaccard"), ag["jaccard"].round(3).reset_index(names=t("ws.definition")),
                     kinds={}),
        export.Sheet(t("ws.sheet.migration"), mig_view.reset_index(), kinds={},
                     title=[t("ws.migration_title"), t("ws.migration_axes", a=a, b=b)]),
        export.Sheet(t("ws.sheet.disagree"), dis_view, kinds={t("col.customer_id"): "text"}),
        export.Sheet(t("ws.sheet.definitions"), pd.DataFrame({
            t("ws.definition"): names, "JSON": [props[n].to_json() for n in names]}), kinds={}),
    ]


comparison = _comparison_sheets()
components.download_button(t("ws.download"), data=lambda: export.excel_bytes(comparison),
                           file_name="loyalty_workshop.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           on_click="ignore", icon=":material/download:", key="dl_workshop")
