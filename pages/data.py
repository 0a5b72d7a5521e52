"""データ: upload files, check the column mapping, read the quality report."""

from ui.router import ensure_router

ensure_router()

import re

import pandas as pd
import streamlit as st

from loyalty import export
from loyalty.errors import LoyaltyError
from loyalty.fmt import CURRENCIES, format_int, format_yen
from loyalty.i18n import catalogue
from loyalty.mapping import missing_roles, role_specs
from loyalty.quality import EXCLUSION_ORDER
from ui import components, state

t = state.t
UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "xlsm", "xls", "ods", "gz", "parquet"]
MAIN_ROLES = {
    "transactions": ("customer_id", "order_date", "amount", "quantity", "unit_price", "order_id"),
    "customers": ("customer_id", "recency_days", "last_purchase_date", "frequency", "monetary"),
}
MAPPING_COLUMNS = 4  # select boxes per row in the column mapping
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def _plain(text: str) -> str:
    """A column name escaped so Markdown shows it as it is."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))


def _encoding_name(encoding: str) -> str:
    """How an encoding is called in Japan ("cp932" -> "Shift_JIS（CP932）")."""
    key = "polish.encoding." + encoding.replace("-", "_")
    return t(key) if key in catalogue(state.lang()) else encoding


def _has_transactions(current: "state.Upload") -> bool:
    """Whether another file in use is a transaction table (then a customer
    table only needs its id and the attributes it has)."""
    for other in state.uploads():
        if other.sha == current.sha:
            continue
        try:
            if state.map_table_for(other).kind == "transactions":
                return True
        except LoyaltyError:
            continue
    return False


K_SEEN_FILES = "data_seen_upload_ids"  # the uploader's files last applied (see _catch_up_with_the_uploader)


def _date_forms(note: str) -> str:
    """The reader's date-format note ("YYYY/MM/DD + time + 和暦 (Japanese era) + 2 more forms")
    in the UI language."""
    words = {"和暦 (Japanese era)": "polish.date.era", "Excel serial": "polish.date.serial",
             "no dates": "polish.date.none"}
    forms: list[str] = []
    for part in note.split(" + "):
        more = re.fullmatch(r"(\d+) more forms", part)
        if part == "time" and forms:
            forms[-1] = t("polish.date.with_time", form=forms[-1])
        elif more:
            forms.append(t("polish.date.more", n=int(more.group(1))))
        else:
            forms.append(t(words[part]) if part in words else part)
    return state.join_list(forms)


def _excluded_view(excluded: pd.DataFrame) -> pd.DataFrame:
    """Excluded rows with the reason in words and the report's own columns named in the UI language."""
    out = excluded.copy()
    out["reason"] = out["reason"].map(lambda k: t(f"reason.{k}"))
    for col in out.columns[3:]:  # the original cells: an empty one shows empty, not "None"
        if pd.api.types.is_string_dtype(out[col]) or out[col].dtype == object:
            out[col] = out[col].fillna("")
    return out.rename(columns={"file": t("polish.data.col_file"), "row": t("polish.data.col_row"),
                               "reason": t("data.q.reason")})


def _on_upload() -> None:
    files = st.session_state.get("w_upload") or []
    st.session_state[K_SEEN_FILES] = tuple(f.file_id for f in files)
    state.set_uploads([state.make_upload(f.name, f.getvalue()) for f in files])
    state.preload()  # reading → checking → aggregating in one status box (large uploads)


def _catch_up_with_the_uploader() -> None:
    """Apply files the uploader holds but no callback has seen.

    A file chosen while the page's first run is still under way can reach the
    session without its on_change callback (the widget was not registered yet);
    the files would show in the uploader while the sample data stayed in use.
    "Back to the sample" leaves the files in the widget: they count as seen.
    """
    files = st.session_state.get("w_upload") or []
    if files and tuple(f.file_id for f in files) != st.session_state.get(K_SEEN_FILES, ()):
        _on_upload()  # (an empty uploader is a page reached again: the files in use stay)


def _back_to_sample() -> None:
    state.set_uploads(None)


def _set_option(sha: str, name: str, widget_key: str) -> None:
    state.table_options(sha)[name] = st.session_state[widget_key]
    if name in ("kind", "sheet"):
        state.table_options(sha)["overrides"] = {}


def _set_role(sha: str, role: str, widget_key: str) -> None:
    value = st.session_state[widget_key]
    overrides = state.table_options(sha)["overrides"]
    overrides[role] = None if value == "" else value
    # a column can play one role: drop other overrides pointing at it
    for other, col in list(overrides.items()):
        if other != role and col == value and value != "":
            overrides[other] = None


