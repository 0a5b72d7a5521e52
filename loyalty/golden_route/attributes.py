"""First-purchase figures turned into categorical attribute values with their
labels: money and engagement bands cut at cohort quantiles, count bands, the
second-order bands (see :mod:`loyalty.golden_route`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from loyalty import fmt
from loyalty.golden_route.settings import (ATTRIBUTES, ENGAGEMENT_COLUMNS, ENGAGEMENT_QUANTILES, ITEM_EDGES,
                                           MONEY_QUANTILES, ORDER_EDGES, PROFILE_COLUMNS, SECOND_ORDER_EDGES,
                                           GoldenRouteSettings)
from loyalty.i18n import t


def _nice(x: float) -> float:
    """Round to two significant digits (4,387 → 4,400; 0.537 → 0.54)."""
    if not np.isfinite(x) or x == 0:
        return 0.0
    mag = 10.0 ** (np.floor(np.log10(abs(x))) - 1)
    return float(np.floor(abs(x) / mag + 0.5) * mag * np.sign(x))


def _edges(values: pd.Series, quantiles, *, nice: bool) -> list[float]:
    v = values.dropna().to_numpy(dtype=float)
    if not len(v):
        return []
    qs = np.quantile(v, quantiles)
    if nice:
        qs = [_nice(q) for q in qs]
    lo = float(np.min(v))
    return sorted({float(q) for q in qs if q > lo})


def _band(values: pd.Series, edges, prefix: str) -> pd.Series:
    """Codes ``<prefix>0`` … by edges (band i: edges[i-1] ≤ v < edges[i]); NaN stays NaN."""
    v = values.to_numpy(dtype=float)
    idx = np.searchsorted(np.asarray(edges, dtype=float), v, side="right")
    codes = pd.Series([f"{prefix}{i}" for i in range(len(edges) + 1)], dtype="str")
    out = pd.Series(codes.to_numpy()[idx], index=values.index, dtype="str")
    return out.where(~np.isnan(v))


def _count_labels(edges, unit_key: str, lang: str) -> dict[str, str]:
    """Labels of integer bands: "1点", "3〜4点", "50点以上"."""
    bounds = [1, *edges]
    out = {}
    for i, lo in enumerate(bounds):
        hi = bounds[i + 1] - 1 if i + 1 < len(bounds) else None
        if hi is None:
            out[f"n{i}"] = t(f"{unit_key}_ge", lang, n=fmt.format_int(lo))
        elif hi == lo:
            out[f"n{i}"] = t(unit_key, lang, n=int(lo))  # a count: English picks "1 item" / "2 items"
        else:
            out[f"n{i}"] = t(f"{unit_key}_range", lang, lo=fmt.format_int(lo), hi=fmt.format_int(hi))
    return out


def _range_labels(edges, prefix: str, lang: str, show) -> dict[str, str]:
    """Labels of bands cut at ``edges``: "¥3,000未満", "¥3,000〜¥5,000未満", "¥5,000以上"."""
    out = {}
    n = len(edges)
    for i in range(n + 1):
        if n == 0:
            out[f"{prefix}{i}"] = t("golden.band.all", lang)
        elif i == 0:
            out[f"{prefix}{i}"] = t("golden.band.lt", lang, hi=show(edges[0]))
        elif i == n:
            out[f"{prefix}{i}"] = t("golden.band.ge", lang, lo=show(edges[-1]))
        else:
            out[f"{prefix}{i}"] = t("golden.band.range", lang, lo=show(edges[i - 1]), hi=show(edges[i]))
    return out


def _number(x: float) -> str:
    return fmt.format_int(x) if float(x).is_integer() else fmt.format_score(x)


def attribute_values(fp: pd.DataFrame, customers: pd.DataFrame | None, cohort: pd.Series,
                     settings: GoldenRouteSettings, lang: str = "ja"
                     ) -> tuple[pd.DataFrame, dict[tuple[str, str], str], dict[tuple[str, str], int]]:
    """Turn first-purchase figures into categorical attribute values.

    Money and engagement bands are cut at quantiles of the cohort (money rounded to
    two significant digits) so that they mean the same for new customers.  A value
    is NaN when unknown: not in the data, or not observable yet (``horizon`` days
    have not passed since the first order; for the second order see the module doc).

    Args:
        fp: :func:`first_purchases`.
        customers: the feature frame (for customer-table columns: acquisition_channel,
            signup_date, age_band …), indexed by customer_id; may be None.
        cohort: boolean Series (index as ``fp``): customers with enough history.
        settings: the settings.
        lang: language of the value labels.

    Returns:
        (values, labels, ranks): values = one str column per available attribute
        (codes, NaN when unknown), in :data:`ATTRIBUTES` order; labels[(attribute,
        code)] = display text; ranks[(attribute, code)] = natural order of the value.
    """
    v = _Values(lang)
    ref = fp[cohort.reindex(fp.index, fill_value=False).to_numpy(dtype=bool)]
    if not len(ref):
        ref = fp
    c = customers.reindex(fp.index) if customers is not None else pd.DataFrame(index=fp.index)
    _first_order_values(v, fp, ref)
    _acquisition_values(v, fp, c)
    _second_order_values(v, fp, settings)
    _first_weeks_values(v, fp)
    for col in PROFILE_COLUMNS:
        if col in c:
            v.text(col, c[col])
    for col in ENGAGEMENT_COLUMNS:
        if col in c and c[col].notna().any():
            s = pd.to_numeric(c[col], errors="coerce").astype(float)
            e = _edges(s[ref.index], ENGAGEMENT_QUANTILES, nice=False)
            if e:
                v.banded(col, s, _range_labels(e, "e", lang, _number), e, "e")
    ordered = {k: v.values[k] for k in (a.key for a in ATTRIBUTES) if k in v.values}
    # a band attribute whose values are all unknown carries nothing
    ordered = {k: s for k, s in ordered.items() if s.notna().any()}
    return pd.DataFrame(ordered, index=fp.index), v.labels, v.ranks


@dataclass
class _Values:
    """Attribute values being collected, with their labels and natural order."""

    lang: str
    values: dict[str, pd.Series] = field(default_factory=dict)
    labels: dict[tuple[str, str], str] = field(default_factory=dict)
    ranks: dict[tuple[str, str], int] = field(default_factory=dict)

    def text(self, key: str, s: pd.Series, *, none_label: str | None = None) -> None:
        """A text attribute: its values are its codes (blank: unknown, or ``none_label``)."""
        s = s.astype("str")
        s = s.where(s.notna() & (s.str.len() > 0)) if none_label is None else s.fillna("")
        if s.notna().any():
            self.values[key] = s
            for code in s.dropna().unique():
                self.labels[(key, code)] = none_label if (none_label is not None and code == "") else code

    def banded(self, key: str, s: pd.Series, codes_labels: dict[str, str], edges, prefix: str) -> None:
        """A numeric attribute cut into bands at ``edges``."""
        self.values[key] = _band(s, edges, prefix)
        self.coded(key, codes_labels)

    def coded(self, key: str, codes_labels: dict[str, str]) -> None:
        """Labels and ranks of an attribute's codes, in their natural order."""
        for i, code in enumerate(codes_labels):
            self.labels[(key, code)] = codes_labels[code]
            self.ranks[(key, code)] = i


