"""データ: upload files, check the column mapping, read the quality report."""

from ui.router import ensure_router

ensure_router()

import streamlit as st

from loyalty import export
from loyalty.customer_table import RECENCY_UNITS, recency_of_table
from loyalty.errors import LoyaltyError
from loyalty.fmt import CURRENCIES, format_int, format_yen
from loyalty.mapping import missing_roles, role_specs
from ui import components, quality_view, state
from ui.state import t

UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "xlsm", "xls", "ods", "gz", "parquet"]
MAIN_ROLES = {
    "transactions": ("customer_id", "order_date", "amount", "quantity", "unit_price", "order_id"),
    "customers": ("customer_id", "recency_days", "last_purchase_date", "frequency", "monetary"),
}
MAPPING_COLUMNS = 4  # select boxes per row in the column mapping
K_SEEN_FILES = "data_seen_upload_ids"  # the uploader's files last applied (see _catch_up_with_the_uploader)
K_SAME_FILES = "data_same_files"  # [(file, same_as)]: uploads left out as copies of an earlier one
DELIMITERS = ("\t", ",", ";", "|", "whitespace")  # those the catalogue has a name for


def render() -> None:
    """Upload, options, one card per file (mapping), then the quality report."""
    st.title(t("data.title"))
    st.caption(t("data.caption"))
    _upload_section()
    _options_section()
    st.header(t("data.files_title"))
    problems = unreadable = False
    for up in state.uploads():
        problem, bad_file = _file_card(up)
        problems, unreadable = problems or problem, unreadable or bad_file
    _quality_section(problems, unreadable)


# --- callbacks ---------------------------------------------------------------------------


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


def _on_upload() -> None:
    files = st.session_state.get("w_upload") or []
    st.session_state[K_SEEN_FILES] = tuple(f.file_id for f in files)
    ups, first = [], {}
    same = []
    for f in files:
        up = state.make_upload(f.name, f.getvalue())
        if up.sha in first:  # the same bytes under another name: used once, said so
            same.append((up.name, first[up.sha]))
            continue
        first[up.sha] = up.name
        ups.append(up)
    st.session_state[K_SAME_FILES] = same
    state.set_uploads(ups)
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
    st.session_state[K_SAME_FILES] = []
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


# --- upload and options ------------------------------------------------------------------


def _upload_section() -> None:
    """The uploader, what is in use, and the way back to the sample data."""
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
        for name, same_as in st.session_state.get(K_SAME_FILES, []):
            st.warning(quality_view.note("note.same_file.bytes", {"file": name, "same_as": same_as}, state.lang()),
                       icon=":material/content_copy:")


def _options_section() -> None:
    """Duplicate rows kept or dropped, and the currency of the amounts."""
    st.checkbox(t("data.drop_duplicates"), key=state.K_DROP_DUPS, help=t("data.drop_duplicates_help"))
    c1, c2 = st.columns([1, 2], vertical_alignment="bottom")
    c1.selectbox(t("data.currency"), list(CURRENCIES), key=state.K_CURRENCY, persist_state="session",
                 format_func=lambda c: t(f"data.currency.{c}"), help=t("data.currency_help"))
    state.apply_currency()  # the rest of this run already shows the choice
    if state.currency() != "JPY" and state.definition().rfm.mode == "threshold":
        c2.caption(t("data.currency_m_hint", symbol=CURRENCIES[state.currency()]))


# --- one file: how it was read and its column mapping -------------------------------------


def _file_card(up) -> tuple[bool, bool]:
    """One uploaded file: how it was read, its kind and sheet, its column mapping.

    Returns:
        ``(problem, unreadable)``: something must be fixed before the data can be
        checked (a required column unmapped, or the file unreadable), and whether
        the file could not be read at all.
    """
    with st.container(border=True):
        st.subheader(up.name)
        try:
            raw = state.raw_table(up)
        except LoyaltyError as exc:
            state.show_error(exc)
            return True, True
        info = state.map_table_for(up)
        _file_meta(raw)
        _kind_and_sheet(up, raw, info)
        missing = _mapping(up, raw, info)
        _recency_unit(up, raw, info)
        if missing:
            st.error(t("data.missing_roles", roles=state.join_list(t(f"role.{r}") for r in missing)), icon="⚠️")
        with st.expander(t("data.preview")):
            st.dataframe(raw.frame.head(20), hide_index=True, width="stretch")
    return bool(missing), False