st.title(t("data.title"))
st.caption(t("data.caption"))

st.file_uploader(t("data.upload_label"), type=UPLOAD_TYPES, accept_multiple_files=True, key="w_upload",
                 on_change=_on_upload, help=t("data.upload_help"))
_catch_up_with_the_uploader()
if not state.using_sample() and not st.session_state.get("w_upload"):
    # the uploader is empty on a page reached again (a widget is not kept off its page): say what is in use
    st.caption(t("polish.data.in_use", files=state.join_list(up.name for up in state.uploads())))
if state.using_sample():
    st.info(t("data.using_sample"), icon=":material/info:")
else:
    st.button(t("data.back_to_sample"), on_click=_back_to_sample, icon=":material/restart_alt:")

st.checkbox(t("data.drop_duplicates"), key=state.K_DROP_DUPS, help=t("data.drop_duplicates_help"))
c1, c2 = st.columns([1, 2], vertical_alignment="bottom")
c1.selectbox(t("data.currency"), list(CURRENCIES), key=state.K_CURRENCY, persist_state="session",
             format_func=lambda c: t(f"data.currency.{c}"), help=t("data.currency_help"))
state.apply_currency()  # the rest of this run already shows the choice
if state.currency() != "JPY" and state.definition().rfm.mode == "threshold":
    c2.caption(t("data.currency_m_hint", symbol=CURRENCIES[state.currency()]))

# --- files and mapping ------------------------------------------------------
st.header(t("data.files_title"))
problems = unreadable = False
for up in state.uploads():
    opts = state.table_options(up.sha)
    with st.container(border=True):
        st.subheader(up.name)
        try:
            raw = state.raw_table(up)
        except LoyaltyError as exc:
            state.show_error(exc)
            problems = unreadable = True
            continue
        info = state.map_table_for(up)
        meta = []
        if raw.encoding:
            meta.append(t("data.meta.encoding", encoding=_encoding_name(raw.encoding)))
        if raw.delimiter:
            delim = raw.delimiter.replace("\t", "\\t")  # the catalogue spells the tab key "\t"
            meta.append(t("data.meta.delimiter", delimiter=t(f"data.delim.{delim}")
                          if raw.delimiter in ("\t", ",", ";", "|", "whitespace") else raw.delimiter))
        if raw.sheet:
            meta.append(t("data.meta.sheet", sheet=raw.sheet))
        meta.append(t("data.meta.rows", rows=format_int(raw.rows)))
        meta.append(t("data.meta.columns", columns=format_int(len(raw.frame.columns))))
        st.caption(" / ".join(meta))
        for key, values in raw.notes:
            st.caption(t(key, **values))

        c1, c2 = st.columns(2)
        kinds = ["transactions", "customers"]
        kind_key = f"w_kind_{up.sha[:12]}"
        if kind_key not in st.session_state:
            st.session_state[kind_key] = info.kind
        c1.selectbox(t("data.kind"), kinds, key=kind_key, format_func=lambda k: t(f"data.kind.{k}"),
                     on_change=_set_option, args=(up.sha, "kind", kind_key), help=t("data.kind_help"))
        if len(raw.sheets) > 1:
            sheet_key = f"w_sheet_{up.sha[:12]}"
            if sheet_key not in st.session_state:
                st.session_state[sheet_key] = raw.sheet
            c2.selectbox(t("data.sheet"), raw.sheets, key=sheet_key, on_change=_set_option,
                         args=(up.sha, "sheet", sheet_key))

        columns = [""] + list(raw.frame.columns)
        specs = role_specs(info.kind)
        # compact: one line says which column plays which role; the select boxes
        # (required, matched and key roles first) open on demand, and open by
        # themselves when a required role has no column
        key_roles = MAIN_ROLES[info.kind] if info.kind == "transactions" or not _has_transactions(up) else ()
        main = [s for s in specs if s.required or info.mapping.has(s.role) or s.role in key_roles]
        rest = [s for s in specs if s not in main]

        def role_box(container, spec, up=up, info=info, columns=columns):
            wkey = f"w_map_{up.sha[:12]}_{info.kind}_{spec.role}"
            st.session_state[wkey] = info.mapping.column(spec.role) or ""
            label = t(f"role.{spec.role}") + (" *" if spec.required else "")
            container.selectbox(label, columns, key=wkey, on_change=_set_role, args=(up.sha, spec.role, wkey),
                                format_func=lambda c: t("data.not_used") if c == "" else c)

        missing = missing_roles(info.mapping)
        st.markdown(f"**{t('data.mapping_title')}**", help=t("polish.data.mapping_help"))
        used = [(t(f"role.{s.role}") + ("\\*" if s.required else ""), info.mapping.column(s.role))
                for s in specs if info.mapping.has(s.role)]
        sep = " ／ " if state.lang() == "ja" else " / "
        st.markdown(sep.join(f"**{role}**: {_plain(col)}" for role, col in used) or t("data.not_used"))
        with st.expander(t("polish.data.mapping_edit"), expanded=bool(missing), icon=":material/edit:"):
            cols = st.columns(MAPPING_COLUMNS)
            for i, spec in enumerate(main):
                role_box(cols[i % MAPPING_COLUMNS], spec)
            if rest:
                st.caption(t("polish.data.mapping_unused", n=len(rest)))
                cols = st.columns(MAPPING_COLUMNS)
                for i, spec in enumerate(rest):
                    role_box(cols[i % MAPPING_COLUMNS], spec)
        if missing:
            problems = True
            st.error(t("data.missing_roles", roles=state.join_list(t(f"role.{r}") for r in missing)), icon="⚠️")
        with st.expander(t("data.preview")):
            st.dataframe(raw.frame.head(20), hide_index=True, width="stretch")

