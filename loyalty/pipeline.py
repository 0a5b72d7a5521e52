"""From files to scored customers: the steps the app and the command line share.

1. :func:`load_dataset` reads every file, tells transaction tables from customer
   tables, maps columns (detected, then the user's overrides), builds the quality
   report and the typed customer table.  Runs once per upload.  A file whose bytes
   (or whose table, once read) are identical to an earlier one's is the same file
   uploaded twice: it is read once and listed in :attr:`Dataset.ignored`.  Customer
   tables with the same roles are one table split across files (stacked by rows);
   tables with different roles are joined by id (:mod:`loyalty.customer_table`).
2. :func:`build_features` aggregates per customer for an as-of date and window
   and joins the customer table.  Runs once per upload and as-of/window.
3. :class:`loyalty.scoring.Scorer` re-scores on every definition change.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from loyalty import features as feat
from loyalty.customer_table import Customers, combine, group_key, prepare_customers
from loyalty.i18n import error
from loyalty.mapping import ColumnMapping, detect_kind, detect_mapping, with_overrides
from loyalty.quality import Transactions, prepare_transactions
from loyalty.readers import RawTable, read_table


@dataclass
class InputFile:
    """One file to read.

    Attributes:
        name: file name as the user knows it.
        data: its bytes.
        sheet: sheet name or index for workbooks (None = first with data).
        kind: "transactions" / "customers" to override detection.
        overrides: role -> column choices that override the detected mapping.
        recency_unit: the unit of a customer table's recency column ("days",
            "weeks", "months"; None: from its header, else guessed from its values).
    """

    name: str
    data: bytes
    sheet: str | int | None = None
    kind: str | None = None
    overrides: dict[str, str | None] = field(default_factory=dict)
    recency_unit: str | None = None


@dataclass
class TableInfo:
    """What was read from one file and how it was mapped.

    Attributes:
        raw: the table as read.
        kind: "transactions" or "customers".
        mapping: its column mapping.
        recency_unit: the user's unit of a recency column (see :class:`InputFile`).
        same_as: the earlier file with identical bytes (this one is not used), or None.
    """

    raw: RawTable
    kind: str
    mapping: ColumnMapping
    recency_unit: str | None = None
    same_as: str | None = None


@dataclass
class Dataset:
    """Everything read from the inputs, before any as-of date is chosen.

    Attributes:
        tables: the tables used, in input order.
        transactions: the typed transaction lines, or None.
        customers: the typed customer table, or None.
        ignored: files left out because they are identical to an earlier one:
            ``{"file", "same_as", "how"}`` with ``how`` "bytes" (the same file) or
            "table" (the same table once read, e.g. a CSV also saved as .xlsx).
    """

    tables: list[TableInfo]
    transactions: Transactions | None
    customers: Customers | None
    ignored: list[dict] = field(default_factory=list)

    @property
    def source_names(self) -> list[str]:
        """The file names, in input order."""
        return [t.raw.name for t in self.tables]


def map_table(raw: RawTable, kind: str | None = None,
              overrides: dict[str, str | None] | None = None, *, recency_unit: str | None = None) -> TableInfo:
    """Decide a table's kind (unless given) and map its columns.

    Args:
        raw: the table as read.
        kind: "transactions" / "customers" (default: detected from the columns).
        overrides: role -> column choices.
        recency_unit: the user's unit of a recency column (see :class:`InputFile`).

    Returns:
        :class:`TableInfo`.

    Raises:
        LoyaltyError: unknown kind, or an override names an unknown role or column.
    """
    columns = list(raw.frame.columns)
    kind = kind or detect_kind(columns)
    if kind not in ("transactions", "customers"):
        raise error("error.unknown_kind", file=raw.name, kind=kind)
    mapping = detect_mapping(columns, kind)
    if overrides:
        mapping = with_overrides(mapping, overrides, columns, file=raw.name)
    return TableInfo(raw=raw, kind=kind, mapping=mapping, recency_unit=recency_unit)


def content_hash(data: bytes) -> str:
    """The SHA-256 of a file's bytes: two uploads with one hash are the same file."""
    return hashlib.sha256(data).hexdigest()


def read_inputs(files: list[InputFile]) -> list[TableInfo]:
    """Read each file and map its columns (no typing yet).

    A file whose bytes equal an earlier one's is not read again: its entry has
    ``same_as`` set (and the earlier file's table), and :func:`assemble` leaves it out.

    Raises:
        LoyaltyError: a file cannot be read or a mapping override is invalid.
    """
    first: dict[str, TableInfo] = {}
    out = []
    for f in files:
        digest = content_hash(f.data)
        if digest in first:
            twin = first[digest]  # not read again: the twin's cells under this file's name
            out.append(TableInfo(raw=dataclasses.replace(twin.raw, name=f.name), kind=twin.kind,
                                 mapping=twin.mapping, same_as=twin.raw.name))
            continue
        info = map_table(read_table(f.data, f.name, sheet=f.sheet), f.kind, f.overrides,
                         recency_unit=f.recency_unit)
        first[digest] = info
        out.append(info)
    return out


def unique_tables(infos: list[TableInfo]) -> tuple[list[TableInfo], list[dict]]:
    """The tables to use, and the files left out as copies of an earlier one.

    A copy is a file with identical bytes (``same_as``, from :func:`read_inputs`) or a
    table identical once read (the same columns, cells and kind: a CSV also saved as
    .xlsx).

    Returns:
        ``(tables, ignored)``: ``ignored`` as in :attr:`Dataset.ignored`.
    """
    used: list[TableInfo] = []
    ignored: list[dict] = []
    for info in infos:
        if info.same_as is not None:
            ignored.append({"file": info.raw.name, "same_as": info.same_as, "how": "bytes"})
            continue
        twin = next((u for u in used if _same_table(u, info)), None)
        if twin is not None:
            ignored.append({"file": info.raw.name, "same_as": twin.raw.name, "how": "table"})
            continue
        used.append(info)
    return used, ignored


