"""The customer table: one row per customer, typed and checked.

A customer-level export (attributes, engagement, survey answers, or pre-aggregated
figures such as recency / frequency / monetary) is typed by its column mapping.
Every row is accounted for (``rows read = rows used + rows excluded``); a row is
excluded under the first check it fails, in this order
(:data:`CUSTOMER_EXCLUSION_ORDER`):

1. ``missing_customer_id`` – no customer id (a totals line with an empty id cell
   is counted here: the documented order begins with it);
2. ``totals_row`` – a 合計 / 小計 / Total line in the id column (:mod:`loyalty.totals`);
3. ``bad_value`` – a figure that makes scores or LTV (:data:`SCORE_ROLES`: recency,
   frequency, monetary, unit price, contract value, monthly fee, years, months) is
   unreadable, not finite, beyond ``LOYALTY_MAX_AMOUNT``, or names another currency;
4. ``duplicate_customer_id`` – an id already kept, earlier in this file or in an
   earlier file with the same columns (:func:`combine`); the first row is kept.

Other number columns (engagement, survey answers): an unreadable cell is left blank
and counted in a note that names the column and its first rows.

**Several files.**  Tables with the same roles (after mapping) are one table split
across files (east / west): they are stacked by rows, and an id already in an earlier
file is a duplicate (counted, the first row kept, a note names both files).  Tables
with different roles are joined by customer id (a customer missing from one gets
blanks for its columns).

**Recency unit.**  A recency column is converted to days.  Its unit comes from the
user (the data page, ``--recency-unit``), else from its header (経過月数, "recency
(weeks)": the words are data in ``loyalty/data/roles.json``), else from its values:
a column that never passes 12 is taken as months, one that never passes 52 as weeks
(both said in a note and asked on the data page), anything else as days.  A week is
7 days and a month 30 days, so 1, 2, 3 and 6 months meet the seeds' recency steps
(within 30 / 60 / 90 days, 180 days or more) as a marketer reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from loyalty import totals, values
from loyalty.i18n import error, t
from loyalty.mapping import ColumnMapping, require_complete, role_spec
from loyalty.readers import RawTable

CUSTOMER_EXCLUSION_ORDER = ("missing_customer_id", "totals_row", "bad_value", "duplicate_customer_id")

#: The roles whose figures make a customer's scores or LTV: an unreadable value excludes the row.
SCORE_ROLES = ("recency_days", "frequency", "monetary", "unit_price", "annual_contract_value", "monthly_fee",
               "years", "months")

#: Days per unit of a recency column.
RECENCY_UNITS = {"days": 1.0, "weeks": 7.0, "months": 30.0}

#: The largest recency (in the column's own figures) read as months, then as weeks,
#: when neither the user nor the header says the unit.
MONTHS_UP_TO, WEEKS_UP_TO = 12, 52

#: Row numbers named in a note about blank-left cells.
NOTE_ROWS = 5


@dataclass(frozen=True)
class RecencyUnit:
    """How one table's recency column was read.

    Attributes:
        file: the file name.
        column: the recency column.
        unit: the unit applied ("days", "weeks" or "months").
        guess: the unit the header or the values suggest.
        source: "user" (chosen), "header" (its name says it) or "values" (a guess).
        max_value: the largest recency in the column's own figures (NaN: none).
        asked: whether the unit is a guess worth confirming (no unit in the header,
            the values never pass 52): the data page asks, the CLI notes it.
    """

    file: str
    column: str
    unit: str
    guess: str
    source: str
    max_value: float
    asked: bool


def recency_unit(header: str, values_: np.ndarray, chosen: str | None = None, *, file: str = "") -> RecencyUnit:
    """Decide the unit of a recency column (see the module docstring).

    Args:
        header: the column's header.
        values_: its values as read (float; NaN where empty).
        chosen: the user's unit, or None.
        file: the file name (for the record).

    Returns:
        :class:`RecencyUnit`.
    """
    top = float(np.nanmax(values_)) if np.isfinite(values_).any() else float("nan")
    named = role_spec("customers", "recency_days").unit_of(header)
    if named is not None:
        guess, source = named, "header"
    else:
        guess = "months" if top <= MONTHS_UP_TO else "weeks" if top <= WEEKS_UP_TO else "days"
        source = "values"
    asked = source == "values" and guess != "days"
    if chosen is not None:
        if chosen not in RECENCY_UNITS:
            raise error("error.recency_unit", unit=chosen, units=", ".join(RECENCY_UNITS))
        return RecencyUnit(file, header, chosen, guess, "user", top, asked)
    return RecencyUnit(file, header, guess, guess, source, top, asked)


def recency_of_table(raw: RawTable, mapping: ColumnMapping, chosen: str | None = None) -> RecencyUnit | None:
    """How a customer table's recency column would be read (the data page asks about it).

    Args:
        raw: the table as read.
        mapping: its mapping (None is returned unless it maps ``recency_days``).
        chosen: the user's unit, or None.

    Returns:
        :class:`RecencyUnit`, or None without a recency column.
    """
    if mapping.kind != "customers" or not mapping.has("recency_days"):
        return None
    col = mapping.column("recency_days")
    v = values.parse_numbers(raw.frame[col]).values.to_numpy(dtype=float, na_value=np.nan)
    return recency_unit(col, v, chosen, file=raw.name)


@dataclass
class Customers:
    """A typed customer table (one file, or several stacked / joined by :func:`combine`).

    ``frame`` is indexed by customer_id (str) with one column per mapped role
    (numbers as float, dates as datetime64, text as str; recency converted to days).
    ``rows_read``, ``rows_used`` and ``excluded`` account for every row.

    Attributes:
        frame: the customers.
        name: the file name(s), comma separated.
        rows_read: data rows read.
        rows_used: rows that became customers.
        excluded: the excluded rows: file, row number, reason key, then the original cells.
        excluded_by_reason: reason key -> rows, in :data:`CUSTOMER_EXCLUSION_ORDER`.
        mapping: the (first) table's mapping.
        notes: catalogue keys (with values) worth telling the user.
        recency: how each table's recency column was read.
    """

    frame: pd.DataFrame
    name: str
    rows_read: int
    rows_used: int
    excluded: pd.DataFrame
    excluded_by_reason: dict[str, int]
    mapping: ColumnMapping
    notes: list[tuple[str, dict]] = field(default_factory=list)
    recency: list[RecencyUnit] = field(default_factory=list)

    def report(self) -> dict:
        """A JSON-friendly summary (``quality --json``), without the excluded rows."""
        return {"file": self.name, "rows_read": self.rows_read, "rows_used": self.rows_used,
                "rows_excluded": self.rows_read - self.rows_used, "excluded_by_reason": dict(self.excluded_by_reason),
                "recency_unit": [{"file": r.file, "column": r.column, "unit": r.unit, "source": r.source,
                                  "max": None if np.isnan(r.max_value) else r.max_value} for r in self.recency],
                "notes": [{"key": k, "values": dict(v)} for k, v in self.notes]}


def prepare_customers(raw: RawTable, mapping: ColumnMapping, *, currency: str = "JPY",
                      recency_unit_: str | None = None, seen: pd.Series | None = None) -> Customers:
    """Type and check a customer table by its mapping.

    Args:
        raw: the table as read.
        mapping: its mapping (kind "customers").
        currency: the data's currency (an amount naming another one is bad).
        recency_unit_: the user's unit of the recency column (None: header, then values).
        seen: customer id -> file name of the ids kept from earlier files of the same
            table (their rows here are duplicates).

    Returns:
        :class:`Customers`.

    Raises:
        LoyaltyError: no customer id column, or no row has an id.
    """
    require_complete(mapping, raw.name)
    src = raw.frame
    ids = values.normalize_ids(src[mapping.column("customer_id")])
    missing = ids.isna().to_numpy()
    parsed = _parse_columns(src, mapping, currency)
    bad = np.zeros(len(src), dtype=bool)
    for role in SCORE_ROLES:
        if role in parsed and not isinstance(parsed[role], pd.Series):
            bad |= parsed[role].bad.to_numpy()
    is_totals = totals.totals_rows(src, mapping.column("customer_id"), missing)
    checks = {"missing_customer_id": missing, "totals_row": is_totals, "bad_value": bad}
    reason, taken = _first_failures(checks, len(src))
    earlier = ids.isin(seen.index).to_numpy() if seen is not None and len(seen) else np.zeros(len(src), bool)
    dup = (ids.where(~taken).duplicated(keep="first").to_numpy() | earlier) & ~taken & ~missing
    reason[dup], taken = "duplicate_customer_id", taken | dup
    by_reason = {k: int((reason == k).sum()) for k in CUSTOMER_EXCLUSION_ORDER}
    keep = ~taken
    excl = pd.DataFrame({"file": raw.name, "row": raw.row_numbers[taken], "reason": reason[taken]})
    if taken.any():
        excl = pd.concat([excl, src.loc[taken].reset_index(drop=True)], axis=1)
    notes = _notes(raw, mapping, parsed, keep, currency)
    if (is_totals & missing).any():
        notes.append(("note.totals_without_id", {"file": raw.name, "rows": int((is_totals & missing).sum())}))
    if earlier.any():
        for first, count in seen[ids[earlier & dup]].value_counts(sort=False).items():
            notes.append(("note.customers_in_two_files", {"count": int(count), "file": raw.name, "first": first}))
    frame, unit = _typed_frame(raw, mapping, parsed, ids, keep, recency_unit_)
    if len(frame) == 0:
        worst = max(by_reason, key=by_reason.get)
        raise error("error.no_usable_rows", file=raw.name, rows=len(src),
                    reason={lang: t(f"reason.{worst}", lang) for lang in ("ja", "en")})
    if unit is not None and unit.source == "values":
        notes.append((f"note.recency_unit_guess.{unit.unit}", {"file": raw.name, "column": unit.column,
                                                              "max": f"{unit.max_value:g}"}))
    return Customers(frame=frame, name=raw.name, rows_read=len(src), rows_used=int(keep.sum()), excluded=excl,
                     excluded_by_reason=by_reason, mapping=mapping, notes=notes,
                     recency=[unit] if unit is not None else [])


def _parse_columns(src: pd.DataFrame, mapping: ColumnMapping, currency: str) -> dict:
    """Each mapped role's column parsed by its type: an AmountParse, a DateParse's values, or stripped text."""
    out: dict = {}
    for role, col in mapping.roles.items():
        if role == "customer_id":
            continue
        kind = role_spec("customers", role).type
        if kind == "date":
            out[role] = values.parse_dates(src[col]).values
        elif kind == "amount":
            out[role] = values.parse_amounts(src[col], currency)
        elif kind == "number":
            out[role] = values.parse_numbers(src[col], currency)
        else:
            out[role] = src[col].str.strip()
    return out


def _first_failures(checks: dict[str, np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's first failed check (reason key, "" for none) and whether it failed one."""
    reason = np.full(n, "", dtype=object)
    taken = np.zeros(n, dtype=bool)
    for key, mask in checks.items():
        hit = mask & ~taken
        reason[hit] = key
        taken |= hit
    return reason, taken


