"""NPS: % promoters (9–10) − % detractors (0–6) among those who answered.

The seeds' example: 60 promoters, 20 passives, 20 detractors of 100 → +40.

Answers are read as numbers; blanks, non-numbers and values outside 0–10 are
"no answer" and left out of every share; a fractional answer counts as its
whole part (8.5 → 8, a passive).

NPS × RFM (:func:`nps_rfm_groups`)
----------------------------------
The seeds tell repeaters (they buy often, for price or convenience, and may
switch) from loyal customers (they also recommend the brand).  Crossing the
RFM F score with the NPS answer gives four groups among those who answered:

==========================  ============================  ==============================
group key                   frequent buyer (F ≥ high_f)    recommends (NPS 9–10)
==========================  ============================  ==============================
``loyal_advocate``          yes                           yes
``habitual_repeater``       yes                           no (0–8)
``latent_advocate``         no                            yes
``other``                   no                            no
``no_answer``               (any)                         did not answer
==========================  ============================  ==============================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: NPS answer categories, in display order.
CATEGORIES = ("promoter", "passive", "detractor")

#: Groups of :func:`nps_rfm_groups`, in display order.
NPS_RFM_GROUPS = ("loyal_advocate", "habitual_repeater", "latent_advocate", "other", "no_answer")

#: Default F score from which a customer counts as a frequent buyer.
HIGH_F = 4


@dataclass(frozen=True)
class NPSResult:
    """NPS and its parts.

    Attributes:
        respondents: answers counted (0–10; others ignored).
        promoters, passives, detractors: counts.
        nps: % promoters − % detractors (NaN with no respondent).
    """

    respondents: int
    promoters: int
    passives: int
    detractors: int
    nps: float

    def shares(self) -> tuple[float, float, float]:
        """(promoter %, passive %, detractor %)."""
        n = self.respondents or np.nan
        return (100 * self.promoters / n, 100 * self.passives / n, 100 * self.detractors / n)


def _answers(scores) -> np.ndarray:
    """Answers as floats floored to whole points; NaN for no answer."""
    s = pd.to_numeric(pd.Series(np.asarray(scores, dtype=object) if not isinstance(scores, pd.Series)
                                else scores), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    s = np.where((s >= 0) & (s <= 10), np.floor(s), np.nan)
    return s


def nps(scores) -> NPSResult:
    """Compute NPS from 0–10 answers.

    Args:
        scores: answers; NaN and values outside 0–10 are not counted.

    Returns:
        :class:`NPSResult`.
    """
    s = _answers(scores)
    s = s[~np.isnan(s)]
    n = int(s.size)
    pro = int((s >= 9).sum())
    det = int((s <= 6).sum())
    pas = n - pro - det
    value = (100.0 * pro / n - 100.0 * det / n) if n else float("nan")
    return NPSResult(respondents=n, promoters=pro, passives=pas, detractors=det, nps=value)


def nps_category(scores) -> pd.Series:
    """Category of each answer: "promoter" (9–10), "passive" (7–8), "detractor" (0–6), or NA.

    Args:
        scores: answers (a Series keeps its index).

    Returns:
        A string Series (NA where there is no valid answer).
    """
    s = _answers(scores)
    cat = np.where(s >= 9, "promoter", np.where(s >= 7, "passive", "detractor"))
    index = scores.index if isinstance(scores, pd.Series) else None
    out = pd.Series(cat, index=index, dtype="str", name="nps_category")
    return out.where(~np.isnan(s))


def nps_distribution(scores) -> pd.DataFrame:
    """How many answered each point 0–10.

    Args:
        scores: answers.

    Returns:
        11 rows: score (0–10), respondents, share (of respondents, 0–1; NaN
        when nobody answered), category.
    """
    s = _answers(scores)
    s = s[~np.isnan(s)].astype(np.int64)
    counts = np.bincount(s, minlength=11)
    n = counts.sum()
    points = np.arange(11)
    return pd.DataFrame({
        "score": points,
        "respondents": counts.astype(np.int64),
        "share": counts / n if n else np.full(11, np.nan),
        "category": np.where(points >= 9, "promoter", np.where(points >= 7, "passive", "detractor")),
    })


def satisfaction_distribution(values, low: int = 1, high: int = 5) -> pd.DataFrame:
    """How many answered each point of a satisfaction scale (default 1–5).

    Args:
        values: answers; blanks and values outside [low, high] are left out,
            fractions count as their whole part.
        low, high: the scale.

    Returns:
        Rows score, respondents, share (0–1; NaN when nobody answered).
    """
    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    v = np.floor(v[(v >= low) & (v <= high)]).astype(np.int64) - low
    counts = np.bincount(v, minlength=high - low + 1)
    n = counts.sum()
    return pd.DataFrame({"score": np.arange(low, high + 1), "respondents": counts.astype(np.int64),
                         "share": counts / n if n else np.full(len(counts), np.nan)})


def nps_by_group(scores: pd.Series, groups: pd.Series, *, order=None,
                 satisfaction: pd.Series | None = None) -> pd.DataFrame:
    """NPS per group (tier, segment, …), plus the whole base as a last row.

    Args:
        scores: NPS answers per customer.
        groups: group key per customer (same index); customers without a group
            count only in the total row.
        order: group keys in display order (default: order of appearance);
            groups without customers are kept with zeros.
        satisfaction: satisfaction answers per customer (same index), optional.

    Returns:
        A frame indexed by group key (plus "all") with customers, respondents,
        response_rate, promoters, passives, detractors, promoter_share,
        passive_share, detractor_share (fractions of respondents), nps (−100…100;
        NaN without respondents) and, with ``satisfaction``, avg_satisfaction
        and satisfaction_respondents.
    """
    s = _answers(scores)
    g = pd.Series(groups).reindex(scores.index) if isinstance(groups, pd.Series) else pd.Series(groups)
    if not isinstance(g.dtype, pd.CategoricalDtype):
        g = g.astype("str")
    df = pd.DataFrame({"g": g.to_numpy(), "answered": ~np.isnan(s), "pro": s >= 9,
                       "pas": (s >= 7) & (s < 9), "det": s <= 6})
    if satisfaction is not None:
        sat = pd.to_numeric(pd.Series(satisfaction).reindex(scores.index), errors="coerce")
        df["sat"] = sat.to_numpy(dtype=float, na_value=np.nan)
    if order is None:
        order = [k for k in pd.unique(df["g"]) if not pd.isna(k)]
    grouped = df.groupby("g", sort=False, observed=True)
    agg = {"customers": grouped.size(), "respondents": grouped["answered"].sum(),
           "promoters": grouped["pro"].sum(), "passives": grouped["pas"].sum(),
           "detractors": grouped["det"].sum()}
    if satisfaction is not None:
        agg["avg_satisfaction"] = grouped["sat"].mean()
        agg["satisfaction_respondents"] = grouped["sat"].count()
    out = pd.DataFrame(agg).reindex(list(order))
    total = {"customers": len(df), "respondents": df["answered"].sum(), "promoters": df["pro"].sum(),
             "passives": df["pas"].sum(), "detractors": df["det"].sum()}
    if satisfaction is not None:
        total["avg_satisfaction"] = df["sat"].mean()
        total["satisfaction_respondents"] = df["sat"].count()
    out.loc["all"] = pd.Series(total)
    count_cols = ["customers", "respondents", "promoters", "passives", "detractors"]
    if satisfaction is not None:
        count_cols.append("satisfaction_respondents")
    out[count_cols] = out[count_cols].fillna(0).astype(np.int64)
    n = out["respondents"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        resp = np.where(n > 0, n, np.nan)
        out["response_rate"] = np.where(out["customers"] > 0, n / out["customers"].clip(lower=1), np.nan)
        out["promoter_share"] = out["promoters"] / resp
        out["passive_share"] = out["passives"] / resp
        out["detractor_share"] = out["detractors"] / resp
    out["nps"] = 100.0 * (out["promoter_share"] - out["detractor_share"])
    out.index.name = "group"
    cols = ["customers", "respondents", "response_rate", "promoters", "passives", "detractors",
            "promoter_share", "passive_share", "detractor_share", "nps"]
    if satisfaction is not None:
        cols += ["avg_satisfaction", "satisfaction_respondents"]
    return out[cols]


def nps_rfm_matrix(f_score: pd.Series, scores: pd.Series) -> pd.DataFrame:
    """Customers by F score (rows 5→1) × NPS category (columns promoter, passive,
    detractor, no_answer), zeros included.

    Args:
        f_score: RFM F score 1–5 per customer (others are left out).
        scores: NPS answers per customer (same index).

    Returns:
        The count matrix (index name "f_score", columns name "nps_category").
    """
    f = pd.to_numeric(pd.Series(f_score), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    s = _answers(pd.Series(scores).reindex(f_score.index) if isinstance(f_score, pd.Series) else scores)
    col = np.where(np.isnan(s), 3, np.where(s >= 9, 0, np.where(s >= 7, 1, 2)))
    ok = np.isin(f, [1, 2, 3, 4, 5])
    row = 5 - f[ok].astype(np.int64)  # F5 first
    counts = np.bincount(row * 4 + col[ok], minlength=20).reshape(5, 4)
    out = pd.DataFrame(counts.astype(np.int64), index=pd.Index([5, 4, 3, 2, 1], name="f_score"),
                       columns=pd.Index([*CATEGORIES, "no_answer"], name="nps_category"))
    return out


def nps_rfm_groups(f_score: pd.Series, scores: pd.Series, *, high_f: int = HIGH_F) -> pd.Series:
    """Each customer's NPS × RFM group (see the module docstring).

    Args:
        f_score: RFM F score per customer.
        scores: NPS answers per customer (same index).
        high_f: F score from which a customer is a frequent buyer (default 4).

    Returns:
        A string Series of :data:`NPS_RFM_GROUPS` keys, indexed like ``f_score``
        (NA where the F score is missing).
    """
    f = pd.to_numeric(f_score, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    s = _answers(pd.Series(scores).reindex(f_score.index))
    frequent = f >= high_f
    promoter = s >= 9
    group = np.where(np.isnan(s), "no_answer",
                     np.where(frequent, np.where(promoter, "loyal_advocate", "habitual_repeater"),
                              np.where(promoter, "latent_advocate", "other")))
    out = pd.Series(group, index=f_score.index, dtype="str", name="nps_rfm_group")
    return out.where(~np.isnan(f))


def nps_rfm_summary(groups: pd.Series, features: pd.DataFrame, scores: pd.Series,
                    satisfaction: pd.Series | None = None) -> pd.DataFrame:
    """Size, revenue and averages per NPS × RFM group.

    Args:
        groups: :func:`nps_rfm_groups` output.
        features: customer features (same index) with frequency and monetary.
        scores: NPS answers per customer.
        satisfaction: satisfaction answers per customer, optional.

    Returns:
        A frame indexed by group key (:data:`NPS_RFM_GROUPS` order, zeros kept)
        with customers, customer_share, revenue, revenue_share (of all
        customers with a group), avg_frequency, avg_monetary, avg_nps and
        avg_satisfaction (NaN where unknown).
    """
    idx = groups.index
    df = pd.DataFrame({
        "g": groups.to_numpy(),
        "frequency": features["frequency"].reindex(idx).to_numpy(dtype=float, na_value=np.nan)
        if "frequency" in features else np.nan,
        "monetary": features["monetary"].reindex(idx).to_numpy(dtype=float, na_value=np.nan)
        if "monetary" in features else np.nan,
        "nps": _answers(pd.Series(scores).reindex(idx)),
        "sat": pd.to_numeric(pd.Series(satisfaction).reindex(idx), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan) if satisfaction is not None else np.nan,
    })
    df = df[df["g"].notna()]
    g = df.groupby("g", sort=False)
    out = pd.DataFrame({
        "customers": g.size(),
        "revenue": g["monetary"].sum(min_count=1),
        "avg_frequency": g["frequency"].mean(),
        "avg_monetary": g["monetary"].mean(),
        "avg_nps": g["nps"].mean(),
        "avg_satisfaction": g["sat"].mean(),
    }).reindex(list(NPS_RFM_GROUPS))
    out["customers"] = out["customers"].fillna(0).astype(np.int64)
    total_c = int(out["customers"].sum())
    total_r = float(df["monetary"].sum())
    out["customer_share"] = out["customers"] / total_c if total_c else np.nan
    out["revenue_share"] = out["revenue"] / total_r if total_r else np.nan
    out.index.name = "group"
    return out[["customers", "customer_share", "revenue", "revenue_share", "avg_frequency", "avg_monetary",
                "avg_nps", "avg_satisfaction"]]
