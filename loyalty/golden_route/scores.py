"""The route score of a customer (Σ log2(lift) of his known, shown patterns) and
how well it separates loyal customers from the rest (AUC), see
:mod:`loyalty.golden_route`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from loyalty.golden_route.settings import FALLBACK, GoldenRouteSettings


def auc(score, positive) -> float:
    """Area under the ROC curve: the chance that a random positive scores above a
    random negative (ties count half).  Mann–Whitney on average ranks.

    Args:
        score: scores (array-like).
        positive: booleans, same length.

    Returns:
        The AUC, or NaN when either class is empty.
    """
    s = pd.Series(np.asarray(score, dtype=float))
    pos = np.asarray(positive, dtype=bool)
    n1, n0 = int(pos.sum()), int((~pos).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = s.rank(method="average").to_numpy()
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def route_scores(values: pd.DataFrame, patterns: pd.DataFrame, who: pd.Series,
                 settings: GoldenRouteSettings, labels: dict[tuple[str, str], str] | None = None) -> pd.DataFrame:
    """Score customers by how well their early behaviour matches the loyal profile.

    route_score = Σ log2(lift) over :attr:`GoldenRouteSettings.score_attributes`
    whose value is known and whose pattern is shown (the first product falls back to
    the first category, see :data:`FALLBACK`).

    Args:
        values: :func:`attribute_values`.
        patterns: :attr:`PatternTable.shown`.
        who: boolean Series (index customer_id): the customers to score.
        settings: the settings.
        labels: value labels for ``matched`` (default: the codes).

    Returns:
        A frame indexed by customer_id with route_score, matched (the
        golden patterns the customer shows, labels joined by " / ", in the order of
        the score attributes), unknown (scored attributes whose value is not known
        yet — or not in the data — and for which no fallback stood in).
    """
    inside = who.reindex(values.index, fill_value=False).to_numpy(dtype=bool)
    v = values[inside]
    n = len(v)
    labels = labels or {}
    tables = {attr: g for attr, g in patterns.groupby("attribute", sort=False)}
    score = np.zeros(n)
    unknown = np.zeros(n, dtype=np.int64)
    matched = pd.Series("", index=v.index, dtype="str")

    def lookup(attr: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(lift, golden?, label) per customer for one attribute (NaN / False / "" when not shown)."""
        g = tables.get(attr)
        if attr not in v or g is None:
            return np.full(n, np.nan), np.zeros(n, dtype=bool), np.full(n, "", dtype=object)
        at = pd.Index(g["value"]).get_indexer(v[attr])  # -1: not shown (or unknown)
        ok = at >= 0
        pick = np.where(ok, at, 0)
        lift = np.where(ok, g["lift"].to_numpy(dtype=float)[pick], np.nan)
        gold = ok & (g["verdict"] == "golden").to_numpy()[pick]
        names = np.array([labels.get((attr, x), x) for x in g["value"]], dtype=object)  # per pattern
        return lift, gold, np.where(ok, names[pick], "")

    for attr in settings.score_attributes:
        if attr not in v:
            continue
        lift, gold, name = lookup(attr)
        missing_value = v[attr].isna().to_numpy()
        if attr in FALLBACK:
            flift, fgold, fname = lookup(FALLBACK[attr])
            use = np.isnan(lift) & ~np.isnan(flift)
            lift = np.where(use, flift, lift)
            gold = np.where(use, fgold, gold)
            name = np.where(use, fname, name)
            missing_value = missing_value & ~use
        unknown += missing_value
        score += np.nan_to_num(np.log2(lift), nan=0.0)
        if gold.any():
            piece = pd.Series(np.where(gold, name, ""), index=v.index, dtype="str")
            sep = np.where(gold & (matched != "").to_numpy(), " / ", "")
            matched = matched + pd.Series(sep, index=v.index, dtype="str") + piece
    return pd.DataFrame({"route_score": np.round(score, 6), "matched": matched, "unknown": unknown},
                        index=v.index)
