"""From files to scored customers: the steps the app and the command line share.

1. :func:`load_dataset` reads every file, tells transaction tables from customer
   tables, maps columns (detected, then the user's overrides), builds the quality
   report and the typed customer table.  Runs once per upload.
2. :func:`build_features` aggregates per customer for an as-of date and window
   and joins the customer table.  Runs once per upload and as-of/window.
3. :class:`loyalty.scoring.Scorer` re-scores on every definition change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from loyalty import features as feat
from loyalty.i18n import error
from loyalty.mapping import ColumnMapping, detect_kind, detect_mapping, with_overrides
from loyalty.quality import Customers, Transactions, prepare_customers, prepare_transactions
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
    """

    name: str
    data: bytes
    sheet: str | int | None = None
    kind: str | None = None
    overrides: dict[str, str | None] = field(default_factory=dict)


@dataclass
class TableInfo:
    """What was read from one file and how it was mapped."""

    raw: RawTable
    kind: str
    mapping: ColumnMapping


@dataclass
class Dataset:
    """Everything read from the inputs, before any as-of date is chosen."""

    tables: list[TableInfo]
    transactions: Transactions | None
    customers: Customers | None

    @property
    def source_names(self) -> list[str]:
        """The file names, in input order."""
        return [t.raw.name for t in self.tables]


def map_table(raw: RawTable, kind: str | None = None,
              overrides: dict[str, str | None] | None = None) -> TableInfo:
    """Decide a table's kind (unless given) and map its columns.

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
    return TableInfo(raw=raw, kind=kind, mapping=mapping)


def read_inputs(files: list[InputFile]) -> list[TableInfo]:
    """Read each file and map its columns (no typing yet).

    Raises:
        LoyaltyError: a file cannot be read or a mapping override is invalid.
    """
    return [map_table(read_table(f.data, f.name, sheet=f.sheet), f.kind, f.overrides) for f in files]


def assemble(infos: list[TableInfo], *, drop_duplicates: bool = False, today: date | None = None) -> Dataset:
    """Type and check mapped tables: transactions combined, customer tables joined.

    Raises:
        LoyaltyError: nothing usable, or a required role is not mapped.
    """
    tx_tables = [(i.raw, i.mapping) for i in infos if i.kind == "transactions"]
    cu_tables = [i for i in infos if i.kind == "customers"]
    transactions = prepare_transactions(tx_tables, drop_duplicates=drop_duplicates, today=today) \
        if tx_tables else None
    customers = None
    for info in cu_tables:
        c = prepare_customers(info.raw, info.mapping)
        customers = c if customers is None else _merge_customers(customers, c)
    if transactions is None and customers is None:
        raise error("error.no_inputs")
    return Dataset(tables=infos, transactions=transactions, customers=customers)


def load_dataset(files: list[InputFile], *, drop_duplicates: bool = False,
                 today: date | None = None) -> Dataset:
    """Read, map, type and check input files (:func:`read_inputs` + :func:`assemble`)."""
    return assemble(read_inputs(files), drop_duplicates=drop_duplicates, today=today)


def _merge_customers(a: Customers, b: Customers) -> Customers:
    frame = a.frame.join(b.frame[[c for c in b.frame.columns if c not in a.frame.columns]], how="outer")
    excluded = pd.concat([a.excluded, b.excluded], ignore_index=True)
    reasons = {k: a.excluded_by_reason.get(k, 0) + b.excluded_by_reason.get(k, 0)
               for k in set(a.excluded_by_reason) | set(b.excluded_by_reason)}
    return Customers(frame=frame, name=f"{a.name}, {b.name}", rows_read=a.rows_read + b.rows_read,
                     rows_used=a.rows_used + b.rows_used, excluded=excluded, excluded_by_reason=reasons,
                     mapping=a.mapping)


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