def _notes(raw: RawTable, mapping: ColumnMapping, parsed: dict, keep: np.ndarray, currency: str) -> list:
    """Blank-left cells of the kept rows (other number columns) and cells in other currencies."""
    notes = []
    numbers = {r: p for r, p in parsed.items() if isinstance(p, values.AmountParse)}
    for role, p in numbers.items():
        if role in SCORE_ROLES:
            continue
        blank = p.bad.to_numpy() & keep
        if blank.any():
            rows = ", ".join(str(r) for r in raw.row_numbers[blank][:NOTE_ROWS])
            notes.append(("note.customer_cells_blank", {"file": raw.name, "column": mapping.column(role),
                                                        "count": int(blank.sum()), "rows": rows}))
    return notes + values.currency_notes(raw.name, {mapping.column(r): p for r, p in numbers.items()}, currency)


def _typed_frame(raw: RawTable, mapping: ColumnMapping, parsed: dict, ids: pd.Series, keep: np.ndarray,
                 chosen_unit: str | None) -> tuple[pd.DataFrame, RecencyUnit | None]:
    """The kept rows as typed columns indexed by customer id, recency in days."""
    cols: dict[str, pd.Series] = {}
    unit = None
    for role, p in parsed.items():
        v = p.values.to_numpy(dtype=float, na_value=np.nan) if isinstance(p, values.AmountParse) else p.to_numpy()
        if role == "recency_days":
            unit = recency_unit(mapping.column(role), v[keep], chosen_unit, file=raw.name)
            v = v * RECENCY_UNITS[unit.unit]
        cols[role] = pd.Series(v[keep]) if not isinstance(p, pd.Series) else p[keep].reset_index(drop=True)
    frame = pd.DataFrame(cols)
    frame.index = pd.Index(ids[keep].reset_index(drop=True), name="customer_id", dtype="str")
    return frame, unit