# --- quality report ---------------------------------------------------------
st.header(t("data.quality_title"))
if problems:
    st.info(t("polish.data.quality_waiting_unreadable" if unreadable else "data.quality_waiting"))
    st.stop()
try:
    with st.spinner(t("common.loading")):
        ds = state.dataset()
except LoyaltyError as exc:
    state.show_error(exc)
    st.stop()

tx = ds.transactions
if tx is not None:
    r = tx.report
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("data.q.read"), format_int(r.rows_read))
    c2.metric(t("data.q.used"), format_int(r.rows_used))
    c3.metric(t("data.q.excluded"), format_int(r.rows_excluded))
    c4.metric(t("data.q.returns"), format_int(r.returns), help=t("data.q.returns_help"))
    st.markdown(t("data.q.balance", read=format_int(r.rows_read), used=format_int(r.rows_used),
                  excluded=format_int(r.rows_excluded)))
    reasons = pd.DataFrame({
        t("data.q.order"): range(1, len(EXCLUSION_ORDER) + 1),
        t("data.q.reason"): [t(f"reason.{k}") for k in EXCLUSION_ORDER],
        t("data.q.rows"): [r.excluded_by_reason[k] for k in EXCLUSION_ORDER],
    })
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"**{t('data.q.by_reason')}**")
        st.dataframe(reasons, hide_index=True, width="stretch",
                     column_config={t("data.q.rows"): st.column_config.NumberColumn(format="localized")})
        st.caption(t("data.q.order_help"))
    with right:
        st.markdown(f"**{t('data.q.other')}**")
        action = t("quality.dup_dropped") if r.duplicates_dropped else t("quality.dup_kept")
        st.markdown(t("data.q.duplicates", count=format_int(r.duplicates), action=action))
        st.markdown(t("data.q.returns_line", count=format_int(r.returns), amount=format_yen(r.returns_amount)))
        if r.sign_flipped:
            st.markdown(t("data.q.sign_flipped", count=format_int(r.sign_flipped)))
        if r.zero_amount:
            st.markdown(t("data.q.zero_amount", count=format_int(r.zero_amount)))
        if r.fee_lines:
            st.markdown(t("rel.quality.fee_lines", count=r.fee_lines))
        for f in r.files:
            st.caption(t("data.q.date_format", file=f["file"], fmt=_date_forms(f["date_format"] or "—")))
    for key, values in r.notes:
        st.warning(t(key, **values))
    if r.rows_excluded:
        excluded = _excluded_view(r.excluded)
        st.markdown(f"**{t('data.q.excluded_rows')}**")
        st.dataframe(excluded.head(200), hide_index=True, width="stretch")
        components.download_button(t("data.q.download_excluded"), data=lambda: export.csv_bytes(excluded).data,
                                   file_name="excluded_rows.csv", mime="text/csv", on_click="ignore",
                                   icon=":material/download:")
    else:
        st.success(t("data.q.all_used"), icon=":material/check_circle:")

if ds.customers is not None:
    c = ds.customers
    st.subheader(t("data.q.customers_title"))
    st.markdown(t("data.q.customers_line", file=c.name, read=format_int(c.rows_read), used=format_int(c.rows_used),
                  excluded=format_int(c.rows_read - c.rows_used)))
    if c.rows_read > c.rows_used:
        excluded = _excluded_view(c.excluded)
        st.dataframe(excluded.head(200), hide_index=True, width="stretch")

try:
    feats = state.features()
    for key, values in feats.notes:
        st.caption(t(key, **values))
except LoyaltyError as exc:
    state.show_error(exc)
