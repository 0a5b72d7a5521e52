"""Personas (ペルソナ): a portrait of each tier and named segment, computed from the data.

A persona is the concrete bullet list the seeds ask for (例1 BtoB SaaS, 例2 BtoC
cosmetics), with every figure set against the whole customer base::

    顧客数 228人（全体の 10.9%）
    最も多い年代 30代（48.2%、全体 27.1%）
    年間購入回数の中央値 12回（全体 2回）
    NPS +71（全体 +2、回答 131件）

Only what the data has is described: an attribute column that is absent, or empty
for the group, gives no bullet (nothing is guessed).  The facts come from a table
(:data:`FACTS`), in this order:

================  ==========================================================
size              customers in the group, and their share of all customers
revenue_share     the group's share of revenue (monetary), against its share of customers
profile           most common age band, gender, region, industry, company size,
                  acquisition channel: the value, its share in the group, and
                  the share of that same value among all customers
purchase          medians of orders per year, days since the last order, average
                  order value (the customer's own), annual contract value, monthly
                  fee, tenure (years); mean revenue per customer (monetary);
                  mean share of orders with a discount or coupon
engagement        review rate (Σ reviews ÷ Σ orders), mean e-mail open and click
                  rates, median logins, share who attended an event, share who
                  reacted on social media, mean inquiries, median departments and
                  meetings (BtoB), share with a referral/case study, mean
                  relationship rating (1–5)
voice             NPS (:func:`loyalty.nps.nps`: % promoters − % detractors) with the
                  number of answers; mean satisfaction (1–5)
================  ==========================================================

Medians are used for per-customer figures (one heavy buyer does not move them),
means for rates, shares and 1–5 ratings.  E-mail rates are percent points (0–100)
as in the factor catalogue; a column whose values are all between 0 and 1 is read
as fractions.  Ties for the most common value go to the value that sorts first.

Everything is computed with group-bys over the columns (no loop per customer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from loyalty import fmt
from loyalty.definition import TIER_KEYS, Definition
from loyalty.i18n import t
from loyalty.labels import segment_labels, tier_label
from loyalty.measures import target_of
from loyalty.nps import nps as compute_nps
from loyalty.segments import catch_all_segment

__all__ = ["FACTS", "FactSpec", "Persona", "PersonaFact", "build_personas", "comparison_table", "note_for",
           "persona_frame", "with_note"]


@dataclass(frozen=True)
class FactSpec:
    """How one persona fact is computed and shown.

    Attributes:
        key: the fact's key; its label is the catalogue entry ``persona.fact.<key>``.
        column: the feature column it reads (None for the group size).
        stat: size, revenue_share, mode, median, mean, pct_mean, rate,
            share_positive, share_yes or nps.
        unit: how values are written: count, pct, orders, times, items, days, years,
            yen, number, score5, nps or category.
        section: size, profile, purchase, engagement or voice.
        needs: other columns that must be present (e.g. orders for a review rate).
        unless: the fact is skipped when this column is present (a fallback fact).
    """

    key: str
    column: str | None
    stat: str
    unit: str
    section: str
    needs: tuple[str, ...] = ()
    unless: str | None = None


#: The facts of a persona, in the order they are written.
FACTS: tuple[FactSpec, ...] = (
    FactSpec("size", None, "size", "count", "size"),
    FactSpec("revenue_share", "monetary", "revenue_share", "pct", "size"),
    FactSpec("age_band", "age_band", "mode", "category", "profile"),
    FactSpec("gender", "gender", "mode", "category", "profile"),
    FactSpec("region", "region", "mode", "category", "profile"),
    FactSpec("industry", "industry", "mode", "category", "profile"),
    FactSpec("company_size", "company_size", "mode", "category", "profile"),
    FactSpec("acquisition_channel", "acquisition_channel", "mode", "category", "profile"),
    FactSpec("orders_per_year", "orders_per_year", "median", "orders", "purchase"),
    FactSpec("recency_days", "recency_days", "median", "days", "purchase"),
    FactSpec("aov", "aov", "median", "yen", "purchase"),
    FactSpec("revenue_per_customer", "monetary", "mean", "yen", "purchase"),
    FactSpec("annual_contract_value", "annual_contract_value", "median", "yen", "purchase"),
    FactSpec("monthly_fee", "monthly_fee", "median", "yen", "purchase"),
    FactSpec("tenure", "tenure_days", "median", "years", "purchase"),
    FactSpec("discount_share", "discount_share", "mean", "pct", "purchase"),
    FactSpec("review_rate", "reviews", "rate", "pct", "engagement", needs=("orders_total",)),
    FactSpec("reviews", "reviews", "mean", "items", "engagement", unless="orders_total"),
    FactSpec("email_open_rate", "email_open_rate", "pct_mean", "pct", "engagement"),
    FactSpec("email_click_rate", "email_click_rate", "pct_mean", "pct", "engagement"),
    FactSpec("logins", "logins", "median", "times", "engagement"),
    FactSpec("events", "events", "share_positive", "pct", "engagement"),
    FactSpec("sns_reactions", "sns_reactions", "share_positive", "pct", "engagement"),
    FactSpec("inquiries", "inquiries", "mean", "items", "engagement"),
    FactSpec("departments", "departments", "median", "number", "engagement"),
    FactSpec("meetings", "meetings", "median", "times", "engagement"),
    FactSpec("referral", "referral", "share_yes", "pct", "engagement"),
    FactSpec("relationship_rating", "relationship_rating", "mean", "score5", "engagement"),
    FactSpec("nps", "nps", "nps", "nps", "voice"),
    FactSpec("satisfaction", "satisfaction", "mean", "score5", "voice"),
)

_YES = {"あり", "有", "有り", "はい", "済", "○", "〇", "◯", "yes", "y", "true", "1"}
_NO = {"なし", "無", "無し", "いいえ", "未", "×", "✕", "no", "n", "false", "0"}
_B2B_COLUMNS = ("industry", "company_size")


@dataclass(frozen=True)
class PersonaFact:
    """One bullet of a persona.

    Attributes:
        key: the fact key (see :data:`FACTS`).
        section: size, profile, purchase, engagement or voice.
        label: the localized label (「年間購入回数の中央値」).
        value: the group's figure: a number, or for a most-common value the value
            itself (「30代」).
        overall: the figure it is set against: the same statistic over all
            customers; for ``size`` the number of all customers; for
            ``revenue_share`` the group's share of customers; for a most-common
            value, that value's share among all customers.
        value_text: ``value`` formatted (「12回」「¥7,664」「+71」「30代」).
        overall_text: ``overall`` formatted.
        text: the whole bullet (「年間購入回数の中央値 12回（全体 2回）」).
        share: for ``size`` and most-common values, the share within the group's
            reference (0–1); None otherwise.
        respondents: for NPS, the number of answers in the group; None otherwise.
    """

    key: str
    section: str
    label: str
    value: float | str
    overall: float
    value_text: str
    overall_text: str
    text: str
    share: float | None = None
    respondents: int | None = None


@dataclass(frozen=True)
class Persona:
    """The portrait of one tier or named segment.

    Attributes:
        target: "tier:<key>" or "segment:<key>" (the key of notes and measures).
        group: "tier" or "segment".
        key: the tier or segment key.
        label: its name in the chosen language.
        customers: how many customers it has.
        facts: the bullets, in :data:`FACTS` order (empty when it has no customer).
        count_unit: "people" or "companies" (an account list): how customers are counted.
    """

    target: str
    group: str
    key: str
    label: str
    customers: int
    facts: tuple[PersonaFact, ...] = field(default_factory=tuple)
    count_unit: str = "people"

    @property
    def bullets(self) -> list[str]:
        """The bullet texts."""
        return [f.text for f in self.facts]

    def fact(self, key: str) -> PersonaFact | None:
        """The fact with ``key``, or None when the data did not allow it."""
        return next((f for f in self.facts if f.key == key), None)


def note_for(notes: dict[str, str] | None, target: str) -> str:
    """The facilitator's note for a persona.

    Notes are kept under the persona's target ("tier:top", "segment:at_risk");
    for a tier, a note filed under its bare key ("top") is read too.

    Args:
        notes: the definition's ``persona_notes``.
        target: the persona's target.

    Returns:
        The note, or "".
    """
    notes = notes or {}
    if target in notes:
        return notes[target]
    group, _, key = target.partition(":")
    return notes.get(key, "") if group == "tier" else ""


def with_note(notes: dict[str, str] | None, target: str, text: str) -> dict[str, str]:
    """A copy of ``notes`` with the note of ``target`` set (removed when ``text`` is blank).

    A tier's note under its bare key ("top") is replaced by the target form.

    Args:
        notes: the definition's ``persona_notes``.
        target: the persona's target.
        text: the new note.

    Returns:
        The new notes dict.
    """
    out = dict(notes or {})
    group, _, key = target.partition(":")
    if group == "tier":
        out.pop(key, None)
    if text.strip():
        out[target] = text
    else:
        out.pop(target, None)
    return out


# --------------------------------------------------------------------------- formatting


def _num1(x: float) -> str:
    """A number with at most one decimal, without a trailing ``.0`` (8 → "8", 8.25 → "8.3")."""
    text = fmt.format_score(x, 1)
    return text[:-2] if text.endswith(".0") else text


def _format(value: float, unit: str, lang: str, count_unit: str) -> str:
    if unit == "pct":
        return fmt.format_pct(value)
    if unit == "yen":
        return fmt.format_yen(value)
    if unit == "nps":
        return fmt.format_nps(value)
    if unit == "score5":
        return fmt.format_score(value)
    if unit == "number":
        return _num1(value)
    if unit == "count":
        return t(f"persona.unit.{count_unit}", lang, n=fmt.format_int(value))
    if unit == "days":
        return t("persona.unit.days", lang, n=fmt.format_int(value))
    if unit == "years":
        return t("persona.unit.years", lang, n=fmt.format_score(value / 365.0))
    if unit in ("orders", "times", "items"):
        return t(f"persona.unit.{unit}", lang, n=_num1(value))
    raise ValueError(f"unknown unit {unit!r}")


# --------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class _Groups:
    """Customers' group as integer codes (−1: no group) and the group keys they index."""

    codes: np.ndarray
    keys: list[str]

    @cached_property
    def sizes(self) -> np.ndarray:
        return np.bincount(self.codes[self.codes >= 0], minlength=len(self.keys))

    @cached_property
    def order(self) -> np.ndarray:
        """Customer positions sorted by group (those without a group dropped)."""
        inside = np.flatnonzero(self.codes >= 0)
        return inside[np.argsort(self.codes[inside], kind="stable")]

    def slices(self):
        """(group position, slice of :attr:`order`) for every group."""
        start = 0
        for k, n in enumerate(self.sizes):
            yield k, slice(start, start + int(n))
            start += int(n)

    def members(self, k: int, mask: np.ndarray) -> np.ndarray:
        return mask & (self.codes == k)


