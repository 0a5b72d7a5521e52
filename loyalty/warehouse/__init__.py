"""Customer features computed where the data lives: the aggregation pushed down as SQL.

The transaction → customer-feature step of :mod:`loyalty.features` is written
once as an Ibis expression, so the same definition runs on an embedded DuckDB
(a Parquet or CSV file of any size, out of core) or in a warehouse that Ibis
supports (PostgreSQL, BigQuery, Snowflake, Spark, Trino, …).  Only the
per-customer table comes back; scoring stays in pandas (:mod:`loyalty.scoring`).
Modules: ``source`` (opening files and warehouses, mapping), ``typed`` (the SQL
typed-lines step), ``checks`` (quality counts and text rules), ``query`` (the
feature query and running it).

Sources (``--source`` on the command line):

* ``duckdb:///path/orders.parquet``, ``duckdb:///path/orders.csv`` (or a plain
  path): the file is read by an in-memory DuckDB.  A CSV that is not UTF-8 is
  transcoded from CP932 once, as a stream, into a temporary UTF-8 copy.
* ``duckdb:///path/shop.duckdb`` with a table name: a DuckDB database file,
  attached read-only.
* any other URL (``postgres://user@host/db``, ``bigquery://project/dataset``,
  ``snowflake://user@account/db/schema?warehouse=WH``, …) with a table name:
  opened with ``ibis.connect``; the backend's extra must be installed
  (``pip install 'ibis-framework[postgres]'``).

Semantics are exactly those of :func:`loyalty.features.build_features`, with
the line rules of :mod:`loyalty.lines` (the SQL typed-lines step is
:func:`typed_lines`; ``tests/test_lines.py`` proves it agrees with the pandas one
line for line):

* an **order** is the order lines (``is_order_line``: a positive amount, not a
  return, not a fee line) of one distinct (customer, order id); without an order
  id, each order line is an order; a missing or blank order id is one order per
  customer;
* fee lines (a product code from ``loyalty/data/non_product_codes.json``:
  postage, fees, adjustments) count in monetary value but never make an order
  on their own;
* an order's date is the earliest date of its order lines; returns (negative
  amount or quantity, or a 取引区分 such as 返品/キャンセル, whose positive
  amount is then made negative) lower monetary value but are not orders;
* lines dated after the as-of date are ignored; ``recency_days`` = as-of − last
  order date in whole days; ``frequency`` = orders dated in
  (as-of − window_days, as-of]; ``monetary`` = net amount dated in that window.

Rows are checked in the quality report's order (no customer id, unreadable
date, unreadable amount, date after today); the SQL reads typed warehouse
columns as they are and text columns in the common Japanese forms (ids
trimmed, ``2024/01/05``, ``2024-1-5``, ``2024年1月5日``, ``20240105``, amounts
with ``,`` ``¥`` ``円`` and ``▲`` for minus).  Text the SQL cannot read is
counted as unreadable, never guessed.
"""

from loyalty.warehouse.checks import CHECK_GROUPS_MAX, check_expr, quality_expr, run_checks
from loyalty.warehouse.query import (WarehouseResult, feature_sql, features_expr, score_source,
                                     typed_line_table, warehouse_features)
from loyalty.warehouse.source import (DATABASE_SUFFIXES, FILE_SUFFIXES, WAREHOUSE_SCHEMES,
                                      Source, open_source, source_mapping)
from loyalty.warehouse.typed import (DISTINCT_IN_PYTHON, LINE_FIELDS, TextRules, ids_need_cleaning,
                                     rules_from_values, text_rules, typed_lines)

__all__ = [
    "CHECK_GROUPS_MAX", "DATABASE_SUFFIXES", "DISTINCT_IN_PYTHON", "FILE_SUFFIXES",
    "LINE_FIELDS", "WAREHOUSE_SCHEMES", "Source", "TextRules", "WarehouseResult", "check_expr", "feature_sql",
    "features_expr", "ids_need_cleaning", "open_source", "quality_expr", "rules_from_values", "run_checks",
    "score_source", "source_mapping", "text_rules", "typed_line_table", "typed_lines", "warehouse_features",
]
