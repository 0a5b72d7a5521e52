"""Streamlit helpers of the 施策効果 (campaign effect) page: where the campaign table
comes from, the choices it allows, the comparison (through :mod:`loyalty.campaign`
and :mod:`loyalty.effect`), the tables, the uplift chart and the exports.

The comparison itself is pure; what it needs from the session (the transactions in
use, tiers and segments scored with the working definition as of the send date)
is read here.  Reading and scoring are cached by :mod:`ui.state`; the outcomes from
transactions and the comparison are cached here per table and choices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from loyalty import campaign as cp
from loyalty import effect as ef
from loyalty import export
from loyalty.definition import TIER_KEYS
from loyalty.segments import catch_all_segment
from loyalty.fmt import currency_symbol, format_int, format_pct, format_yen
from loyalty.readers import RawTable
from ui import components, state
from ui.charts import BAR_STEP
from ui.theme import ACCENT, TIER_COLORS

K_UPLOAD = "effect_upload"              # the campaign list uploaded on this page (state.Upload)
UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "xlsm", "xls", "ods", "gz", "parquet"]  # as the data page
SAMPLE_CAMPAIGN = "campaign_assignment.csv"
DAY_OPTIONS = [7, 14, 30, 60, 90]
MAX_BY_VALUES = 30                      # a column with more values is not offered as a breakdown
MAX_GROUPS = 20                         # a group column with more values is not a group column
NO_ID, FIXED_DATE, NONE = "__none__", "__fixed__", "__none__"
GROUP_COLORS = [ACCENT, TIER_COLORS["middle"], "#5D6D7E", TIER_COLORS["top"], "#4E9A6B"]


@dataclass(frozen=True)
class Source:
    """The table that says who got the measure.

    Attributes:
        name: the file name.
        key: what identifies it (content hash; widget keys carry it).
        raw: the table as read (text cells).
        id_column: the customer id column a customer table has (None: chosen on the page).
        is_sample: whether it is the built-in demo list.
        kind: ``"list"`` (an uploaded or sample list) or ``"customers"`` (a customer table).
    """

    name: str
    key: str
    raw: RawTable
    id_column: str | None
    is_sample: bool
    kind: str


@dataclass(frozen=True)
class Choices:
    """What the user picked: columns, control, outcome, window and breakdown.

    ``outcome`` is ``line:visit|conversion|spend`` (from the transactions) or
    ``col:<column>``; ``spend`` the same or None; ``by`` is ``none``, ``tier``,
    ``segment``, ``list:<column>`` or ``cust:<column>``.
    """

    id_column: str | None
    group: str
    control: str
    outcome: str
    spend: str | None
    send_column: str | None
    send_date: date | None
    days: int
    by: str


@dataclass
class Analysis:
    """The comparison as the page shows it."""

    effect: ef.Effect
    spend: ef.Effect | None
    labels: dict[str, str]
    notes: list[tuple[str, dict]]
    money: bool                         # spend comes from the transactions (an amount in the data's currency)


# --------------------------------------------------------------------------- sources


def sample_source() -> Source:
    """The demo list (sample_data/campaign_assignment.csv) for the sample data."""
    data = (state.ROOT / "sample_data" / SAMPLE_CAMPAIGN).read_bytes()
    up = state.make_upload(SAMPLE_CAMPAIGN, data)
    return Source(up.name, up.sha, state.raw_table(up), None, True, "list")


def uploaded_source() -> Source | None:
    """The list uploaded on this page, or None.

    Raises:
        LoyaltyError: the file cannot be read.
    """
    up = st.session_state.get(K_UPLOAD)
    if up is None:
        return None
    return Source(up.name, up.sha, state.raw_table(up), None, False, "list")


def customer_sources() -> list[Source]:
    """The customer tables in use (a group may be one of their columns).

    Raises:
        LoyaltyError: a file cannot be read.
    """
    out = []
    for up, info in zip(state.uploads(), state.tables()):
        if info.kind == "customers" and info.mapping.column("customer_id"):
            out.append(Source(up.name, up.sha, info.raw, info.mapping.column("customer_id"), state.using_sample(),
                              "customers"))
    return out


def has_transactions() -> bool:
    """Whether the data in use has transaction lines (outcomes can be counted from them)."""
    ds = state.dataset()
    return ds.transactions is not None and len(ds.transactions.frame) > 0


def group_values(src: Source, column: str) -> list[str]:
    """The distinct values of a group column, in natural order."""
    col = src.raw.frame[column].dropna().astype("str").str.strip()
    return ef.natural_order(col[col != ""].unique())


@st.cache_resource(show_spinner=False, max_entries=8)
def _numeric(key: str, skip: tuple, _frame: pd.DataFrame) -> dict[str, str]:
    return cp.numeric_columns(_frame, skip=skip)


def outcome_columns(src: Source, skip: tuple) -> dict[str, str]:
    """The table's columns that can be outcomes (cached): column -> "rate" or "mean"."""
    return _numeric(src.key, skip, src.raw.frame)