def _values(col: pd.Series) -> np.ndarray:
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _yes_no(col: pd.Series) -> np.ndarray | None:
    """あり/なし-style answers as 1.0/0.0 (NaN unanswered); None when the column is not yes/no."""
    text = col.astype("str").str.strip().str.lower()
    answered = (col.notna() & (text != "")).to_numpy(dtype=bool)
    yes, no = text.isin(_YES).to_numpy(dtype=bool), text.isin(_NO).to_numpy(dtype=bool)
    if not answered.any() or not (yes | no)[answered].all():
        return None
    return np.where(yes, 1.0, np.where(no, 0.0, np.nan))


def _grouped(values: np.ndarray, groups: _Groups, how: str) -> tuple[np.ndarray, float]:
    """Per-group mean or median (NaN where a group has no value) and the overall one."""
    valid = ~np.isnan(values)
    if not valid.any():
        return np.full(len(groups.keys), np.nan), np.nan
    overall = float(np.median(values[valid]) if how == "median" else values[valid].mean())
    inside = valid & (groups.codes >= 0)
    codes, v = groups.codes[inside], values[inside]
    counts = np.bincount(codes, minlength=len(groups.keys))
    if how == "mean":
        sums = np.bincount(codes, weights=v, minlength=len(groups.keys))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan), overall
    by_group = values[groups.order]
    per = np.full(len(groups.keys), np.nan)
    for k, part in groups.slices():  # one step per group, not per customer
        chunk = by_group[part]
        chunk = chunk[~np.isnan(chunk)]
        if chunk.size:
            per[k] = float(np.median(chunk))
    return per, overall


