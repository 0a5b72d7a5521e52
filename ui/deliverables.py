"""Streamlit helpers of the personas and export pages: persona cards with notes, the
measure editor, the data-source text, and a per-session memo of the personas."""

from __future__ import annotations

import hashlib
import json
import re

import pandas as pd
import streamlit as st

from loyalty.export import csv_bytes
from loyalty.fmt import format_int, format_pct
from loyalty.i18n import t as translate
from loyalty.measures import (ACTION_PLAN_COLUMNS, MEASURE_FIELDS, action_plan, measures_for, replace_target,
                              rows_from_table)
from loyalty.personas import Persona, build_personas, note_for, with_note
from loyalty.targets import CONTACT_ROLES, PassThrough, crm_templates, customer_columns
from ui import state

t = state.t
SECTIONS = ("size", "profile", "purchase", "engagement", "voice")
_MEMO = "_deliverables_personas"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:])")


def md_escape(text: object) -> str:
    """Text with Markdown (and Streamlit's ``$`` maths and ``:colour[]``) characters escaped."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def source_text() -> str:
    """Where the data in use comes from (file names; the sample data says so)."""
    sep = "、" if state.lang() == "ja" else ", "
    names = sep.join(u.name for u in state.uploads())
    return t("personas.sample_source", files=names) if state.using_sample() else names


def _persona_key(by: str) -> str:
    d = state.definition()
    data = d.to_dict()
    data.pop("persona_notes", None)
    data.pop("measures", None)
    raw = json.dumps([state.dataset_key(), by, state.lang(), state.currency(), data], ensure_ascii=False,
                     sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def personas(features: pd.DataFrame, scored: pd.DataFrame, by: str) -> list[Persona]:
    """Personas of the working definition, kept per session until data or definition change.

    Notes and measures do not change a persona, so typing a note does not recompute them.

    Args:
        features: the feature frame in use.
        scored: the score frame of the working definition.
        by: "tier", "segment" or "all".

    Returns:
        :func:`loyalty.personas.build_personas`' result.
    """
    key = _persona_key(by)
    memo = st.session_state.setdefault(_MEMO, {})
    if key not in memo:
        if len(memo) >= 6:
            memo.pop(next(iter(memo)))
        memo[key] = build_personas(features, scored, state.definition(), state.lang(), by=by)
    return memo[key]


def _note_key(target: str) -> str:
    return f"w_note_{target}"


def _save_note(target: str) -> None:
    text = st.session_state.get(_note_key(target), "") or ""
    d = state.definition()
    state.set_definition(d.copy(persona_notes=with_note(d.persona_notes, target, text)))
    st.session_state[_note_key(target) + "__src"] = note_for(state.definition().persona_notes, target)


def note_area(target: str, label: str) -> None:
    """The facilitator's note of one persona, saved in the definition on every change.

    A note that changed elsewhere (a definition file loaded) replaces what the box shows.

    Args:
        target: the persona's target ("tier:top").
        label: the persona's name (for the box's label).
    """
    key = _note_key(target)
    saved = note_for(state.definition().persona_notes, target)
    if st.session_state.get(key + "__src") != saved or key not in st.session_state:
        st.session_state[key] = saved
        st.session_state[key + "__src"] = saved
    st.text_area(t("personas.note_label", persona=label), key=key, on_change=_save_note, args=(target,),
                 placeholder=t("personas.note_placeholder"), help=t("personas.note_help"), height=110)


def persona_card(p: Persona, total: int, *, measures: bool = True) -> None:
    """One persona as a bordered card: size, bullets per section, note box, measures.

    Args:
        p: the persona.
        total: all customers (for the share in the heading).
        measures: also list the persona's measures (read-only).
    """
    with st.container(border=True):
        st.markdown(f"#### {md_escape(p.label)}")
        size = t("personas.card_size", n=t(f"persona.unit.{p.count_unit}", n=format_int(p.customers)),
                 share=format_pct(p.customers / total if total else float("nan")))
        revenue = p.fact("revenue_share")
        st.caption(md_escape(size if revenue is None else t("personas.card_revenue", size=size,
                                                               revenue=revenue.value_text)))
        if not p.customers:
            st.info(t("personas.empty"))
        for section in SECTIONS[1:]:
            facts = [f for f in p.facts if f.section == section]
            if not facts:
                continue
            st.markdown(f"**{t(f'personas.section.{section}')}**")
            st.markdown("\n".join(f"- {md_escape(f.text)}" for f in facts))
        note_area(p.target, p.label)
        if measures:
            rows = measures_for(state.definition().measures, p.target, state.lang())
            st.markdown(f"**{t('personas.measures_of')}**")
            if rows:
                st.markdown("\n".join(
                    f"{i}. **{md_escape(m['title'])}** — "
                    f"{md_escape(t('segments.measure_meta', channel=m['channel'], timing=m['timing'], kpi=m['kpi']))}"
                    for i, m in enumerate(rows, start=1)))
            else:
                st.caption(t("personas.no_measures"))


def measure_editor(target: str) -> None:
    """The editable measures of one target (title, detail, channel, timing, KPI).

    Every edit is saved in the definition at once (the whole list, in the language it
    was written in); a row added and left blank is not saved.  The editor's key carries
    a digest of the saved rows, so after saving it starts afresh from them.

    Args:
        target: "tier:<key>" or "segment:<key>".
    """
    d = state.definition()
    lang = state.lang()
    rows = measures_for(d.measures, target, lang)
    fields = list(MEASURE_FIELDS[1:])
    base = pd.DataFrame([{k: r.get(k, "") for k in fields} for r in rows], columns=fields, dtype="str")
    digest = hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()[:12]
    config = {k: st.column_config.TextColumn(t(f"workbook.col.plan.{k}"), width="large" if k == "detail"
                                             else "medium") for k in fields}
    edited = st.data_editor(base, key=f"w_measures_{target}_{digest}", num_rows="dynamic", hide_index=True,
                            width="stretch", column_config=config)
    new = rows_from_table(edited, target)
    if new != rows_from_table(base, target):
        state.set_definition(d.copy(measures=replace_target(d.measures, target, new, lang)))
        st.rerun()


def table_height(frame: pd.DataFrame, *, row: int = 35, most: int = 900) -> int:
    """A dataframe height showing every row (header included), at most ``most`` pixels."""
    return min(most, row * (len(frame) + 1) + 3)


def list_column_config(frame: pd.DataFrame) -> dict:
    """Column configs for a target-list preview: dates as YYYY/MM/DD, the score with one decimal."""
    config = {}
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            config[column] = st.column_config.DateColumn(format="YYYY/MM/DD")
        elif pd.api.types.is_float_dtype(frame[column]):
            config[column] = st.column_config.NumberColumn(format="%.1f")
    return config


def action_plan_csv(definition, counts: dict[str, int], lang: str) -> bytes:
    """The action plan as CSV (UTF-8 with BOM) with localized headers.

    Args:
        definition: the definition (its measures, or the catalogue).
        counts: customers per target.
        lang: the language of headers, target names and catalogue measures.

    Returns:
        The file's bytes.
    """
    plan = action_plan(definition.measures, definition, lang, counts)
    plan = plan.rename(columns={c: translate(f"workbook.col.plan.{c}", lang) for c in ACTION_PLAN_COLUMNS})
    return csv_bytes(plan).data


def reset_measures() -> None:
    """Callback: back to the catalogue's measures (the definition's own list is dropped)."""
    state.set_definition(state.definition().copy(measures=None))


@st.cache_resource(show_spinner=False, max_entries=6)
def _passthrough(key: str, _tables) -> PassThrough | None:
    tables = [(i.raw.frame, i.mapping.column("customer_id"), dict(i.mapping.roles))
              for i in _tables if i.kind == "customers" and i.mapping.has("customer_id")]
    return customer_columns(tables) if tables else None


def passthrough() -> PassThrough | None:
    """The customer tables' own columns for lists (None without a customer table; cached per data)."""
    ds = state.dataset()
    return _passthrough(state.dataset_key(), ds.tables)