def _same_table(a: TableInfo, b: TableInfo) -> bool:
    """Whether two read tables hold the same data under the same headers, mapped the same way:
    the same cells, or the same values once each mapped column is read by its role's type
    (a date cell of an .xlsx and the text 2024/06/01 of a CSV are one date)."""
    fa, fb = a.raw.frame.reset_index(drop=True), b.raw.frame.reset_index(drop=True)
    if a.kind != b.kind or fa.shape != fb.shape or list(fa.columns) != list(fb.columns):
        return False
    if a.mapping.roles != b.mapping.roles or a.recency_unit != b.recency_unit:
        return False
    if fa.equals(fb):
        return True
    for role, col in a.mapping.roles.items():
        if not _read_as(role, a.kind, fa[col]).equals(_read_as(role, a.kind, fb[col])):
            return False
    unmapped = [c for c in fa.columns if c not in set(a.mapping.roles.values())]
    return bool(fa[unmapped].equals(fb[unmapped]))


def _read_as(role: str, kind: str, col: pd.Series) -> pd.Series:
    """A column read as its role's values (for comparing two tables)."""
    from loyalty import values
    from loyalty.mapping import role_spec

    typ = role_spec(kind, role).type
    if typ == "id":
        return values.normalize_ids(col).reset_index(drop=True)
    if typ == "date":
        return values.parse_dates(col).values.reset_index(drop=True)
    if typ in ("amount", "number"):
        return values.parse_numbers(col).values.reset_index(drop=True)
    return col.str.strip().reset_index(drop=True)


def assemble(infos: list[TableInfo], *, drop_duplicates: bool = False, today: date | None = None,
             currency: str | None = None) -> Dataset:
    """Type and check mapped tables: transactions combined, customer tables stacked or joined.

    Args:
        infos: the mapped tables (copies of an earlier file are left out, see :func:`unique_tables`).
        drop_duplicates: drop exact duplicate rows (kept and counted by default).
        today: order dates after it are "future" (default: today).
        currency: the data's currency (default: :func:`loyalty.fmt.currency`).

    Returns:
        :class:`Dataset`.

    Raises:
        LoyaltyError: nothing usable, or a required role is not mapped.
    """
    from loyalty import fmt

    currency = currency or fmt.currency()
    infos, ignored = unique_tables(infos)
    tx_tables = [(i.raw, i.mapping) for i in infos if i.kind == "transactions"]
    transactions = prepare_transactions(tx_tables, drop_duplicates=drop_duplicates, today=today,
                                        currency=currency) if tx_tables else None
    customers = _customers([i for i in infos if i.kind == "customers"], currency)
    if transactions is None and customers is None:
        raise error("error.no_inputs")
    return Dataset(tables=infos, transactions=transactions, customers=customers, ignored=ignored)


def _customers(infos: list[TableInfo], currency: str) -> Customers | None:
    """The customer tables typed one by one (an id kept by an earlier file of the same
    roles is a duplicate) and combined (:func:`loyalty.customer_table.combine`)."""
    parts: list[Customers] = []
    kept: dict[frozenset, pd.Series] = {}
    for info in infos:
        key = group_key(info.mapping)
        c = prepare_customers(info.raw, info.mapping, currency=currency, recency_unit_=info.recency_unit,
                              seen=kept.get(key))
        mine = pd.Series(info.raw.name, index=c.frame.index, dtype="str")
        kept[key] = mine if key not in kept else pd.concat([kept[key], mine])
        parts.append(c)
    return combine(parts) if parts else None


def dataset_notes(dataset: Dataset) -> list[tuple[str, dict]]:
    """What a user should be told about the inputs as a whole, as catalogue keys with values:
    files left out as copies of another, then the customer table's notes (recency unit
    guessed, cells left blank, customers in two files, amounts in another currency), then
    the transaction tables' notes on currencies."""
    notes = [(f"note.same_file.{i['how']}", {"file": i["file"], "same_as": i["same_as"]}) for i in dataset.ignored]
    if dataset.customers is not None:
        notes += dataset.customers.notes
    if dataset.transactions is not None:
        notes += [n for n in dataset.transactions.report.notes if n[0] == "note.amount_currencies"]
    return notes


def load_dataset(files: list[InputFile], *, drop_duplicates: bool = False,
                 today: date | None = None, currency: str | None = None) -> Dataset:
    """Read, map, type and check input files (:func:`read_inputs` + :func:`assemble`)."""
    return assemble(read_inputs(files), drop_duplicates=drop_duplicates, today=today, currency=currency)


def default_as_of(dataset: Dataset) -> date | None:
    """The default as-of date: the latest order date (or last-purchase date)."""
    if dataset.transactions is not None:
        return feat.default_as_of(dataset.transactions)
    c = dataset.customers.frame
    if "last_purchase_date" in c and c["last_purchase_date"].notna().any():
        return pd.Timestamp(c["last_purchase_date"].max()).date()
    return None


def build_features(dataset: Dataset, *, as_of: date | None = None,
                   window_days: int = feat.DEFAULT_WINDOW_DAYS) -> feat.Features:
    """Customer features for an as-of date and window, customer table joined.

    Raises:
        LoyaltyError: see :func:`loyalty.features.build_features`.
    """
    if dataset.transactions is not None:
        f = feat.build_features(dataset.transactions, as_of=as_of, window_days=window_days)
        return feat.join_customers(f, dataset.customers)
    return feat.features_from_customer_table(dataset.customers, as_of=as_of, window_days=window_days)