def _rate(numerator: np.ndarray, denominator: np.ndarray, groups: _Groups) -> tuple[np.ndarray, float]:
    """Σ numerator ÷ Σ denominator per group and overall, over customers having both."""
    valid = ~np.isnan(numerator) & ~np.isnan(denominator)
    total_d = float(denominator[valid].sum())
    overall = float(numerator[valid].sum()) / total_d if total_d > 0 else np.nan
    inside = valid & (groups.codes >= 0)
    n = np.bincount(groups.codes[inside], weights=numerator[inside], minlength=len(groups.keys))
    d = np.bincount(groups.codes[inside], weights=denominator[inside], minlength=len(groups.keys))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(d > 0, n / np.where(d > 0, d, 1), np.nan), overall


def _mode(col: pd.Series, groups: _Groups) -> tuple[list[tuple[str, float] | None], dict[str, float]]:
    """Most common value per group with its share, and every value's overall share.

    Returns:
        ``(top, overall)``: per group ``(value, share)`` or None without values;
        ``overall`` maps a value to its share among all customers with a value.
    """
    text = col.astype("str").str.strip()
    known = (col.notna() & (text != "")).to_numpy(dtype=bool)
    if not known.any():
        return [None] * len(groups.keys), {}
    codes, uniques = pd.factorize(text[known], sort=True)  # sorted: ties go to the value that sorts first
    uniques = [str(u) for u in uniques]
    overall_counts = np.bincount(codes, minlength=len(uniques))
    overall = {u: c / overall_counts.sum() for u, c in zip(uniques, overall_counts)}
    g = groups.codes[known]
    inside = g >= 0
    table = np.bincount(g[inside] * len(uniques) + codes[inside],
                        minlength=len(groups.keys) * len(uniques)).reshape(len(groups.keys), len(uniques))
    top: list[tuple[str, float] | None] = []
    for row in table:
        total = row.sum()
        top.append((uniques[int(row.argmax())], row.max() / total) if total else None)
    return top, overall


