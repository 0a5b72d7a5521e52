"""Who got a measure, and what they did afterwards: the inputs of :mod:`loyalty.effect`.

* :func:`campaign_table` reads who got the measure and who was held out from a
  table (an uploaded list with customer id, group and send date, or a column of
  the customer table).  A table without a customer id column is read with the
  row as the customer (Hillstrom's e-mail experiment is such a table).
* :func:`outcome_values` reads an outcome column of such a table (0/1 or an amount).
* :func:`outcomes_from_lines` counts outcomes from the typed transaction lines in
  the N days after each customer's send date, i.e. lines dated in
  (send, send + N days]: the send day itself is left out (a purchase that day may
  come before the mail was read), the N-th day after is in.  visit = any line;
  conversion = any order line (:func:`order_lines`); spend = net amount of every
  line (purchases − returns, fees included).  A customer without lines in the
  window has 0 / 0 / 0.
* :func:`run` is what ``python -m loyalty effect`` does with its files.

Rows left out are counted by reason, never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from loyalty import definition as defn
from loyalty import values
from loyalty.definition import TIER_KEYS
from loyalty.effect import DEFAULT_DAYS, LINE_OUTCOMES, compare, detect_send_date_column
from loyalty.errors import LoyaltyError
from loyalty.i18n import error, t
from loyalty.labels import segment_labels, tier_label
from loyalty.lines import order_line_mask
from loyalty.mapping import detect_mapping
from loyalty.pipeline import assemble, build_features, map_table
from loyalty.readers import read_table
from loyalty.scoring import score


@dataclass
class Campaign:
    """Who got the measure: one row per customer.

    Attributes:
        frame: columns ``customer_id`` (str; the file's row number as text when the
            table has no id column: the row is the customer), ``group`` (str) and
            ``send_date`` (datetime64, NaT when none was given); indexed like the
            source table's kept rows, so its other columns can be aligned.
        has_ids: whether the ids come from an id column.
        excluded: rows left out and why: ``no_group``, ``no_customer_id``,
            ``duplicate_customer_id`` (the first row of an id is kept), ``bad_send_date``.
    """

    frame: pd.DataFrame
    has_ids: bool
    excluded: dict[str, int]


def campaign_table(table: pd.DataFrame, *, group: str, customer_id: str | None = None,
                   send_date_column: str | None = None, send_date: date | None = None,
                   row_numbers: np.ndarray | None = None, file: str | None = None) -> Campaign:
    """Read who got the measure from a table (an uploaded list or a customer table).

    Args:
        table: the cells as read (text).
        group: the group column.
        customer_id: the customer id column, or None (then the row is the customer).
        send_date_column: a column with each customer's send date, or None.
        send_date: one send date for everyone (used when no column is given).
        row_numbers: the file's row number of each table row (default 2, 3, …).
        file: the file name, for messages.

    Returns:
        :class:`Campaign`.

    Raises:
        LoyaltyError: a named column is missing, or no row is left.
    """
    for col in (group, customer_id, send_date_column):
        if col is not None and col not in table.columns:
            raise error("error.effect_no_column", column=col, file=file)
    rows = np.asarray(row_numbers) if row_numbers is not None else np.arange(2, len(table) + 2)
    g = table[group].astype("str").str.strip().where(table[group].notna())
    no_group = (g.isna() | (g == "")).to_numpy()
    if customer_id is not None:
        ids = values.normalize_ids(table[customer_id])
    else:
        ids = pd.Series(rows.astype(str), index=table.index, dtype="str")
    no_id = ids.isna().to_numpy() & ~no_group
    if send_date_column is not None:
        parsed = values.parse_dates(table[send_date_column]).values
    else:
        parsed = pd.Series(pd.Timestamp(send_date) if send_date else pd.NaT, index=table.index,
                           dtype="datetime64[us]")
    bad_date = (parsed.isna().to_numpy() & (send_date_column is not None)) & ~no_group & ~no_id
    ok = ~no_group & ~no_id & ~bad_date
    dup = ids.where(ok).duplicated(keep="first").to_numpy() & ok
    keep = ok & ~dup
    if not keep.any():
        raise error("error.effect_no_rows", file=file, column=group)
    frame = pd.DataFrame({"customer_id": ids[keep].astype("str"), "group": g[keep].astype("str"),
                          "send_date": parsed[keep].astype("datetime64[us]")})
    excluded = {"no_group": int(no_group.sum()), "no_customer_id": int(no_id.sum()),
                "bad_send_date": int(bad_date.sum()), "duplicate_customer_id": int(dup.sum())}
    return Campaign(frame=frame, has_ids=customer_id is not None, excluded=excluded)


def outcome_values(table: pd.DataFrame, column: str, *, file: str | None = None) -> pd.Series:
    """An outcome column read as numbers (1,234 / ¥1,234 / 0 / 1; empty = NaN).

    Raises:
        LoyaltyError: the column is missing or holds cells that are not numbers.
    """
    if column not in table.columns:
        raise error("error.effect_no_column", column=column, file=file)
    parsed = values.parse_amounts(table[column])
    if parsed.bad.any():
        example = table.loc[parsed.bad, column].iloc[0]
        raise error("error.effect_bad_outcome", file=file, column=column, count=int(parsed.bad.sum()),
                    example=str(example))
    return parsed.values


# --------------------------------------------------------------------------- outcomes from transactions


def order_lines(lines: pd.DataFrame) -> np.ndarray:
    """Which transaction lines are order lines (they make an order: a conversion).

    The rule is :func:`loyalty.lines.order_line_mask` (the typed ``is_order_line``
    column, or the same rule on a hand-made frame).

    Args:
        lines: typed transaction lines (``loyalty.quality.Transactions.frame``).

    Returns:
        A bool array, one per line.
    """
    return order_line_mask(lines)


@dataclass
class LineOutcomes:
    """Outcomes of each campaign customer from the transactions.

    Attributes:
        frame: indexed like :attr:`Campaign.frame`: ``visit`` and ``conversion``
            (0/1) and ``spend`` (net amount) in the window after the send date.
        days: the window's length N: lines dated in (send, send + N days].
        last_date: the latest line date in the data.
        incomplete: customers whose window ends after ``last_date`` (their outcome
            may still grow).
        unmatched: customers of the campaign without any line in the data (at all).
    """

    frame: pd.DataFrame
    days: int
    last_date: date
    incomplete: int
    unmatched: int


def outcomes_from_lines(lines: pd.DataFrame, campaign: Campaign, *, days: int = DEFAULT_DAYS) -> LineOutcomes:
    """Visit, conversion and spend of each campaign customer in the N days after the send.

    Args:
        lines: typed transaction lines (customer_id, order_date, amount, is_return, …).
        campaign: who got the measure, with send dates.
        days: N, the window's length in days (≥ 1).

    Returns:
        :class:`LineOutcomes`.

    Raises:
        LoyaltyError: no send date, no customer of the list in the transactions, or
            every window starts after the data ends.
    """
    if int(days) < 1:
        raise error("error.effect_bad_days", days=days)
    c = campaign.frame
    if c["send_date"].isna().any():
        raise error("error.effect_no_send_date")
    if not len(lines):
        raise error("error.effect_needs_transactions")
    pos = pd.Index(c["customer_id"]).get_indexer(lines["customer_id"].astype("str"))
    matched = pos >= 0
    if not matched.any():
        raise error("error.effect_no_match", example=str(c["customer_id"].iloc[0]))
    line_day = lines["order_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    send_day = c["send_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    last_day = int(line_day.max())
    if (send_day >= last_day).all():
        raise error("error.effect_send_after_data", last=str(np.datetime64(last_day, "D")).replace("-", "/"))
    p = pos[matched]
    after = line_day[matched] - send_day[p]
    inside = (after >= 1) & (after <= int(days))
    n = len(c)
    idx = p[inside]
    visit = np.bincount(idx, minlength=n) > 0
    conversion = np.bincount(idx[order_lines(lines)[matched][inside]], minlength=n) > 0
    amount = np.nan_to_num(lines["amount"].to_numpy(dtype=float)[matched][inside])
    spend = np.bincount(idx, weights=amount, minlength=n)
    frame = pd.DataFrame({"visit": visit.astype(np.int64), "conversion": conversion.astype(np.int64),
                          "spend": spend}, index=c.index)
    seen = np.bincount(p, minlength=n) > 0
    return LineOutcomes(frame=frame, days=int(days), last_date=pd.Timestamp(np.datetime64(last_day, "D")).date(),
                        incomplete=int((send_day + int(days) > last_day).sum()), unmatched=int((~seen).sum()))


# --------------------------------------------------------------------------- the command line


@dataclass
class EffectRun:
    """What ``python -m loyalty effect`` computed.

    Attributes:
        effect: the comparison.
        labels: "by" value -> label shown (tier and segment names), in the run's language.
        notes: catalogue keys (with values) worth telling the user.
    """

    effect: object
    labels: dict[str, str]
    notes: list[tuple[str, dict]]


def run(files: list, *, group: str, control: str, outcome: str, by: str | None = None,
        days: int | None = None, send_date: date | None = None, id_column: str | None = None,
        definition=None, lang: str = "ja") -> EffectRun:
    """Compare treated and control customers from input files (``python -m loyalty effect``).

    The first file with the ``group`` column is the campaign table; the other files
    (transactions, customer tables) go through the pipeline when an outcome from
    transactions (``visit``/``conversion``/``spend``) or a breakdown by ``tier`` /
    ``segment`` needs them.  A column of the campaign table named like the outcome
    wins over the computed outcome.  ``tier`` and ``segment`` are scored with
    ``definition`` as of the earliest send date (before anyone got the measure);
    without send dates, as of the definition's as-of date (a note says so).

    Args:
        files: :class:`loyalty.pipeline.InputFile` objects.
        group, control, outcome, by: see :func:`loyalty.effect.compare`.
        days: N, the window after the send for outcomes from transactions (default
            :data:`loyalty.effect.DEFAULT_DAYS`).
        send_date: one send date for everyone (else a send-date column is looked for).
        id_column: the campaign table's customer id column (else detected; none = the row).
        definition: the definition that scores tiers and segments (default: BtoC preset).
        lang: language of the labels.

    Returns:
        :class:`EffectRun`.

    Raises:
        LoyaltyError: a file cannot be read, a column is missing, or the data
            cannot give the outcome or breakdown asked for.
    """

    definition = definition or defn.preset("b2c")
    raws = [read_table(f.data, f.name, sheet=f.sheet) for f in files]
    at = next((i for i, r in enumerate(raws) if group in r.frame.columns), None)
    if at is None:
        raise error("error.effect_no_group_file", column=group)
    raw, notes = raws[at], []
    cols = list(raw.frame.columns)
    if id_column is not None and id_column not in cols:
        raise error("error.effect_no_column", column=id_column, file=raw.name)
    id_col = id_column or detect_mapping(cols, "customers").column("customer_id")
    if id_col is None:
        notes.append(("effect.note.row_is_customer", {"file": raw.name}))
    send_col = None if send_date else detect_send_date_column([c for c in cols if c not in (group, id_col)])
    camp = campaign_table(raw.frame, group=group, customer_id=id_col, send_date_column=send_col,
                          send_date=send_date, row_numbers=raw.row_numbers, file=raw.name)
    notes += [(f"effect.note.excluded.{k}", {"count": v}) for k, v in camp.excluded.items() if v]
    rest = [(r, f) for i, (r, f) in enumerate(zip(raws, files)) if i != at]
    dataset = _Lazy(rest, raw if id_col is not None else None)
    y, kind = _outcome(raw, camp, outcome, dataset, DEFAULT_DAYS if days is None else days, notes)
    frame = pd.DataFrame({"group": camp.frame["group"], "y": y})
    by_order, labels = None, {}
    if by is not None:
        frame["by"], by_order, labels = _breakdown(raw, camp, by, group, dataset, definition, notes, lang)
    effect = compare(frame, group="group", control=control, outcome="y", by="by" if by is not None else None,
                     kind=kind, by_order=by_order, name=outcome)
    notes += [(f"effect.note.dropped.{k}", {"count": v}) for k, v in effect.dropped.items() if v]
    return EffectRun(effect=effect, labels=labels, notes=notes)


class _Lazy:
    """The pipeline's dataset of the other input files, built once and only when needed
    (or of the campaign table itself, when it is the only input and has ids)."""

    def __init__(self, rest, own_raw):
        self.rest, self.own_raw, self._ds = rest, own_raw, None

    def get(self, key: str, **values):

        if self._ds is None:
            infos = [map_table(r, f.kind, f.overrides) for r, f in self.rest]
            if not infos and self.own_raw is not None:
                infos = [map_table(self.own_raw)]
            if not infos:
                raise error(key, **values)
            try:
                self._ds = assemble(infos)
            except LoyaltyError:
                if self.rest:
                    raise
                raise error(key, **values) from None
        return self._ds


def _outcome(raw, camp: Campaign, outcome: str, dataset: _Lazy, days: int, notes: list):

    if outcome in raw.frame.columns:
        return outcome_values(raw.frame.loc[camp.frame.index], outcome, file=raw.name), None
    if outcome not in LINE_OUTCOMES:
        raise error("error.effect_unknown_outcome", outcome=outcome, file=raw.name)
    if not camp.has_ids:
        raise error("error.effect_needs_ids", file=raw.name)
    ds = dataset.get("error.effect_needs_transactions")
    if ds.transactions is None:
        raise error("error.effect_needs_transactions")
    lines = outcomes_from_lines(ds.transactions.frame, camp, days=days)
    if lines.incomplete:
        notes.append(("effect.note.incomplete", {"count": lines.incomplete, "days": lines.days,
                                                 "last": lines.last_date.strftime("%Y/%m/%d")}))
    if lines.unmatched:
        notes.append(("effect.note.unmatched", {"count": lines.unmatched}))
    return lines.frame[outcome], LINE_OUTCOMES[outcome]


def _column_of_another_table(by: str, camp: Campaign, dataset: "_Lazy") -> pd.Series:
    """A column of another input (a customer table with an id column), per campaign customer."""

    for other, _f in dataset.rest:
        id_col = detect_mapping(list(other.frame.columns), "customers").column("customer_id")
        if by in other.frame.columns and id_col is not None and camp.has_ids:
            return column_by_id(other.frame, id_col, by, camp)
    raise error("error.effect_no_column", column=by)


def column_by_id(table: pd.DataFrame, id_column: str, column: str, camp: Campaign) -> pd.Series:
    """A column of another table (a customer table), looked up by customer id for each
    campaign customer (NaN where the id is not there; the first row of a repeated id).

    Args:
        table: the other table (text cells).
        id_column: its customer id column.
        column: the column wanted.
        camp: who got the measure (with ids).

    Returns:
        A Series indexed like ``camp.frame``.
    """
    ids = values.normalize_ids(table[id_column])
    lookup = pd.Series(table[column].to_numpy(), index=ids.to_numpy())
    lookup = lookup[lookup.index.notna() & ~lookup.index.duplicated(keep="first")]
    return camp.frame["customer_id"].map(lookup)


def numeric_columns(table: pd.DataFrame, skip=()) -> dict[str, str]:
    """The columns that can be outcomes: every non-empty cell a number.

    Args:
        table: the cells as read (text).
        skip: columns not to consider (id, group).

    Returns:
        column -> ``"rate"`` (only 0 and 1) or ``"mean"``, in table order.
    """
    out = {}
    for col in table.columns:
        if col in skip:
            continue
        parsed = values.parse_amounts(table[col])
        if parsed.bad.any() or parsed.empty.all():
            continue
        out[col] = "rate" if parsed.values.dropna().isin([0.0, 1.0]).all() else "mean"
    return out


def _breakdown(raw, camp: Campaign, by: str, group: str, dataset: _Lazy, definition, notes: list, lang: str):
    """The "by" value of each campaign customer, the order of the values, and their labels."""

    if by not in ("tier", "segment"):
        if by == group:
            raise error("error.effect_by_is_group", column=by)
        if by in raw.frame.columns:
            return raw.frame.loc[camp.frame.index, by], None, {}
        return _column_of_another_table(by, camp, dataset), None, {}
    if not camp.has_ids:
        raise error("error.effect_by_needs_scores", by=by)
    ds = dataset.get("error.effect_by_needs_scores", by=by)
    sent = camp.frame["send_date"].dropna()
    as_of = sent.min().date() if len(sent) else definition.as_of
    notes.append(("effect.note.scored_at" if len(sent) else "effect.note.scored_at_as_of",
                  {"as_of": as_of.strftime("%Y/%m/%d") if as_of else "-"}))
    feats = build_features(ds, as_of=as_of, window_days=definition.window_days)
    scored = score(feats.frame, definition).frame
    if by == "tier":
        keys, order = scored["tier"].astype("str"), list(TIER_KEYS)
        labels = {k: tier_label(k, definition, lang) for k in order}
    else:
        keys, order = scored["rfm_segment"].astype("str"), [s.key for s in definition.segments]
        labels = segment_labels(definition.segments, lang)
    return camp.frame["customer_id"].map(keys), order, labels


def text_lines(result: EffectRun, lang: str = "ja") -> list[str]:
    """The comparison as lines of text (``effect`` without ``--json``).

    Rates are shown as percentages and uplifts in percentage points, two decimals;
    means and their differences with two decimals.
    """

    e = result.effect
    lines = [t("effect.cli.header", lang, outcome=e.outcome, kind=t(f"effect.kind.{e.kind}", lang),
               control=e.control)]
    blocks = [(t("effect.cli.overall", lang), e.overall)]
    if e.segments is not None:
        blocks += [(result.labels.get(v, v), rows) for v, rows in e.segments.groupby("by", sort=False)]
    for title, rows in blocks:
        lines.append(title)
        for r in rows.itertuples(index=False):
            values_ = {"group": r.group, "n": f"{r.n:,}", "mean": _figure(r.mean, e.kind)}
            if r.is_control:
                lines.append(t("effect.cli.row_control", lang, **values_))
            elif not r.enough:
                lines.append(t("effect.cli.row_small", lang, **values_))
            else:
                lines.append(t("effect.cli.row", lang, **values_, uplift=_figure(r.uplift, e.kind, diff=True),
                               low=_figure(r.low, e.kind, diff=True), high=_figure(r.high, e.kind, diff=True)))
    return lines


def _figure(x: float, kind: str, *, diff: bool = False) -> str:
    if not np.isfinite(x):
        return "-"
    if kind == "rate":
        return f"{x * 100:+.2f}pt" if diff else f"{x * 100:.2f}%"
    return f"{x:+,.2f}" if diff else f"{x:,.2f}"
