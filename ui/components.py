"""Small building blocks the pages share: labels, formatted tables, guarded loading."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from loyalty.columns import header, kind_of
from loyalty.definition import TIER_KEYS
from loyalty.errors import LoyaltyError
from loyalty.scoring import tier_label
from loyalty.segments import segment_labels
from ui import state


def tier_labels() -> dict[str, str]:
    """tier key -> label in the UI language (the definition's own names win)."""
    d = state.definition()
    return {k: tier_label(k, d, state.lang()) for k in TIER_KEYS}


def seg_labels() -> dict[str, str]:
    """segment key -> label in the UI language."""
    return segment_labels(state.definition().segments, state.lang())


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


_FORMATS = {"yen": "yen", "int": "localized", "float": "%.1f", "score": "%.1f"}


def column_config(frame: pd.DataFrame) -> dict:
    """st.dataframe column configs for a frame whose columns are output keys:
    localized header and Japanese number/date formats."""
    cfg = {}
    for col in frame.columns:
        kind = kind_of(col)
        label = header(col, state.lang())
        if kind == "pct":
            cfg[col] = st.column_config.NumberColumn(label, format="%.1f%%")
        elif kind == "date":
            cfg[col] = st.column_config.DateColumn(label, format="YYYY/MM/DD")
        elif kind in _FORMATS:
            cfg[col] = st.column_config.NumberColumn(label, format=_FORMATS[kind])
        else:
            cfg[col] = st.column_config.TextColumn(label)
    return cfg


def show_table(frame: pd.DataFrame, *, height: int | str = "auto", key: str | None = None) -> None:
    """Show a table of output-key columns with Japanese formats (percent columns
    are fractions 0–1 and shown ×100 with one decimal)."""
    view = frame.copy()
    for col in view.columns:
        if kind_of(col) == "pct":
            view[col] = view[col] * 100.0
    st.dataframe(view, column_config=column_config(view), hide_index=True, width="stretch",
                 height=height, key=key)


def group_table(summary: pd.DataFrame, labels: dict[str, str], group_col: str) -> pd.DataFrame:
    """A summary (index = group key) with the label as first column."""
    out = summary.reset_index()
    key = out.columns[0]
    out.insert(0, group_col, out[key].map(lambda k: labels.get(k, k)))
    return out.drop(columns=[key])
