"""ワークショップ: 2–4 definitions side by side on the same customers."""

from ui.router import ensure_router

ensure_router()

from datetime import datetime
from pathlib import Path

import streamlit as st

from loyalty import definition as defn
from loyalty import export
from loyalty.errors import LoyaltyError
from loyalty.fmt import format_int
from loyalty.workbook import as_of_line
from ui import components, state, workbench
from ui import workshop as uw
from ui.deliverables import source_text
from ui.state import t

K_PROPOSALS = uw.K_PROPOSALS   # name -> Definition, in order (kept in the workspace)
MAX_PROPOSALS = 4
SAMPLES = Path(__file__).resolve().parent.parent / "loyalty" / "data" / "proposals"
SAMPLE_ORDER = ("sales", "marketing", "cs")


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


def render() -> None:
    """The proposals on the table, then (from two) how they compare on the same customers."""
    st.title(t("ws.title"))
    st.caption(t("ws.caption"))
    props = _proposals()
    _add_box(props)
    if props:
        _cards(props)
    _edit_requests(props)
    if len(props) < 2:
        st.info(t("ws.empty"), icon=":material/lightbulb:")
        st.stop()
    _comparison(props)


def _add_box(props: dict) -> None:
    """Add the working definition, definition files or the three samples (up to four proposals)."""
    full = len(props) >= MAX_PROPOSALS
    with st.container(border=True):
        st.markdown(f"**{t('ws.add_title')}**")
        c1, c2, c3 = st.columns([2, 2, 2])
        with c1:
            st.text_input(t("ws.name"), key="w_ws_name", placeholder=t("ws.name_placeholder"))
            st.button(t("ws.add_current"), on_click=_add_current, icon=":material/add:",
                      disabled=full, help=t("ws.add_current_help"))
        with c2:
            st.file_uploader(t("ws.upload"), type=["json"], accept_multiple_files=True, key="w_ws_upload",
                             on_change=_add_files, disabled=full)
        with c3:
            st.caption(t("ws.samples_help"))
            st.button(t("ws.add_samples"), on_click=_add_samples, icon=":material/library_add:", disabled=full)
        if full:
            st.caption(t("polish.ws.full", n=MAX_PROPOSALS))
        for exc in st.session_state.get("ws_errors", []):
            state.show_error(exc)


def _cards(props: dict) -> None:
    """One card per proposal: factors and weights, tier cut-offs, edit / update / remove."""
    cols = st.columns(len(props))
    for col, (name, d) in zip(cols, props.items()):
        with col.container(border=True):
            st.markdown(f"**{name}**")
            st.caption(state.join_list(f"{t(f'factor.{f.key}')} {f.weight:g}" for f in d.factors))
            st.caption(t("ws.tiers_line", top=f"{d.tiers['top']:g}", middle=f"{d.tiers['middle']:g}"))
            # side by side where they fit, the next line where they do not (never cut to "U…")
            b1 = b2 = b3 = st.container(horizontal=True, gap="small")
            b1.button(t("ws.edit"), key=f"ws_edit_{name}", on_click=_edit, args=(name,),
                      help=t("ws.edit_help"), icon=":material/edit:")
            b2.button(t("ws.update"), key=f"ws_update_{name}", on_click=_update, args=(name,),
                      help=t("ws.update_help"), icon=":material/sync:")
            b3.button(t("ws.remove"), key=f"ws_remove_{name}", on_click=_remove, args=(name,),
                      icon=":material/delete:")


def _edit_requests(props: dict) -> None:
    """Load a proposal asked for with "edit" (after a confirmation when work would be lost)."""
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


def _comparison(props: dict) -> None:
    """Every proposal scored on the same customers, compared section by section, and the workbook."""
    try:
        with st.spinner(t("common.loading")):
            results = {name: state.scores(d) for name, d in props.items()}
            feats = state.features().frame
    except LoyaltyError as exc:
        state.show_error(exc)
        st.stop()
    _dropped_warnings(props, results)
    cmp, customers, narrowed = uw.on_common_customers(results, feats)
    if narrowed:
        st.caption(t("ws.common_customers", n=format_int(customers)))
    tl = components.tier_labels()
    sizes = _sizes_section(cmp, tl)
    jaccard = _agreement_section(cmp, tl)
    migration = _migration_section(cmp, tl)
    disagreements = _disagreements_section(cmp, tl)
    comparison = _comparison_sheets(props, cmp.names, sizes, jaccard, migration, disagreements)
    components.download_button(t("ws.download"), data=lambda: export.excel_bytes(comparison),
                               file_name="loyalty_workshop.xlsx",
                               mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               on_click="ignore", icon=":material/download:", key="dl_workshop")


