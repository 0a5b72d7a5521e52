"""Summaries of a scored customer base: per tier, per named segment, R×F counts.

Revenue here is the monetary value (net amount in the window).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from loyalty.definition import TIER_KEYS, Definition
from loyalty.labels import segment_labels, tier_label

SUMMARY_COLUMNS = ("customers", "customer_share", "revenue", "revenue_share", "avg_recency_days",
                   "avg_frequency", "avg_monetary", "avg_r", "avg_f", "avg_m", "avg_score")


def group_summary(scored: pd.DataFrame, features: pd.DataFrame, by: str,
                  order: list[str] | None = None) -> pd.DataFrame:
    """Per group (tier or rfm_segment): size, shares and averages.

    Args:
        scored: the score frame (index customer_id) with ``by`` and the scores.
        features: the feature frame (same index) with recency_days, frequency, monetary.
        by: "tier" or "rfm_segment".
        order: group keys in display order (default: tiers top→low, or the
            categories' order); groups without customers are kept with zeros.

    Returns:
        A frame indexed by group key with ``SUMMARY_COLUMNS`` (shares are fractions 0–1).
    """
    if by in scored and isinstance(scored[by].dtype, pd.CategoricalDtype):
        codes = scored[by].cat.codes.to_numpy()
        keys = [str(c) for c in scored[by].cat.categories]
    elif by in scored:
        codes, uniques = pd.factorize(scored[by].astype("str"))
        keys = [str(k) for k in uniques]
    else:
        codes, keys = np.full(len(scored), -1), []
    if order is None:
        order = list(TIER_KEYS) if by == "tier" else [str(c) for c in scored[by].cat.categories]
    k = len(keys)
    grouped = codes >= 0
    every = bool(grouped.all())
    gcodes = codes.astype(np.intp) if every else codes[grouped].astype(np.intp)

    def column(frame: pd.DataFrame, name: str) -> np.ndarray:
        if name in frame:
            return frame[name].to_numpy(dtype=float, na_value=np.nan)
        return np.full(len(frame), np.nan)

    size = np.bincount(gcodes, minlength=k)

    def sums(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        v = values if every else values[grouped]
        ok = ~np.isnan(v)
        if ok.all():
            return np.bincount(gcodes, weights=v, minlength=k), size
        total = np.bincount(gcodes[ok], weights=v[ok], minlength=k)
        count = np.bincount(gcodes[ok], minlength=k)
        return total, count

    def mean(values: np.ndarray) -> np.ndarray:
        total, count = sums(values)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, total / np.maximum(count, 1), np.nan)

    monetary = column(features, "monetary")
    rev_total, rev_count = sums(monetary)
    present = size > 0  # groupby leaves out categories without customers
    out = pd.DataFrame({
        "customers": size,
        "revenue": np.where(rev_count > 0, rev_total, np.nan),
        "avg_recency_days": mean(column(features, "recency_days")),
        "avg_frequency": mean(column(features, "frequency")),
        "avg_monetary": np.where(rev_count > 0, rev_total / np.maximum(rev_count, 1), np.nan),
        "avg_r": mean(column(scored, "r_score")),
        "avg_f": mean(column(scored, "f_score")),
        "avg_m": mean(column(scored, "m_score")),
        "avg_score": mean(column(scored, "loyalty_score")),
    }, index=pd.Index(keys, dtype="str"))[present].reindex(order)
    out["customers"] = out["customers"].fillna(0).astype(np.int64)
    total_c = out["customers"].sum()
    total_r = np.nansum(monetary) if len(monetary) else 0.0
    out["customer_share"] = out["customers"] / total_c if total_c else np.nan
    out["revenue_share"] = out["revenue"] / total_r if total_r else np.nan
    out.index.name = by
    return out[list(SUMMARY_COLUMNS)]


def rf_matrix(scored: pd.DataFrame) -> pd.DataFrame:
    """Customer counts by R score (rows 5→1) and F score (columns 1→5), zeros included."""
    if "r_score" not in scored or "f_score" not in scored:
        return pd.DataFrame()
    counts = np.zeros((5, 5), dtype=np.int64)
    np.add.at(counts, (scored["r_score"].to_numpy(dtype=np.int64) - 1,
                       scored["f_score"].to_numpy(dtype=np.int64) - 1), 1)
    out = pd.DataFrame(counts[::-1], index=[5, 4, 3, 2, 1], columns=[1, 2, 3, 4, 5])
    out.index.name = "r_score"
    out.columns.name = "f_score"
    return out


def tier_moves(before: pd.Series, after: pd.Series) -> pd.DataFrame:
    """Migration matrix: tier under one definition (rows) × tier under another (columns)."""
    b = pd.Categorical(before.astype("str"), categories=list(TIER_KEYS))
    a = pd.Categorical(after.reindex(before.index).astype("str"), categories=list(TIER_KEYS))
    return pd.crosstab(b, a, dropna=False).reindex(index=list(TIER_KEYS), columns=list(TIER_KEYS), fill_value=0)


def customer_table(features: pd.DataFrame, scored: pd.DataFrame, definition: Definition,
                   lang: str = "ja", *, ltv: pd.Series | None = None, breakdown: bool = True) -> pd.DataFrame:
    """One row per customer with the command line's columns (DESIGN §5).

    Columns: customer_id, recency_days, frequency, monetary, r_score, f_score,
    m_score, rfm_total, loyalty_score, tier, rfm_segment, [ltv], tier_label,
    rfm_segment_label, last_order, [points_<factor> … and score_<factor> …].

    Args:
        features: the feature frame.
        scored: the score frame (same index).
        definition: the definition (for labels).
        lang: language of the label columns.
        ltv: per-customer LTV, if available.
        breakdown: include the per-factor points and scores.

    Returns:
        The table (customer_id as a column, sorted by id).
    """
    f, s = features, scored
    out = pd.DataFrame(index=f.index)
    for col in ("recency_days", "frequency", "monetary"):
        out[col] = f[col] if col in f else np.nan
    for col in ("recency_days", "frequency"):
        values = out[col].to_numpy(dtype=float, na_value=np.nan)
        if np.all(np.isnan(values) | (values == np.round(values))):
            out[col] = pd.array(np.round(values), dtype="Float64").astype("Int64")
    for col in ("r_score", "f_score", "m_score", "rfm_total"):
        out[col] = s[col] if col in s else pd.NA
    out["loyalty_score"] = s["loyalty_score"].round(2)
    out["tier"] = _labels_of(s["tier"], None, None)
    out["rfm_segment"] = _labels_of(s["rfm_segment"], None, "")
    if ltv is not None:
        out["ltv"] = ltv.round(0)
    tl = {k: tier_label(k, definition, lang) for k in TIER_KEYS}
    sl = segment_labels(definition.segments, lang)
    out["tier_label"] = _labels_of(s["tier"], tl, None)
    out["rfm_segment_label"] = _labels_of(s["rfm_segment"], sl, "")
    if "last_order" in f:
        out["last_order"] = f["last_order"]
    if breakdown:
        for col in s.columns:
            if col.startswith("points_") or col.startswith("score_"):
                out[col] = s[col].round(2)
    return out.reset_index()


def _labels_of(col: pd.Series, labels: dict[str, str] | None, missing: str | None) -> pd.Series:
    """A text column from a (categorical) key column: the key itself, or ``labels[key]``
    ("" for a key without a label); ``missing`` where the key is missing.

    Each distinct key is looked up once and the text is taken per row by Arrow,
    so a million customers cost no Python loop.
    """
    import pyarrow as pa

    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy()
        keys = [str(k) for k in col.cat.categories]
    else:
        codes, uniques = pd.factorize(col)
        keys = [str(k) for k in uniques]
    texts = keys if labels is None else [labels.get(k, "") for k in keys]
    table = pa.array(texts + [missing], type=pa.large_string())
    idx = np.where(codes < 0, len(texts), codes).astype(np.int64)
    return pd.Series(pd.array(table.take(pa.array(idx)), dtype="str"), index=col.index)
