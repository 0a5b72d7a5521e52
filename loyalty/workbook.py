"""The workbook a marketer takes away: one formatted .xlsx with everything.

Sheets, in order (Japanese names shown; English with ``lang="en"``):

=================  ===============================================================
概要                title lines (report name, definition, as-of date and window,
                   data source, customers and revenue, creation time) above the
                   tier table (customers, shares, revenue, average score)
層                 the tier table in full: score range, averages of recency,
                   frequency, monetary, R/F/M and the loyalty score
RFMセグメント       the same per named segment (left out when the data has no R, F and M)
ペルソナ            every tier's and segment's persona, one bullet per row, with
                   the facilitator's notes (:mod:`loyalty.personas`)
施策               the action plan: target, customers, measure, detail, channel,
                   timing, KPI, runs and totals from the measure log, and empty
                   owner/due columns (:mod:`loyalty.measures`)
施策ログ            when each measure ran and what came of it (only when the definition
                   has a measure log: :func:`loyalty.measures.measure_log`)
定義               the definition's key settings as a table
定義JSON            the definition file, one line per row (copy the column into a
                   text file to get a file the app and the command line load)
顧客_<層>           one customer sheet per tier, highest score first
=================  ===============================================================

Every sheet is written by :func:`loyalty.export.excel_bytes`: localized headers,
¥/percent/date number formats, frozen header row, autofilter, widths from the
content, text always stored as text (never a formula).  The customer sheets are
the bulk; 100,000 customers take about 1.5 s (``bench/bench_workbook.py``).
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from loyalty import fmt
from loyalty.columns import header, kind_of
from loyalty.definition import TIER_KEYS, Definition, factor_catalogue
from loyalty.export import Sheet, excel_bytes
from loyalty.features import Features
from loyalty.i18n import t
from loyalty.labels import segment_labels, tier_label, tier_ranges
from loyalty.measures import ACTION_PLAN_COLUMNS, action_plan, measure_log
from loyalty.personas import Persona, build_personas, persona_frame
from loyalty.scoring import weights_used
from loyalty.summary import customer_table, group_summary
from loyalty.targets import counts_by_target

__all__ = ["as_of_line", "definition_settings", "workbook_bytes", "workbook_sheets"]

_TIER_TABLE = ("customers", "customer_share", "revenue", "revenue_share", "avg_score")
_CUSTOMER_COLUMNS = ("customer_id", "customer_name", "tier_label", "rfm_segment_label", "loyalty_score",
                     "r_score", "f_score", "m_score", "recency_days", "frequency", "monetary", "ltv", "last_order")


def _localized(frame: pd.DataFrame, lang: str, extra: dict[str, tuple[str, str]] | None = None) -> tuple[
        pd.DataFrame, dict[str, str]]:
    """Rename output-key columns to their headers; kinds from loyalty.columns (or ``extra``)."""
    extra = extra or {}
    names = {c: extra[c][0] if c in extra else header(c, lang) for c in frame.columns}
    kinds = {names[c]: extra[c][1] if c in extra else kind_of(c) for c in frame.columns}
    return frame.rename(columns=names), kinds


def _group_table(summary: pd.DataFrame, labels: dict[str, str], label_col: str) -> pd.DataFrame:
    out = summary.reset_index()
    key = out.columns[0]
    out.insert(0, label_col, out[key].map(lambda k: labels.get(k, k)).astype("str"))
    return out.drop(columns=[key])


def _tier_labels(definition: Definition, lang: str) -> dict[str, str]:
    return {k: tier_label(k, definition, lang) for k in TIER_KEYS}


def definition_settings(definition: Definition, lang: str = "ja", *, as_of=None,
                        dropped: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
    """The definition's key settings as a two-column table (item, value; text).

    Args:
        definition: the definition.
        lang: language of the items.
        as_of: the as-of date in force (shown when the definition leaves it to the data).
        dropped: factors the scoring left out (not in the data): their weight is
            marked unused and the others show the weight they were rescaled to.

    Returns:
        A frame with columns ``item`` and ``value``.
    """
    d = definition
    rows: list[tuple[str, str]] = [
        (t("workbook.set.name", lang), d.name),
        (t("workbook.set.preset", lang), t(f"preset.{d.preset}", lang) if d.preset else "—"),
        (t("workbook.set.as_of", lang),
         fmt.format_date(d.as_of) if d.as_of else t("workbook.set.as_of_auto", lang, date=fmt.format_date(as_of))),
        (t("workbook.set.window", lang), t("workbook.days", lang, n=f"{d.window_days:,}")),
        (t("workbook.set.rfm_mode", lang), t(f"workbook.rfm_mode.{d.rfm.mode}", lang)),
    ]
    if d.rfm.mode == "threshold":
        rows += [
            (t("workbook.set.recency", lang), " / ".join(f"{x:g}" for x in d.rfm.recency)),
            (t("workbook.set.frequency", lang), " / ".join(f"{x:g}" for x in d.rfm.frequency)),
            (t("workbook.set.monetary", lang), " / ".join(fmt.format_yen(x) for x in d.rfm.monetary)),
        ]
    catalogue = factor_catalogue()
    used_total = sum(float(f.weight) for f in d.factors if f.key not in dropped)
    for f in d.factors:
        name = t(f"factor.{f.key}", lang) if f.key in catalogue else f.key
        value = f"{f.weight:g}"
        if f.key in dropped:
            value = t("workbook.weight_dropped", lang, weight=value)
        elif dropped and used_total > 0:
            value = t("workbook.weight_rescaled", lang, weight=value,
                      used=f"{float(f.weight) * 100 / used_total:.1f}")
        rows.append((t("workbook.set.weight", lang, factor=name), value))
    labels = _tier_labels(d, lang)
    ranges = tier_ranges(d, lang)
    for k in TIER_KEYS:
        rows.append((t("workbook.set.tier", lang, tier=labels[k]), t("workbook.score_range", lang, range=ranges[k])))
    def span(lo: int, hi: int) -> str:
        return f"{lo}" if lo == hi else f"{lo}–{hi}"

    for s in d.segments:
        rows.append((t("workbook.set.segment", lang, segment=s.label(lang)),
                     f"R {span(*s.r)} / F {span(*s.f)} / M {span(*s.m)}"))
    rows.append((t("workbook.set.measures", lang),
                 t("workbook.measures_catalogue", lang) if d.measures is None
                 else t("workbook.measures_edited", lang, n=len(d.measures))))
    rows.append((t("workbook.set.notes", lang), str(sum(1 for v in d.persona_notes.values() if v.strip()))))
    return pd.DataFrame(rows, columns=["item", "value"])


def as_of_line(features: Features, lang: str = "ja") -> str:
    """「基準日: 2024/06/30　集計期間: 直近 365 日（2023/07/02〜2024/06/30）」 for ``features``."""
    window = ""
    if features.as_of is not None:
        window = t("workbook.window", lang, days=f"{features.window_days:,}",
                   start=fmt.format_date(features.window_start), end=fmt.format_date(features.as_of))
    return t("workbook.line.as_of", lang, date=fmt.format_date(features.as_of), window=window)


def workbook_sheets(features: Features, scored: pd.DataFrame, definition: Definition, lang: str = "ja", *,
                    source: str = "", created: datetime | None = None, ltv: pd.Series | None = None,
                    personas: list[Persona] | None = None) -> list[Sheet]:
    """The workbook's sheets (see the module docstring).

    Args:
        features: the customer features (frame, as-of date, window).
        scored: the score frame (index customer_id) with tier, rfm_segment, scores.
        definition: the definition in force.
        lang: "ja" or "en".
        source: where the data came from (file names), for the summary.
        created: the creation time written on the summary (default: now).
        ltv: per-customer LTV, if available (a column of the customer sheets).
        personas: tier and segment personas already built (built here when None).

    Returns:
        The sheets in tab order.
    """
    f = features.frame
    created = created or datetime.now()
    tl = _tier_labels(definition, lang)
    sl = segment_labels(definition.segments, lang)
    sheets: list[Sheet] = []

    # -- summary and tiers
    tiers = group_summary(scored, f, "tier")
    revenue = float(pd.to_numeric(f["monetary"], errors="coerce").sum()) if "monetary" in f else np.nan
    as_of = features.as_of
    has_segments = "rfm_segment" in scored and scored["rfm_segment"].notna().any()
    title = [
        t("workbook.title", lang),
        t("workbook.line.definition", lang, name=definition.name),
        as_of_line(features, lang),
        t("workbook.line.source", lang, source=source or "—"),
        t("workbook.line.customers", lang, n=fmt.format_int(len(scored)), revenue=fmt.format_yen(revenue)),
        t("workbook.line.created", lang, time=created.strftime("%Y/%m/%d %H:%M")),
    ]
    if not has_segments:
        title.append(t("workbook.line.no_segments", lang))
    table = _group_table(tiers[list(_TIER_TABLE)], tl, "tier_label")
    frame, kinds = _localized(table, lang, {"tier_label": (t("common.tier", lang), "text")})
    sheets.append(Sheet(t("workbook.sheet.summary", lang), frame, kinds, title=title))

    full = _group_table(tiers, tl, "tier_label")
    full.insert(1, "score_range", [t("workbook.score_range", lang, range=r) for r in
                                   (tier_ranges(definition, lang)[k] for k in TIER_KEYS)])
    frame, kinds = _localized(full, lang, {"tier_label": (t("common.tier", lang), "text"),
                                           "score_range": (t("workbook.col.score_range", lang), "text")})
    sheets.append(Sheet(t("workbook.sheet.tiers", lang), frame, kinds,
                        title=[t("workbook.sheet_title.tiers", lang)]))

    # -- named segments
    if has_segments:
        seg = _group_table(group_summary(scored, f, "rfm_segment"), sl, "rfm_segment_label")
        frame, kinds = _localized(seg, lang, {"rfm_segment_label": (t("col.rfm_segment_label", lang), "text")})
        sheets.append(Sheet(t("workbook.sheet.segments", lang), frame, kinds,
                            title=[t("workbook.sheet_title.segments", lang)]))

    # -- personas
    if personas is None:
        personas = build_personas(f, scored, definition, lang) + build_personas(f, scored, definition, lang,
                                                                                by="segment")
    pf = persona_frame(personas, definition.persona_notes, lang)
    names = {c: t(f"workbook.col.persona.{c}", lang) for c in pf.columns}
    sheets.append(Sheet(t("workbook.sheet.personas", lang), pf.rename(columns=names),
                        {names[c]: ("int" if c == "customers" else "text") for c in pf.columns},
                        title=[t("workbook.sheet_title.personas", lang)]))

    # -- action plan
    plan = action_plan(definition.measures, definition, lang, counts_by_target(scored))
    names = {c: t(f"workbook.col.plan.{c}", lang) for c in ACTION_PLAN_COLUMNS}
    kinds = {"customers": "int", "runs": "int", "sent": "int", "responded": "int", "revenue": "yen"}
    sheets.append(Sheet(t("workbook.sheet.measures", lang), plan.rename(columns=names),
                        {names[c]: kinds.get(c, "text") for c in ACTION_PLAN_COLUMNS},
                        title=[t("workbook.sheet_title.measures", lang)]))
    if definition.measure_log:
        sheets.append(_measure_log_sheet(definition, lang))

    # -- the definition
    _, dropped = weights_used(definition, scored)
    settings = definition_settings(definition, lang, as_of=as_of, dropped=dropped)
    names = {"item": t("workbook.col.item", lang), "value": t("workbook.col.value", lang)}
    sheets.append(Sheet(t("workbook.sheet.definition", lang), settings.rename(columns=names),
                        {v: "text" for v in names.values()}, title=[t("workbook.sheet_title.definition", lang)]))
    json_lines = pd.DataFrame({t("workbook.col.json", lang): definition.to_json().rstrip("\n").split("\n")})
    sheets.append(Sheet(t("workbook.sheet.definition_json", lang), json_lines,
                        {t("workbook.col.json", lang): "text"}, title=[t("workbook.sheet_title.json", lang)]))

    # -- one customer sheet per tier
    customers = customer_table(f, scored, definition, lang, ltv=ltv, breakdown=False)
    if "customer_name" in f:
        customers["customer_name"] = f["customer_name"].reindex(customers["customer_id"]).astype("str").to_numpy()
    customers = customers.sort_values(["loyalty_score", "customer_id"], ascending=[False, True], kind="stable")
    columns = [c for c in _CUSTOMER_COLUMNS if c in customers.columns
               and (c != "rfm_segment_label" or has_segments)]
    extra = {"customer_name": (t("role.customer_name", lang), "text")}
    for k in TIER_KEYS:
        part = customers.loc[customers["tier"] == k, columns].reset_index(drop=True)
        frame, kinds = _localized(part, lang, extra)
        sheets.append(Sheet(t("workbook.sheet.customers", lang, tier=tl[k]), frame, kinds,
                            title=[t("workbook.sheet_title.customers", lang, tier=tl[k],
                                     n=fmt.format_int(len(part)))]))
    return sheets


_LOG_SHEET = {"date": "date", "target_label": "text", "measure": "text", "sent": "int", "responded": "int",
              "response_rate": "pct", "revenue": "yen", "note": "text", "uplift": "float", "low": "float",
              "high": "float"}


def _measure_log_sheet(definition: Definition, lang: str) -> Sheet:
    """The measure log as a sheet: when each measure ran, its responses, a linked effect."""
    log = measure_log(definition, lang)[list(_LOG_SHEET)]
    names = {c: t(f"workbook.col.log.{c}", lang) for c in _LOG_SHEET}
    return Sheet(t("workbook.sheet.measure_log", lang), log.rename(columns=names),
                 {names[c]: k for c, k in _LOG_SHEET.items()}, title=[t("workbook.sheet_title.measure_log", lang)])


def workbook_bytes(features: Features, scored: pd.DataFrame, definition: Definition, lang: str = "ja", *,
                   source: str = "", created: datetime | None = None, ltv: pd.Series | None = None,
                   personas: list[Persona] | None = None) -> bytes:
    """The workbook as .xlsx bytes (see :func:`workbook_sheets` for the arguments).

    Returns:
        The file's bytes.

    Raises:
        LoyaltyError: a tier has more customers than an Excel sheet holds (1,048,576 rows).
    """
    return excel_bytes(workbook_sheets(features, scored, definition, lang, source=source, created=created,
                                       ltv=ltv, personas=personas))