def _file_meta(raw) -> None:
    """One line on how the file was read (encoding, delimiter, sheet, size), and the reader's notes."""
    meta = []
    if raw.encoding:
        meta.append(t("data.meta.encoding", encoding=quality_view.encoding_name(raw.encoding, state.lang())))
    if raw.delimiter:
        delim = raw.delimiter.replace("\t", "\\t")  # the catalogue spells the tab key "\t"
        meta.append(t("data.meta.delimiter", delimiter=t(f"data.delim.{delim}")
                      if raw.delimiter in DELIMITERS else raw.delimiter))
    if raw.sheet:
        meta.append(t("data.meta.sheet", sheet=raw.sheet))
    meta.append(t("data.meta.rows", rows=format_int(raw.rows)))
    meta.append(t("data.meta.columns", columns=format_int(len(raw.frame.columns))))
    st.caption(" / ".join(meta))
    for key, values in raw.notes:
        st.caption(t(key, **values))


def _kind_and_sheet(up, raw, info) -> None:
    """The table's kind (transactions or customers) and, for a workbook, its sheet."""
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


def _mapping(up, raw, info) -> list[str]:
    """The column mapping: one line saying which column plays which role, and the select
    boxes (required, matched and key roles first) on demand — open by themselves when a
    required role has no column.

    Returns:
        The required roles without a column.
    """
    columns = [""] + list(raw.frame.columns)
    specs = role_specs(info.kind)
    key_roles = MAIN_ROLES[info.kind] if info.kind == "transactions" or not _has_transactions(up) else ()
    main = [s for s in specs if s.required or info.mapping.has(s.role) or s.role in key_roles]
    rest = [s for s in specs if s not in main]
    missing = missing_roles(info.mapping)
    st.markdown(f"**{t('data.mapping_title')}**", help=t("polish.data.mapping_help"))
    used = [(t(f"role.{s.role}") + ("\\*" if s.required else ""), info.mapping.column(s.role))
            for s in specs if info.mapping.has(s.role)]
    sep = " ／ " if state.lang() == "ja" else " / "
    st.markdown(sep.join(f"**{role}**: {quality_view.plain(col)}" for role, col in used) or t("data.not_used"))
    with st.expander(t("polish.data.mapping_edit"), expanded=bool(missing), icon=":material/edit:"):
        cols = st.columns(MAPPING_COLUMNS)
        for i, spec in enumerate(main):
            _role_box(cols[i % MAPPING_COLUMNS], spec, up, info, columns)
        if rest:
            st.caption(t("polish.data.mapping_unused", n=len(rest)))
            cols = st.columns(MAPPING_COLUMNS)
            for i, spec in enumerate(rest):
                _role_box(cols[i % MAPPING_COLUMNS], spec, up, info, columns)
    return missing


def _recency_unit(up, raw, info) -> None:
    """The unit of a customer table's recency column, asked when its values suggest weeks or
    months (the guess preselected, the reason shown), or once the user has chosen one."""
    chosen = state.table_options(up.sha).get("recency_unit")
    unit = recency_of_table(raw, info.mapping, chosen)
    if unit is None or not (unit.asked or chosen):
        return
    key = f"w_recency_{up.sha[:12]}"
    st.session_state[key] = unit.unit
    c1, c2 = st.columns([1, 2], vertical_alignment="bottom")
    c1.selectbox(t("data.recency_unit", file=quality_view.plain(up.name)), list(RECENCY_UNITS), key=key,
                 format_func=lambda u: t(f"data.recency_unit.{u}"), on_change=_set_option,
                 args=(up.sha, "recency_unit", key))
    if unit.asked:
        c2.caption(t("data.recency_unit_reason", column=quality_view.plain(unit.column), max=f"{unit.max_value:g}",
                     limit=t(f"data.recency_limit.{unit.guess}"), unit=t(f"data.recency_unit.{unit.guess}")))


