"""Small building blocks the pages share: labels, formatted tables, guarded loading."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from loyalty.columns import header, kind_of
from loyalty.definition import TIER_KEYS
from loyalty.errors import LoyaltyError
from loyalty.fmt import currency, currency_symbol
from loyalty.i18n import catalogue
from loyalty.labels import segment_labels
from loyalty.labels import tier_labels as definition_tier_labels
from ui import state
from ui.theme import tier_cell_css

STYLE_MAX_ROWS = 1_000  # tier cells are coloured up to this many rows (styling costs ~0.1 s per 1,000)
ROW_PX, FULL_HEIGHT_ROWS = 35, 25  # tables up to this many rows are shown whole, without inner scrolling
TIER_LABEL_COLUMNS = ("tier_label", "tier")


def tier_labels() -> dict[str, str]:
    """tier key -> label in the UI language (the definition's own names win)."""
    d = state.definition()
    return definition_tier_labels(d, state.lang())


def seg_labels() -> dict[str, str]:
    """segment key -> label in the UI language."""
    return segment_labels(state.definition().segments, state.lang())


def empty_state(message: str, *, page: str | None = None, link_label: str | None = None,
                icon: str = ":material/lightbulb:") -> None:
    """Say that there is nothing to show and what to do next.

    Args:
        message: what is missing and what to do, in the UI language.
        page: a page to go to (``"pages/data.py"``), if the next step is there.
        link_label: the link's text (required with ``page``).
        icon: the message's icon.
    """
    st.info(message, icon=icon)
    if page and link_label:
        st.page_link(page, label=link_label, icon=":material/arrow_forward:")


def metric_row():
    """A row for metric cards that wraps instead of clipping.

    In ``st.columns`` every card gets an equal share of the width, so a long label
    ("Top customers: revenue share") or a long value (¥39,633,106) is cut off with
    "…".  In this row (a wrapping horizontal container) each card takes the width its
    label and value need, the cards stretch to fill the line, and a card that does not
    fit moves to the next line.

    Returns:
        The container; call ``.metric(...)`` on it once per card, in order.
    """
    return st.container(horizontal=True, gap="small")


def download_button(label: str, data, *, container=None, **kwargs):
    """``st.download_button`` for every download of the app.

    A ``data`` callable (the file built only when clicked) runs on a worker
    thread outside the script run, where the session's language and currency
    cannot be read: it is wrapped with :func:`ui.state.deferred`, which brings
    them along.  The callable must take everything else from values computed
    in the run.

    Args:
        label: the button's text.
        data: the file's bytes/text, or a callable returning them.
        container: where to draw it (a column; default: the current place).
        **kwargs: as for ``st.download_button``.
    """
    if callable(data):
        data = state.deferred(data)
    return (container or st).download_button(label, data=data, **kwargs)


def load_or_stop():
    """Dataset, features and scores of the working definition; on a user error,
    show it with a way forward and stop the page."""
    try:
        with st.spinner(state.t("common.loading")):
            ds = state.dataset()
            feats = state.features()
            res = state.scores()
        return ds, feats, res
    except LoyaltyError as exc:
        state.show_error(exc)
        st.page_link("pages/data.py", label=state.t("common.go_data"), icon=":material/upload_file:")
        st.stop()


NUMBER_FORMATS = {"yen": "yen", "int": "localized", "float": "%.1f", "float1": "%.1f", "float2": "%.2f",
                  "float3": "%.3f", "score": "%.1f", "nps": "%+.1f"}


def typed_view(frame: pd.DataFrame, kinds: dict[str, str], headers: dict[str, str],
               helps: dict[str, str | None] | None = None) -> tuple[pd.DataFrame, dict]:
    """A frame ready for st.dataframe with Japanese formats, and its column configs.

    Args:
        frame: the data (not changed).
        kinds: column -> kind: text, rtext (text aligned right), int, yen, float
            (one decimal), float1/float2/float3, score, nps (signed), pct (a fraction
            shown ×100 with one decimal) or date (YYYY/MM/DD).
        headers: column -> header shown.
        helps: column -> help text on the header (optional).

    Returns:
        ``(view, column_config)``.
    """
    view = frame.copy()
    cfg = {}
    for col in view.columns:
        kind = kinds.get(col, "text")
        opts = {"help": (helps or {}).get(col)}
        label = headers.get(col, col)
        if kind == "pct":
            view[col] = view[col].astype(float) * 100.0
            cfg[col] = st.column_config.NumberColumn(label, format="%.1f%%", **opts)
        elif kind == "date":
            cfg[col] = st.column_config.DateColumn(label, format="YYYY/MM/DD", **opts)
        elif kind == "yen" and currency() != "JPY":
            # Streamlit has a preset for yen; other symbols come before a grouped whole number
            cfg[col] = st.column_config.NumberColumn(label, format=f"{currency_symbol()}%,.0f", **opts)
        elif kind in NUMBER_FORMATS:
            cfg[col] = st.column_config.NumberColumn(label, format=NUMBER_FORMATS[kind], **opts)
        elif kind == "rtext":
            cfg[col] = st.column_config.TextColumn(label, alignment="right", **opts)
        else:
            cfg[col] = st.column_config.TextColumn(label, **opts)
    return view, cfg


def column_config(frame: pd.DataFrame) -> dict:
    """st.dataframe column configs for a frame whose columns are output keys:
    localized header, Japanese number/date formats, and a plain-language help
    on the headers of scores and figures (R/F/M, LTV, …)."""
    texts = catalogue(state.lang())
    cols = list(frame.columns)
    return typed_view(frame.iloc[:0], {c: kind_of(c) for c in cols}, {c: header(c, state.lang()) for c in cols},
                      {c: texts.get(f"polish.col_help.{c}") for c in cols})[1]


def _tier_styled(view: pd.DataFrame):
    """The frame with its tier-label cells in the tier colours (a pandas Styler),
    or the frame itself when it has no tier labels or is too long to style fast."""
    columns = [c for c in TIER_LABEL_COLUMNS if c in view.columns]
    if not columns or len(view) > STYLE_MAX_ROWS:
        return view
    keys = {label: key for key, label in tier_labels().items()}
    keys.update({key: key for key in TIER_KEYS})
    return view.style.format(na_rep="").map(lambda v: tier_cell_css(keys.get(v, "")), subset=columns)


def show_table(frame: pd.DataFrame, *, height: int | str = "auto", key: str | None = None) -> None:
    """Show a table of output-key columns with Japanese formats (percent columns
    are fractions 0–1 and shown ×100 with one decimal); tier labels are shown
    on their tier's colour."""
    cols = list(frame.columns)
    texts = catalogue(state.lang())
    view, cfg = typed_view(frame, {c: kind_of(c) for c in cols}, {c: header(c, state.lang()) for c in cols},
                           {c: texts.get(f"polish.col_help.{c}") for c in cols})
    if height == "auto" and len(view) <= FULL_HEIGHT_ROWS:
        height = ROW_PX * (len(view) + 1) + 3
    st.dataframe(_tier_styled(view), column_config=cfg, hide_index=True, width="stretch", height=height, key=key)


def group_table(summary: pd.DataFrame, labels: dict[str, str], group_col: str) -> pd.DataFrame:
    """A summary (index = group key) with the label as first column."""
    out = summary.reset_index()
    key = out.columns[0]
    out.insert(0, group_col, out[key].map(lambda k: labels.get(k, k)))
    return out.drop(columns=[key])