# --------------------------------------------------------------------------- personas


def _group_keys(scored: pd.DataFrame, definition: Definition, by: str) -> list[str]:
    if by == "all":
        return ["all"]
    if by == "tier":
        return list(TIER_KEYS)
    return [s.key for s in definition.segments] + [catch_all_segment()["key"]]


def _labels(definition: Definition, by: str, lang: str) -> dict[str, str]:
    if by == "all":
        return {"all": t("persona.all", lang)}
    if by == "tier":
        return {k: tier_label(k, definition, lang) for k in TIER_KEYS}
    return segment_labels(definition.segments, lang)


def _group_codes(features: pd.DataFrame, scored: pd.DataFrame, keys: list[str], by: str) -> np.ndarray | None:
    if by == "all":
        return np.zeros(len(features), dtype=np.int64)
    column = "tier" if by == "tier" else "rfm_segment"
    if column not in scored or scored[column].isna().all():
        return None
    values = scored[column].reindex(features.index)
    if not isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype("category")
    position = {k: i for i, k in enumerate(keys)}
    lookup = np.array([position.get(str(c), -1) for c in values.cat.categories] + [-1], dtype=np.int64)
    return lookup[values.cat.codes.to_numpy()]  # code −1 (missing) picks the trailing −1


def build_personas(features: pd.DataFrame, scored: pd.DataFrame, definition: Definition,
                   lang: str = "ja", *, by: str = "tier") -> list[Persona]:
    """Personas for the three tiers or for the named segments.

    Args:
        features: the customer features frame (index customer_id).
        scored: the score frame (same customers) with ``tier`` and ``rfm_segment``.
        definition: the definition (labels of tiers and segments).
        lang: "ja" or "en".
        by: "tier" (top, middle, low), "segment" (the definition's segments in
            order, then the catch-all), or "all" (one persona of every customer,
            target "all", the reference column of :func:`comparison_table`).

    Returns:
        One :class:`Persona` per group, in display order; groups without customers
        are included with ``customers == 0`` and no facts.  For ``by="segment"``
        an empty list when the scores have no named segments (no R, F and M).

    Raises:
        ValueError: ``by`` is not "tier", "segment" or "all".
    """
    if by not in ("tier", "segment", "all"):
        raise ValueError(f"by must be 'tier', 'segment' or 'all', not {by!r}")
    keys = _group_keys(scored, definition, by)
    codes = _group_codes(features, scored, keys, by)
    if codes is None:
        return []
    groups = _Groups(codes=codes, keys=keys)
    labels = _labels(definition, by, lang)
    count_unit = "companies" if any(c in features for c in _B2B_COLUMNS) else "people"

    facts: list[list[PersonaFact]] = [[] for _ in keys]
    for spec in FACTS:
        if spec.column is not None and spec.column not in features:
            continue
        if any(c not in features for c in spec.needs) or (spec.unless and spec.unless in features):
            continue
        for k, fact in _facts_for(spec, features, groups, lang, count_unit).items():
            facts[k].append(fact)

    sizes = groups.sizes
    return [Persona(target="all" if by == "all" else target_of(by, key), group=by, key=key,
                    label=labels.get(key, key), customers=int(sizes[k]), facts=tuple(facts[k]) if sizes[k] else (),
                    count_unit=count_unit)
            for k, key in enumerate(keys)]