def _role_box(container, spec, up, info, columns: list[str]) -> None:
    """The select box of one role: which column plays it ("" = none)."""
    wkey = f"w_map_{up.sha[:12]}_{info.kind}_{spec.role}"
    st.session_state[wkey] = info.mapping.column(spec.role) or ""
    label = t(f"role.{spec.role}") + (" *" if spec.required else "")
    container.selectbox(label, columns, key=wkey, on_change=_set_role, args=(up.sha, spec.role, wkey),
                        format_func=lambda c: t("data.not_used") if c == "" else c)


# --- the quality report ---------------------------------------------------------------------


def _quality_section(problems: bool, unreadable: bool) -> None:
    """The quality report of the data in use (waiting while a file needs fixing)."""
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
    for i in ds.ignored:  # a table identical to an earlier one once read (the same bytes are caught at upload)
        st.warning(quality_view.note(f"note.same_file.{i['how']}", {"file": i["file"], "same_as": i["same_as"]},
                                     state.lang()), icon=":material/content_copy:")
    if ds.transactions is not None:
        _transactions_quality(ds.transactions.report)
    if ds.customers is not None:
        _customers_quality(ds.customers)
    try:
        feats = state.features()
        for key, values in feats.notes:
            st.caption(t(key, **values))
    except LoyaltyError as exc:
        state.show_error(exc)


def _transactions_quality(r) -> None:
    """Rows read = used + excluded, why rows were excluded, other counts, the excluded rows."""
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("data.q.read"), format_int(r.rows_read))
    c2.metric(t("data.q.used"), format_int(r.rows_used))
    c3.metric(t("data.q.excluded"), format_int(r.rows_excluded))
    c4.metric(t("data.q.returns"), format_int(r.returns), help=t("data.q.returns_help"))
    st.markdown(t("data.q.balance", read=format_int(r.rows_read), used=format_int(r.rows_used),
                  excluded=format_int(r.rows_excluded)))
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"**{t('data.q.by_reason')}**")
        st.dataframe(quality_view.reasons_table(r.excluded_by_reason, state.lang()), hide_index=True,
                     width="stretch",
                     column_config={t("data.q.rows"): st.column_config.NumberColumn(format="localized")})
        st.caption(t("data.q.order_help"))
    with right:
        _other_counts(r)
    for key, values in r.notes:
        st.warning(quality_view.note(key, values, state.lang()))
    if r.rows_excluded:
        excluded = quality_view.excluded_view(r.excluded, state.lang())
        st.markdown(f"**{t('data.q.excluded_rows')}**")
        st.dataframe(excluded.head(200), hide_index=True, width="stretch")
        components.download_button(t("data.q.download_excluded"), data=lambda: export.csv_bytes(excluded).data,
                                   file_name="excluded_rows.csv", mime="text/csv", on_click="ignore",
                                   icon=":material/download:")
    else:
        st.success(t("data.q.all_used"), icon=":material/check_circle:")


def _other_counts(r) -> None:
    """Duplicates (kept or dropped), returns, sign-flipped, zero-amount and fee lines, date formats."""
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
        st.caption(t("data.q.date_format", file=f["file"],
                     fmt=quality_view.date_forms(f["date_format"] or "—", state.lang())))


def _customers_quality(c) -> None:
    """The customer table: rows read, used and excluded, and the excluded rows."""
    st.subheader(t("data.q.customers_title"))
    st.markdown(t("data.q.customers_line", file=c.name, read=format_int(c.rows_read), used=format_int(c.rows_used),
                  excluded=format_int(c.rows_read - c.rows_used)))
    reasons = [f"{t(f'reason.{k}')} {format_int(n)}" for k, n in c.excluded_by_reason.items() if n]
    if reasons:
        st.caption(t("data.q.customer_reasons", reasons=state.join_list(reasons)))
    for key, values in c.notes:
        st.warning(quality_view.note(key, values, state.lang()))
    if c.rows_read > c.rows_used:
        excluded = quality_view.excluded_view(c.excluded, state.lang())
        st.dataframe(excluded.head(200), hide_index=True, width="stretch")


render()