def _dropped_warnings(props: dict, results: dict) -> None:
    """A proposal built on data this file lacks (NPS, survey columns…) is compared on what is left: say so."""
    for name, r in results.items():
        if r.dropped:
            weights = props[name].weights()
            st.warning(t("ws.dropped", name=name, lost=f"{sum(weights.get(k, 0.0) for k in r.dropped):g}",
                         factors=state.join_list(t("ws.factor_weight", factor=t(f"factor.{k}"),
                                                     weight=f"{weights.get(k, 0.0):g}") for k in r.dropped)),
                       icon=":material/warning:")


def _sizes_section(cmp, tl: dict[str, str]):
    """Tier sizes and revenue shares side by side (charts and table).

    Returns:
        The sizes for the workbook (:func:`ui.workshop.sizes_sheet`).
    """
    names, lang = cmp.names, state.lang()
    st.subheader(t("ws.sizes_title"))
    table = cmp.tier_table()
    table["tier_label"] = table["tier"].map(tl)
    for measure, title in (("customer_share", t("common.customer_share")),
                           ("revenue_share", t("common.revenue_share"))):
        st.markdown(f"**{title}**")
        st.altair_chart(uw.size_chart(table, names, tl, measure, title, lang), width="stretch")
    customers, revenue_share = uw.size_tables(table, names)
    st.dataframe(uw.sizes_view(names, customers, revenue_share, tl, lang), hide_index=True, width="stretch")
    return uw.sizes_sheet(names, customers, revenue_share, tl, lang)


def _agreement_section(cmp, tl: dict[str, str]):
    """Who is loyal under each proposal, in all, in any, and the pairwise Jaccard index.

    Returns:
        The name × name Jaccard indexes.
    """
    names = cmp.names
    st.subheader(t("ws.agreement_title", tier=tl["top"]))
    ag = cmp.agreement("top")
    row = components.metric_row()  # a long proposal name wraps the row instead of being cut
    for name in names:
        row.metric(name, format_int(ag["counts"][name]))
    row.metric(t("ws.in_all"), format_int(ag["in_all"]), help=t("ws.in_all_help"))
    row.metric(t("ws.in_any"), format_int(ag["in_any"]), help=t("ws.in_any_help"))
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"**{t('ws.jaccard_title')}**")
        st.altair_chart(uw.jaccard_heatmap(uw.jaccard_long(ag), names, state.lang()), width="stretch")
    with right:
        st.markdown(t("ws.jaccard_help"))
    return ag["jaccard"]


def _migration_section(cmp, tl: dict[str, str]):
    """Tier under one proposal × tier under another, the two picked by the user.

    Returns:
        ``(table, a, b)`` for the workbook.
    """
    names = cmp.names
    st.subheader(t("ws.migration_title"))
    c1, c2 = st.columns(2)
    a = c1.selectbox(t("ws.from"), names, index=0, key="w_ws_from")
    b = c2.selectbox(t("ws.to"), names, index=1, key="w_ws_to")
    view, moved = uw.migration_view(cmp.migration(a, b), tl, a, b, state.lang())
    st.dataframe(view, width="content")
    st.caption(t("ws.moved", n=format_int(moved), a=a, b=b))
    return view, a, b


def _disagreements_section(cmp, tl: dict[str, str]):
    """The 50 customers the proposals disagree on most.

    Returns:
        The table shown (also the workbook's sheet).
    """
    st.subheader(t("ws.disagree_title"))
    st.caption(t("ws.disagree_help"))
    view = uw.disagreement_view(cmp.disagreements(n=50), cmp.names, tl, state.lang())
    st.dataframe(view, hide_index=True, width="stretch", height=360)
    return view


def _comparison_sheets(props: dict, names: list[str], sizes, jaccard, migration,
                       disagreements) -> list[export.Sheet]:
    """The comparison workbook's sheets, described in the script run (the download
    click writes them on a worker thread, where the session cannot be read)."""
    lang = state.lang()
    # each proposal is scored on its own as-of date and window: one line, or one per proposal
    lines = {name: as_of_line(state.features_of(props[name]), lang) for name in names}
    as_of_lines = (list(dict.fromkeys(lines.values())) if len(set(lines.values())) == 1
                   else [t("ws.line.as_of_of", name=name, line=line) for name, line in lines.items()])
    context = [t("ws.sheet_title"), *as_of_lines,
               t("workbook.line.source", source=source_text() or "—"),
               t("workbook.line.created", time=datetime.now().strftime("%Y/%m/%d %H:%M"))]
    return uw.comparison_sheets(names, sizes, jaccard, migration, disagreements, props, context, lang)


render()