def list_columns_picker(pt: PassThrough | None) -> PassThrough | None:
    """Which customer-table columns ride along in a list (the e-mail and names chosen at first).

    Args:
        pt: every column of the customer table (:func:`passthrough`), or None.

    Returns:
        The chosen columns, or None without a customer table.
    """
    if pt is None or not len(pt.frame.columns):
        st.caption(t("export.no_customer_table"))
        return None
    columns = [str(c) for c in pt.frame.columns]
    if "w_list_columns" not in st.session_state or not set(st.session_state["w_list_columns"]) <= set(columns):
        order = {r: i for i, r in enumerate(CONTACT_ROLES)}
        st.session_state["w_list_columns"] = sorted((c for c in columns if c in pt.roles), key=lambda c: order[pt.roles[c]])
    chosen = st.multiselect(t("export.columns"), columns, key="w_list_columns", help=t("export.columns_help"),
                            placeholder=t("widget.choose_options"))
    return pt.pick(chosen)


def template_picker(pt: PassThrough | None, all_columns: PassThrough | None) -> str | None:
    """The CRM import layout (or the app's own columns), with what it expects and where that comes from.

    Args:
        pt: the chosen pass-through columns (or None).
        all_columns: every customer-table column (to tell "not chosen" from "not in the data").

    Returns:
        A key of :func:`loyalty.targets.crm_templates`, or None.
    """
    templates = crm_templates()
    names = {"": t("export.template.none"), **{k: v.name for k, v in templates.items()}}
    picked = st.selectbox(t("export.template"), list(names), key="w_list_template", format_func=names.__getitem__,
                          help=t("export.template_help"))
    if not picked:
        return None
    tpl = templates[picked]
    sources = " ・ ".join(f"[{i}]({url})" for i, url in enumerate(tpl.sources, start=1))
    st.caption(t("export.template_info", tool=tpl.name, columns=", ".join(f"`{h}`" for h in tpl.headers()),
                 sources=sources))
    if pt is None or "email" not in pt.roles.values():
        has_email = all_columns is not None and "email" in all_columns.roles.values()
        st.warning(t("export.template_no_email" if has_email else "export.template_no_email_column", tool=tpl.name),
                   icon=":material/alternate_email:")
    return picked