def _first_order_values(v: _Values, fp: pd.DataFrame, ref: pd.DataFrame) -> None:
    """First product/category/channel, items, kinds, value (and 30/90-day spend bands), price, coupon."""
    lang = v.lang
    for role in ("product", "category", "channel"):
        if f"first_{role}" in fp:
            v.text(f"first_{role}", fp[f"first_{role}"])
    v.banded("first_items", fp["first_items"], _count_labels(ITEM_EDGES, "golden.band.items", lang),
             ITEM_EDGES, "n")
    if "first_lines" in fp:
        v.banded("first_lines", fp["first_lines"], _count_labels(ITEM_EDGES, "golden.band.kinds", lang),
                 ITEM_EDGES, "n")
    for col in ("first_value", "spend_30", "spend_90"):
        e = _edges(ref[col], MONEY_QUANTILES, nice=True)
        v.banded(col, fp[col], _range_labels(e, "m", lang, fmt.format_yen), e, "m")
    if "first_discounted" in fp:
        d = fp["first_discounted"]
        v.values["first_price"] = pd.Series(np.where(d > 0, "discounted", "full"), index=fp.index,
                                            dtype="str").where(d.notna())
        v.coded("first_price", {code: t(f"golden.value.{code}", lang) for code in ("full", "discounted")})
    if "first_coupon" in fp:
        v.text("first_coupon", fp["first_coupon"], none_label=t("golden.value.no_coupon", lang))
        v.ranks[("first_coupon", "")] = -1


def _acquisition_values(v: _Values, fp: pd.DataFrame, c: pd.DataFrame) -> None:
    """Acquisition channel and sign-up timing (from the customer table)."""
    if "acquisition_channel" in c:
        v.text("acquisition_channel", c["acquisition_channel"])
    if "signup_date" in c and c["signup_date"].notna().any():
        lead = (fp["first_order"] - pd.to_datetime(c["signup_date"]).dt.normalize()).dt.days.astype(float)
        code = np.select([lead < 0, lead == 0, lead <= 30], ["after", "same", "d30"], "older")
        v.values["signup_lead"] = pd.Series(code, index=fp.index, dtype="str").where(lead.notna())
        v.coded("signup_lead", {k: t(f"golden.value.signup_{k}", v.lang) for k in ("same", "d30", "older", "after")})


def _second_order_values(v: _Values, fp: pd.DataFrame, settings: GoldenRouteSettings) -> None:
    """Days to the second purchase, censored at H; known once it happened or H days passed."""
    cap = settings.second_order_cap
    edges = [e for e in SECOND_ORDER_EDGES if e <= cap]
    elapsed = fp["days_since_first"].to_numpy()
    d2 = fp["second_order_days"].to_numpy(dtype=float)
    band = np.searchsorted(np.asarray(edges, dtype=float), d2, side="left")  # d ≤ 14 → 0, 15–30 → 1 …
    code = np.where(np.isnan(d2) | (d2 > cap), "none", np.char.add("d", band.astype(str)))
    known = (~np.isnan(d2) & (d2 <= elapsed)) | (elapsed >= cap)
    v.values["second_order"] = pd.Series(code, index=fp.index, dtype="str").where(known)
    lows = [0, *[e + 1 for e in edges[:-1]]]
    names = {f"d{i}": (t("golden.band.days_le", v.lang, hi=hi) if i == 0 else
                       t("golden.band.days_range", v.lang, lo=lo, hi=hi))
             for i, (lo, hi) in enumerate(zip(lows, edges))}
    names["none"] = t("golden.band.days_none", v.lang, days=cap)
    v.coded("second_order", names)


def _first_weeks_values(v: _Values, fp: pd.DataFrame) -> None:
    """Orders and spend in the first 30/90 days, known once those days have passed."""
    elapsed = fp["days_since_first"].to_numpy()
    order_labels = _count_labels(ORDER_EDGES, "golden.band.orders", v.lang)
    for n in (30, 90):
        ok = elapsed >= n
        v.banded(f"orders_{n}", fp[f"orders_{n}"].astype(float).where(ok), order_labels, ORDER_EDGES, "n")
        v.values[f"spend_{n}"] = v.values.pop(f"spend_{n}").where(ok)