def combine(parts: list[Customers]) -> Customers:
    """Several typed customer tables as one: same roles stacked, different roles joined by id.

    Callers pass each part typed with ``seen`` = the ids kept by the earlier parts of
    its group (see :func:`group_key`), so an id is never kept twice within a group.

    Args:
        parts: the typed tables, in input order.

    Returns:
        One :class:`Customers`.
    """
    groups: dict[frozenset, list[Customers]] = {}
    for c in parts:
        groups.setdefault(group_key(c.mapping), []).append(c)
    stacked = [_stack(g) for g in groups.values()]
    out = stacked[0]
    for other in stacked[1:]:
        out = _join(out, other)
    return out


def group_key(mapping: ColumnMapping) -> frozenset:
    """Tables with the same key (the same roles mapped) are one table split across files."""
    return frozenset(mapping.roles)


def _stack(parts: list[Customers]) -> Customers:
    """Customer tables with the same roles, one after the other."""
    if len(parts) == 1:
        return parts[0]
    return _merged(parts, pd.concat([c.frame for c in parts]))


def _join(a: Customers, b: Customers) -> Customers:
    """Customer tables with different roles, joined by customer id (outer)."""
    frame = a.frame.join(b.frame[[c for c in b.frame.columns if c not in a.frame.columns]], how="outer")
    return _merged([a, b], frame)


def _merged(parts: list[Customers], frame: pd.DataFrame) -> Customers:
    """One :class:`Customers` of ``frame`` with every part's counts, rows and notes."""
    excluded = pd.concat([c.excluded for c in parts], ignore_index=True)
    return Customers(frame=frame, name=", ".join(c.name for c in parts),
                     rows_read=sum(c.rows_read for c in parts), rows_used=sum(c.rows_used for c in parts),
                     excluded=excluded,
                     excluded_by_reason={k: sum(c.excluded_by_reason.get(k, 0) for c in parts)
                                         for k in CUSTOMER_EXCLUSION_ORDER},
                     mapping=parts[0].mapping, notes=[n for c in parts for n in c.notes],
                     recency=[r for c in parts for r in c.recency])