def by_columns(src: Source, skip) -> list[str]:
    """Columns of a table that make a sensible breakdown (2 to :data:`MAX_BY_VALUES` values)."""
    out = []
    for col in src.raw.frame.columns:
        if col in skip:
            continue
        n = src.raw.frame[col].nunique(dropna=True)
        if 2 <= n <= MAX_BY_VALUES:
            out.append(col)
    return out


# --------------------------------------------------------------------------- the comparison


@st.cache_resource(show_spinner=False, max_entries=16)
def _line_outcomes(key: str, days: int, _lines: pd.DataFrame, _camp: cp.Campaign) -> cp.LineOutcomes:
    return cp.outcomes_from_lines(_lines, _camp, days=days)


@st.cache_resource(show_spinner=False, max_entries=32)
def _compare(key: str, control: str, kind: str | None, name: str, _frame: pd.DataFrame,
             _by_order: list | None) -> ef.Effect:
    return ef.compare(_frame, group="group", control=control, outcome="y", by="by" if "by" in _frame else None,
                      kind=kind, by_order=_by_order, name=name)


def analyse(src: Source, ch: Choices, cust: Source | None) -> Analysis:
    """Compare treated and control customers for the page's choices.

    Args:
        src: the campaign table.
        ch: the choices.
        cust: the customer table whose column ``ch.by`` names (``cust:…``), if any.

    Returns:
        :class:`Analysis`.

    Raises:
        LoyaltyError: the data cannot give what was picked.
    """
    camp = cp.campaign_table(src.raw.frame, group=ch.group, customer_id=ch.id_column,
                             send_date_column=ch.send_column, send_date=ch.send_date,
                             row_numbers=src.raw.row_numbers, file=src.name)
    notes = [("effect.note.row_is_customer", {"file": src.name})] if ch.id_column is None else []
    notes += [(f"effect.note.excluded.{k}", {"count": v}) for k, v in camp.excluded.items() if v]
    # what the figures depend on: the table and choices, the data in use (outcomes from its
    # transactions, tiers from its customers) and the definition (tiers and segments)
    key = f"{src.key}|{ch}|{cust.key if cust else ''}"
    if ch.outcome.startswith("line:") or ch.by in ("tier", "segment"):
        key += f"|{state.dataset_key()}"
    if ch.by in ("tier", "segment"):
        key += f"|{state.definition().to_json()}"
    frame = pd.DataFrame({"group": camp.frame["group"]})
    money, kind = False, None
    if ch.outcome.startswith("line:"):
        lines = _line_outcomes(key, ch.days, state.dataset().transactions.frame, camp)
        name = ch.outcome[5:]
        frame["y"], kind, money = lines.frame[name], ef.LINE_OUTCOMES[name], True
        frame["spend"] = lines.frame["spend"]
        if lines.incomplete:
            notes.append(("effect.note.incomplete", {"count": lines.incomplete, "days": lines.days,
                                                     "last": lines.last_date.strftime("%Y/%m/%d")}))
        if lines.unmatched:
            notes.append(("effect.note.unmatched", {"count": lines.unmatched}))
    else:
        frame["y"] = cp.outcome_values(src.raw.frame.loc[camp.frame.index], ch.outcome[4:], file=src.name)
        if ch.spend:
            frame["spend"] = cp.outcome_values(src.raw.frame.loc[camp.frame.index], ch.spend[4:], file=src.name)
    by_order, labels = None, {}
    if ch.by != "none":
        frame["by"], by_order, labels = _by_values(src, ch, camp, cust, notes)
    effect = _compare(key + "|y", ch.control, kind, ch.outcome, frame.drop(columns="spend", errors="ignore"),
                      by_order)
    spend = None
    if "spend" in frame and ch.outcome not in ("line:spend", ch.spend):
        spend = _compare(key + "|spend", ch.control, "mean", "spend",
                         frame.drop(columns="y").rename(columns={"spend": "y"}), by_order)
    notes += [(f"effect.note.dropped.{k}", {"count": v}) for k, v in effect.dropped.items() if v]
    return Analysis(effect=effect, spend=spend, labels=labels, notes=notes, money=money)


