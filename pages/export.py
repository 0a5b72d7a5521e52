"""出力: the deliverables — the Excel workbook, CSV target lists for a CRM/MA import,
the one-page printable summary, and the definition file.  Every file is built only
when its button is clicked."""

from ui.router import ensure_router

ensure_router()

from datetime import date  # noqa: E402

import streamlit as st  # noqa: E402

from loyalty.fmt import format_date, format_int  # noqa: E402
from loyalty.handout import handout_html  # noqa: E402
from loyalty.ltv import customer_ltv  # noqa: E402
from loyalty.measures import targets  # noqa: E402
from loyalty.targets import (counts_by_target, list_file_name, target_csv, target_list, target_lists_zip,  # noqa: E402
                             unencodable_cells)
from loyalty.workbook import workbook_bytes  # noqa: E402
from ui import components, deliverables, state, theme  # noqa: E402
from ui.state import t  # noqa: E402

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ALL = "all"  # the target-list selectbox's key for "every customer"


def render() -> None:
    """The four deliverables, each built only when its button is clicked."""
    st.title(t("export.title"))
    ds, feats, res = components.load_or_stop()
    d = state.definition()
    source = deliverables.source_text()
    stamp = (feats.as_of or date.today()).strftime("%Y%m%d")
    st.caption(t("export.caption", name=state.definition_name(d),
                 as_of=format_date(feats.as_of) if feats.as_of else "—",
                 customers=format_int(len(res.frame)), source=source))
    personas = (deliverables.personas(feats.frame, res.frame, "tier")
                + deliverables.personas(feats.frame, res.frame, "segment"))
    counts = counts_by_target(res.frame)
    _workbook_section(feats, res.frame, d, counts, source, stamp, personas)
    _lists_section(feats, res.frame, d, counts, stamp)
    _handout_section(feats, res.frame, d, source, stamp, personas)
    _definition_section(d)


def _workbook_section(feats, scored, d, counts: dict[str, int], source: str, stamp: str, personas) -> None:
    """1. The Excel workbook and the action plan CSV."""
    lang = state.lang()
    st.subheader(t("export.workbook"), divider="gray")
    st.markdown(t("export.workbook_help"))
    ltv = customer_ltv(feats.frame)
    components.download_button(
        t("export.workbook_button"),
        data=lambda: workbook_bytes(feats, scored, d, lang, source=source, ltv=ltv, personas=personas),
        file_name=f"loyalty_report_{stamp}.xlsx", mime=XLSX, on_click="ignore", icon=":material/table_view:",
        type="primary", key="dl_workbook")
    components.download_button(
        t("export.plan_button"), data=lambda: deliverables.action_plan_csv(d, counts, lang),
        file_name=f"loyalty_action_plan_{stamp}.csv", mime="text/csv", on_click="ignore",
        icon=":material/checklist:", key="dl_plan")


def _lists_section(feats, scored, d, counts: dict[str, int], stamp: str) -> None:
    """2. Target lists for a CRM/MA import: who, labels or keys, which encoding; one list or all."""
    lang = state.lang()
    st.subheader(t("export.lists"), divider="gray")
    st.markdown(t("export.lists_help"))
    # Labels are worked out here, so the widgets' format functions only look them up.
    names = {ALL: t("personas.option", label=t("targets.all_customers"), n=format_int(len(scored)))}
    names.update({k: t("personas.option", label=label, n=format_int(counts[k])) for k, label in targets(d, lang)
                  if counts.get(k)})
    forms = {k: t(f"export.form.{k}") for k in ("label", "key")}
    encodings = {k: t(f"export.encoding.{k}") for k in ("utf-8-sig", "cp932")}
    c1, c2, c3 = st.columns([2, 2, 2])
    picked = c1.selectbox(t("export.list_target"), list(names), key="w_list_target", format_func=names.__getitem__)
    target = None if picked == ALL else picked
    form = c2.radio(t("export.form"), list(forms), key="w_list_form", format_func=forms.__getitem__,
                    help=t("export.form_help"))
    encoding = c3.radio(t("export.encoding"), list(encodings), key="w_list_encoding",
                        format_func=encodings.__getitem__, help=t("export.encoding_help"))
    c4, c5 = st.columns([4, 2])
    every = deliverables.passthrough()
    with c4:
        chosen = deliverables.list_columns_picker(every)
    with c5:
        template = deliverables.template_picker(chosen, every)
    frame = target_list(feats.frame, scored, d, lang, target, form=form, passthrough=chosen, template=template)
    st.caption(t("export.list_preview", n=format_int(len(frame))))
    st.dataframe(frame.head(5), hide_index=True, width="stretch", key="list_preview",
                 column_config=deliverables.list_column_config(frame))
    if encoding == "cp932":
        _cp932_check(frame)
    base = list_file_name(target)[:-4] + (f"_{template}" if template else "")
    b1 = b2 = st.container(horizontal=True)  # side by side, or one under the other: never cut
    components.download_button(
        t("export.list_button"), data=lambda: target_csv(frame, encoding).data,
        file_name=f"loyalty_{base}_{stamp}.csv", mime="text/csv", on_click="ignore", icon=":material/download:",
        key="dl_list", container=b1)
    components.download_button(
        t("export.zip_button"),
        data=lambda: target_lists_zip(feats.frame, scored, d, lang, encoding=encoding, form=form, passthrough=chosen,
                                      template=template)[0],
        file_name=f"loyalty_lists_{stamp}.zip", mime="application/zip", on_click="ignore",
        icon=":material/folder_zip:", key="dl_zip", container=b2)


def _cp932_check(frame) -> None:
    """Warn about cells Shift_JIS (CP932) cannot hold, or say that every cell fits."""
    lost = unencodable_cells(frame, "cp932")
    if lost:
        st.warning(t("export.cp932_lost", n=format_int(sum(lost.values())), columns=state.join_list(lost)
                     if state.lang() == "ja" else ", ".join(lost)), icon=":material/warning:")
    else:
        st.caption(t("export.cp932_ok"))


def _handout_section(feats, scored, d, source: str, stamp: str, personas) -> None:
    """3. The one-page printable summary, and its preview on demand."""
    lang = state.lang()
    colors = {"tier_colors": theme.TIER_COLORS, "segment_colors": theme.SEGMENT_COLORS}
    st.subheader(t("export.handout"), divider="gray")
    st.markdown(t("export.handout_help"))
    components.download_button(
        t("export.handout_button"),
        data=lambda: handout_html(feats, scored, d, lang, source=source, personas=personas,
                                  **colors).encode("utf-8"),
        file_name=f"loyalty_summary_{stamp}.html", mime="text/html", on_click="ignore", icon=":material/print:",
        key="dl_handout")
    if st.toggle(t("export.preview"), key="w_handout_preview"):
        with st.spinner(t("common.loading")):
            st.iframe(handout_html(feats, scored, d, lang, source=source, personas=personas, **colors),
                      height=1150)


def _definition_section(d) -> None:
    """4. The definition file, with its notes and measures."""
    st.subheader(t("export.definition"), divider="gray")
    st.markdown(t("export.definition_help", notes=sum(1 for v in d.persona_notes.values() if v.strip()),
                  measures=t("export.measures_catalogue") if d.measures is None
                  else t("export.measures_edited", n=len(d.measures))))
    components.download_button(t("export.definition_button"), data=lambda: d.to_json().encode("utf-8"),
                               file_name="loyalty_definition.json", mime="application/json", on_click="ignore",
                               icon=":material/description:", key="dl_definition_json")


render()