def _text(spec: FactSpec, lang: str, **values) -> str:
    template = {"size": "persona.text.size", "revenue_share": "persona.text.revenue_share",
                "mode": "persona.text.mode", "nps": "persona.text.nps"}.get(spec.stat, "persona.text.vs")
    return t(template, lang, **values)


def _facts_for(spec: FactSpec, features: pd.DataFrame, groups: _Groups, lang: str,
               count_unit: str) -> dict[int, PersonaFact]:
    """The fact ``spec`` for every group (by position) that has data for it."""
    label = t(f"persona.fact.{spec.key}", lang, unit=t(f"persona.per.{count_unit}", lang))
    out: dict[int, PersonaFact] = {}
    sizes = groups.sizes
    total = int(sizes.sum())

    def put(k: int, value, overall: float, value_text: str, overall_text: str, **extra) -> None:
        text = _text(spec, lang, label=label, value=value_text, overall=overall_text,
                     share=extra.pop("share_text", ""), n=extra.pop("n_text", ""))
        out[k] = PersonaFact(key=spec.key, section=spec.section, label=label, value=value, overall=overall,
                             value_text=value_text, overall_text=overall_text, text=text, **extra)

    if spec.stat == "size":
        for k, n in enumerate(sizes):
            if n:
                share = n / total
                put(k, float(n), float(total), _format(n, "count", lang, count_unit),
                    _format(total, "count", lang, count_unit), share=float(share), share_text=fmt.format_pct(share))
        return out

    col = features[spec.column]
    if spec.stat == "revenue_share":
        money = _values(col)
        valid = ~np.isnan(money)
        all_revenue = float(money[valid].sum())
        if not valid.any() or all_revenue <= 0:
            return out
        inside = valid & (groups.codes >= 0)
        revenue = np.bincount(groups.codes[inside], weights=money[inside], minlength=len(groups.keys))
        has = np.bincount(groups.codes[inside], minlength=len(groups.keys)) > 0
        for k in np.flatnonzero(has):
            share_c = sizes[k] / total
            put(int(k), float(revenue[k] / all_revenue), float(share_c), fmt.format_pct(revenue[k] / all_revenue),
                fmt.format_pct(share_c), share_text=fmt.format_pct(share_c))
        return out

    if spec.stat == "mode":
        top, overall = _mode(col, groups)
        for k, found in enumerate(top):
            if found is None:
                continue
            value, share = found
            o = float(overall[value])
            put(k, value, o, value, fmt.format_pct(o), share=float(share), share_text=fmt.format_pct(share))
        return out

    if spec.stat == "nps":
        answers = _values(col)
        overall = compute_nps(answers)
        if not overall.respondents:
            return out
        answered = ~np.isnan(answers)
        for k in range(len(groups.keys)):  # one step per group, not per customer
            result = compute_nps(answers[groups.members(k, answered)])
            if result.respondents:
                put(k, float(result.nps), float(overall.nps), fmt.format_nps(result.nps), fmt.format_nps(overall.nps),
                    respondents=result.respondents, n_text=fmt.format_int(result.respondents))
        return out

    if spec.stat == "share_yes":
        values = _yes_no(col)
        if values is None:
            return out
        per, whole = _grouped(values, groups, "mean")
    elif spec.stat == "share_positive":
        values = _values(col)
        per, whole = _grouped(np.where(np.isnan(values), np.nan, (values > 0).astype(float)), groups, "mean")
    elif spec.stat == "rate":
        per, whole = _rate(_values(col), _values(features[spec.needs[0]]), groups)
    elif spec.stat == "pct_mean":
        values = _values(col)
        finite = values[~np.isnan(values)]
        scale = 1.0 if finite.size and ((finite >= 0) & (finite <= 1)).all() else 100.0
        per, whole = _grouped(values / scale, groups, "mean")
    else:  # median / mean
        per, whole = _grouped(_values(col), groups, spec.stat)
    if not np.isfinite(whole):
        return out
    overall_text = _format(whole, spec.unit, lang, count_unit)
    for k, value in enumerate(per):
        if np.isfinite(value):
            put(k, float(value), float(whole), _format(value, spec.unit, lang, count_unit), overall_text)
    return out