def _by_values(src: Source, ch: Choices, camp: cp.Campaign, cust: Source | None, notes: list):
    """Each campaign customer's breakdown value, the order of the values, and their labels."""
    if ch.by.startswith("list:"):
        return src.raw.frame.loc[camp.frame.index, ch.by[5:]], None, {}
    if ch.by.startswith("cust:"):
        return cp.column_by_id(cust.raw.frame, cust.id_column, ch.by[5:], camp), None, {}
    sent = camp.frame["send_date"].dropna()
    d = state.definition()
    as_of = sent.min().date() if len(sent) else state.effective_as_of()
    notes.append(("effect.note.scored_at" if len(sent) else "effect.note.scored_at_as_of",
                  {"as_of": as_of.strftime("%Y/%m/%d")}))
    scored = state.scores(d.copy(as_of=as_of)).frame
    if ch.by == "tier":
        return camp.frame["customer_id"].map(scored["tier"].astype("str")), list(TIER_KEYS), components.tier_labels()
    order = [s.key for s in d.segments] + [catch_all_segment()["key"]]
    return camp.frame["customer_id"].map(scored["rfm_segment"].astype("str")), order, components.seg_labels()


# --------------------------------------------------------------------------- figures and tables


def is_rate(effect: ef.Effect) -> bool:
    """Whether the outcome is a 0/1 rate (shown in % and percentage points)."""
    return effect.kind == "rate"


def level_text(x: float, effect: ef.Effect, money: bool = False) -> str:
    """A group's rate or mean as shown: 18.3% / ¥1,234 / 1.42."""
    if not np.isfinite(x):
        return "—"
    if is_rate(effect):
        return format_pct(x)
    return money_text(x) if money else f"{x:,.2f}"


def diff_text(x: float, effect: ef.Effect, money: bool = False) -> str:
    """A difference as shown: +7.7pt / +¥123 / +0.77."""
    if not np.isfinite(x):
        return "—"
    if is_rate(effect):
        return state.t("effect.points", value=f"{x * 100:+.1f}")
    if money:
        text = money_text(abs(x))
        return ("+" if x > 0 else "−" if x < 0 else "") + text
    return f"{x:+,.2f}"