def comparison_table(personas: list[Persona], reference: Persona | None = None, lang: str = "ja") -> pd.DataFrame:
    """Personas side by side: one row per fact, one column per persona (text cells).

    Args:
        personas: the personas to compare (those without customers are left out).
        reference: an extra last column, usually ``build_personas(..., by="all")[0]``.
        lang: language of the share notation.

    Returns:
        A frame indexed by fact label (in :data:`FACTS` order), columns named by
        persona label; a most-common value is written with its share
        (「30代（39.5%）」), the size with its share of all customers; a fact a
        persona's data does not have is "".
    """
    shown = [p for p in personas if p.customers] + ([reference] if reference is not None else [])
    labels = {}
    columns = {}
    for p in shown:
        cells = {}
        for f in p.facts:
            labels.setdefault(f.key, f.label)
            if f.share is not None and (f.key == "size" or isinstance(f.value, str)):
                cells[f.key] = t("persona.with_share", lang, value=f.value_text, share=fmt.format_pct(f.share))
            else:
                cells[f.key] = f.value_text
        columns[p.label] = cells
    keys = [spec.key for spec in FACTS if spec.key in labels]
    frame = pd.DataFrame({name: [cells.get(k, "") for k in keys] for name, cells in columns.items()},
                         index=pd.Index([labels[k] for k in keys], name=""))
    return frame


def persona_frame(personas: list[Persona], notes: dict[str, str] | None = None, lang: str = "ja") -> pd.DataFrame:
    """All personas as one long table (the workbook's persona sheet).

    Args:
        personas: from :func:`build_personas` (tiers and/or segments).
        notes: the definition's ``persona_notes`` (target → text); a non-empty
            note adds a row with the item 「メモ」 after the persona's facts.
        lang: language of the group names and the note row.

    Returns:
        Columns ``group`` (層 / セグメント), ``persona``, ``customers``, ``item``,
        ``value``, ``overall``, ``text`` — values as formatted text; personas
        without customers are left out.
    """
    notes = notes or {}
    rows = []
    for p in personas:
        if not p.customers:
            continue
        group = t(f"persona.group.{p.group}", lang)
        for f in p.facts:
            value = f.value_text
            if f.share is not None and isinstance(f.value, str):
                # a most-common value with its share in this group, beside its share overall
                value = t("persona.with_share", lang, value=f.value_text, share=fmt.format_pct(f.share))
            rows.append({"group": group, "persona": p.label, "customers": p.customers, "item": f.label,
                         "value": value, "overall": f.overall_text, "text": f.text})
        note = note_for(notes, p.target).strip()
        if note:
            rows.append({"group": group, "persona": p.label, "customers": p.customers,
                         "item": t("persona.note", lang), "value": "", "overall": "", "text": note})
    columns = ["group", "persona", "customers", "item", "value", "overall", "text"]
    return pd.DataFrame(rows, columns=columns).astype({"customers": "int64"})