def interval_text(low: float, high: float, effect: ef.Effect, money: bool = False) -> str:
    """An interval as shown: +5.5〜+17.9pt."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "—"
    if is_rate(effect):
        return state.t("effect.interval_points", low=f"{low * 100:+.1f}", high=f"{high * 100:+.1f}")
    return state.t("effect.interval", low=diff_text(low, effect, money), high=diff_text(high, effect, money))


def money_text(x: float) -> str:
    """An amount per customer: whole yen, or two decimals in another currency ($1.42)."""
    if currency_symbol() == "¥":
        return format_yen(x)
    return f"{currency_symbol()}{x:,.2f}"


def verdict_text(verdict: str) -> str:
    """The verdict in words."""
    return state.t(f"effect.verdict.{verdict}")


def comparison_view(a: Analysis) -> pd.DataFrame:
    """One row per ("by" value, treated group): both groups' levels, the uplift and its
    interval (blank where too small to tell), the spend per customer difference, the verdict."""
    e = a.effect
    rows = e.segments if e.segments is not None else e.overall.assign(by="")
    rows = rows[~rows["is_control"]]
    spend = None
    if a.spend is not None:
        s = a.spend.segments if a.spend.segments is not None else a.spend.overall.assign(by="")
        spend = s.set_index(["by", "group"])
    out = []
    for r in rows.itertuples(index=False):  # one row per segment and group: a handful
        shown = r.verdict != "too_small"
        item = {"segment": a.labels.get(r.by, r.by), "group": r.group, "n": int(r.n), "control_n": int(r.control_n),
                "treated": level_text(r.mean, e, a.money and not is_rate(e)),
                "control": level_text(r.control_mean, e, a.money and not is_rate(e)),
                "uplift": diff_text(r.uplift, e, a.money) if shown else "—",
                "interval": interval_text(r.low, r.high, e, a.money) if shown else "—"}
        if spend is not None:
            sr = spend.loc[(r.by, r.group)] if (r.by, r.group) in spend.index else None
            item["spend_diff"] = (diff_text(sr["uplift"], a.spend, a.money)
                                  if sr is not None and sr["enough"] else "—")
        item["verdict"] = verdict_text(r.verdict)
        out.append(item)
    view = pd.DataFrame(out)
    if e.segments is None:
        view = view.drop(columns="segment")
    return view


def show_view(view: pd.DataFrame, key: str) -> None:
    """A view of :func:`comparison_view` or :func:`targets_view` with localized headers."""
    ints = {"n", "control_n"}
    cfg = {c: (st.column_config.NumberColumn(state.t(f"effect.col.{c}"), format="localized",
                                             help=state.t(f"effect.col_help.{c}"))
               if c in ints else
               st.column_config.TextColumn(state.t(f"effect.col.{c}"), help=state.t(f"effect.col_help.{c}"),
                                           alignment="left" if c in ("segment", "group", "verdict") else "right"))
           for c in view.columns}
    height = 35 * (len(view) + 1) + 3 if len(view) <= 25 else "auto"
    st.dataframe(view, column_config=cfg, hide_index=True, width="stretch", height=height, key=key)


def targets_view(a: Analysis, order: str) -> pd.DataFrame:
    """The segments worth targeting next time (:func:`loyalty.effect.targets`) as shown."""
    e = a.effect
    rows = ef.targets(e, order=order)
    out = []
    for r in rows.itertuples(index=False):
        extra = (state.t("effect.extra_customers", count=format_int(round(r.extra))) if is_rate(e)
                 else (("+" + money_text(r.extra)) if a.money else f"{r.extra:+,.2f}"))
        out.append({"segment": a.labels.get(r.by, r.by), "group": r.group, "n": int(r.n),
                    "treated": level_text(r.mean, e, a.money and not is_rate(e)),
                    "control": level_text(r.control_mean, e, a.money and not is_rate(e)),
                    "uplift": diff_text(r.uplift, e, a.money), "interval": interval_text(r.low, r.high, e, a.money),
                    "extra": extra})
    return pd.DataFrame(out, columns=["segment", "group", "n", "treated", "control", "uplift", "interval", "extra"])


def export_frame(view: pd.DataFrame) -> pd.DataFrame:
    """A view with localized headers, for CSV and Excel."""
    return view.rename(columns={c: state.t(f"effect.col.{c}") for c in view.columns})


def workbook(comparison: pd.DataFrame, targets: pd.DataFrame, titles: dict[str, list[str]]) -> bytes:
    """The comparison and the target list as one workbook."""
    return export.excel_bytes([
        export.Sheet(state.t("effect.sheet.targets"), export_frame(targets), title=titles["targets"]),
        export.Sheet(state.t("effect.sheet.comparison"), export_frame(comparison), title=titles["comparison"]),
    ])


# --------------------------------------------------------------------------- chart


def uplift_chart(a: Analysis) -> alt.Chart | None:
    """Uplift (point) with its 95% interval (line) per segment and treated group, a
    dashed line at 0; segments too small to tell are left out.  None when nothing is left."""
    e = a.effect
    rows = e.overall.assign(by="__all__")
    if e.segments is not None:
        rows = pd.concat([rows, e.segments], ignore_index=True)
    rows = rows[(~rows["is_control"]) & (rows["verdict"] != "too_small") & np.isfinite(rows["low"])]
    if not len(rows):
        return None
    scale = 100.0 if is_rate(e) else 1.0
    labels = {**a.labels, "__all__": state.t("effect.overall")}
    data = pd.DataFrame({
        "segment": [labels.get(v, v) for v in rows["by"]], "group": rows["group"].to_numpy(),
        "uplift": rows["uplift"].to_numpy(float) * scale, "low": rows["low"].to_numpy(float) * scale,
        "high": rows["high"].to_numpy(float) * scale,
        "uplift_text": [diff_text(u, e, a.money) for u in rows["uplift"]],
        "interval_text": [interval_text(lo, hi, e, a.money) for lo, hi in zip(rows["low"], rows["high"])],
        "verdict": [verdict_text(v) for v in rows["verdict"]]})
    order = list(dict.fromkeys(data["segment"]))
    groups = list(dict.fromkeys(data["group"]))
    color = alt.Color("group:N", title=state.t("effect.col.group"), sort=groups,
                      scale=alt.Scale(domain=groups, range=(GROUP_COLORS * 4)[:len(groups)]),
                      legend=alt.Legend(orient="bottom") if len(groups) > 1 else None)
    tooltip = [alt.Tooltip("segment:N", title=state.t("effect.col.segment")),
               alt.Tooltip("group:N", title=state.t("effect.col.group")),
               alt.Tooltip("uplift_text:N", title=state.t("effect.col.uplift")),
               alt.Tooltip("interval_text:N", title=state.t("effect.col.interval")),
               alt.Tooltip("verdict:N", title=state.t("effect.col.verdict"))]
    enc = {"y": alt.Y("segment:N", sort=order, title=None,
                      axis=alt.Axis(labelAngle=0, labelLimit=300, labelOverlap=False)),
           "color": color, "tooltip": tooltip}
    if len(groups) > 1:
        enc["yOffset"] = alt.YOffset("group:N", sort=groups)
    x_title = state.t("effect.chart.x_rate" if is_rate(e) else "effect.chart.x_mean")
    base = alt.Chart(data).encode(**enc)
    bars = base.mark_rule(strokeWidth=3).encode(x=alt.X("low:Q", title=x_title, axis=alt.Axis(labelAngle=0)),
                                                x2="high:Q")
    points = base.mark_point(filled=True, size=90, opacity=1).encode(x="uplift:Q")
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(strokeDash=[6, 3], color="#333").encode(x="x:Q")
    # with several treated groups the step is per group (each segment gets one row per group)
    return (zero + bars + points).properties(height=alt.Step(BAR_STEP))
