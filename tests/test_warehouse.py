"""The SQL pushdown (DuckDB through Ibis) gives the same customer features as pandas."""

from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import sqlglot

from loyalty import warehouse as wh
from loyalty.cli import main
from loyalty.errors import LoyaltyError
from loyalty.mapping import ColumnMapping
from loyalty.pipeline import InputFile, build_features, load_dataset
from tests.helpers import ROOT

TODAY = date(2025, 1, 1)
AS_OF = date(2024, 6, 30)  # window (2023-07-01, 2024-06-30]

# Every rule of loyalty.features in a few lines:
# - 000123: order A1 spans two lines (one order, dated by its earliest line 06-19), A2 in
#   the window, A3 one day before it; R1 is a return (lowers spend, not an order); a coupon
#   on A2; a line after as-of (ignored).
# - 0456: two orders on one day, one of them with a 返品 line whose amount is positive
#   (made negative, not an order).
# - 789: one order outside the window; 999: only a return (no order: recency NaN);
#   a line without a customer id and one with an unreadable date (excluded).
FIXTURE = """注文番号,会員番号,注文日,金額,数量,クーポン,取引区分
A1,000123,2024/06/20,3000,1,,購入
A1,000123,2024/06/19,2000,1,,購入
A2,000123,2024/05/01,4000,2,SPRING,購入
A3,000123,2023/06/30,9999,1,,購入
R1,000123,2024/06/25,-1500,-1,,返品
A9,000123,2024/07/02,7777,1,,購入
B1,0456,2024-01-10,12000,1,,購入
B2,0456,2024-01-10,500,1,,購入
B2,0456,2024-01-12,800,1,,返品
C1,789,2023年3月1日,7000,1,,購入
D1,999,2024/02/01,-300,-1,,返品
X1,,2024/02/01,100,1,,購入
X2,555,not a date,100,1,,購入
"""


def _pandas_features(path: Path, as_of=AS_OF, window_days=365):
    ds = load_dataset([InputFile(path.name, path.read_bytes())], today=TODAY)
    return ds, build_features(ds, as_of=as_of, window_days=window_days)


def _sql_features(url: str, table=None, as_of=AS_OF, window_days=365, overrides=None):
    with wh.open_source(url, table) as src:
        mapping = wh.source_mapping(src, overrides)
        return wh.warehouse_features(src, mapping, as_of=as_of, window_days=window_days, today=TODAY)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert a.index.tolist() == b.index.tolist()
    for col in a.columns:
        pd.testing.assert_series_equal(a[col], b[col], check_exact=False, rtol=1e-12, obj=col)


@pytest.fixture()
def fixture_csv(tmp_path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(FIXTURE, encoding="utf-8")
    return path


def test_fixture_features_match_pandas_column_by_column(fixture_csv):
    _, pandas_features = _pandas_features(fixture_csv)
    result = _sql_features(str(fixture_csv))
    _same(pandas_features.frame, result.features.frame)
    assert result.features.as_of == AS_OF
    assert result.features.rows_after_as_of == pandas_features.rows_after_as_of == 1


def test_fixture_figures_computed_by_hand(fixture_csv):
    f = _sql_features(f"duckdb://{fixture_csv}").features.frame
    assert f.index.tolist() == ["000123", "0456", "789", "999"]  # text ids, leading zeros kept
    row = f.loc["000123"]
    # orders A1 (06-19), A2 (05-01) in the window, A3 outside; R1 lowers spend only
    assert (row["recency_days"], row["frequency"], row["monetary"]) == (11, 2, 7500.0)
    assert (row["orders_total"], row["revenue_total"], row["returns_amount"]) == (3, 17499.0, -1500.0)
    assert row["first_order"] == pd.Timestamp("2023-06-30")
    assert row["discount_share"] == pytest.approx(1 / 3)
    row = f.loc["0456"]  # the 返品 line of B2 (+800) is turned into -800
    assert (row["recency_days"], row["frequency"], row["monetary"], row["orders_total"]) == (172, 2, 11700.0, 2)
    row = f.loc["789"]
    assert (row["recency_days"], row["frequency"], row["monetary"]) == (487, 0, 0.0)
    row = f.loc["999"]
    assert np.isnan(row["recency_days"]) and row["frequency"] == 0 and row["monetary"] == -300.0


def test_quality_counts_follow_the_report_order(fixture_csv):
    ds, _ = _pandas_features(fixture_csv)
    report = _sql_features(str(fixture_csv)).report
    assert report["rows_read"] == 13
    assert report["excluded_by_reason"]["missing_customer_id"] == 1
    assert report["excluded_by_reason"]["bad_date"] == 1
    assert report["rows_used"] == 11 == ds.transactions.report.rows_used


def test_without_order_ids_each_purchase_line_is_an_order(tmp_path):
    text = "\n".join(line.split(",", 1)[1] for line in FIXTURE.strip().splitlines()) + "\n"
    path = tmp_path / "lines.csv"
    path.write_text(text, encoding="utf-8")
    _, pandas_features = _pandas_features(path)
    sql = _sql_features(str(path)).features.frame
    _same(pandas_features.frame, sql)
    assert sql.loc["000123", "frequency"] == 3  # the two lines of A1 now count twice


FEES = """注文番号,会員番号,注文日,商品コード,金額
A1,001,2024/05/01,SK-01,3000
A1,001,2024/05/01,POST,500
A2,001,2024/06/01,post ,400
A3,002,2024/06/02,送料,600
A4,002,2024/06/03,SK-02,5000
A5,002,2024/06/04,D,-200
A6,003,2024/06/05,BANK CHARGES,15
"""


@pytest.mark.parametrize("order_ids", [True, False], ids=["order ids", "no order ids"])
def test_fee_lines_follow_the_same_rule_in_sql(tmp_path, order_ids):
    text = FEES if order_ids else "\n".join(ln.split(",", 1)[1] for ln in FEES.strip().splitlines()) + "\n"
    path = tmp_path / "fees.csv"
    path.write_text(text, encoding="utf-8")
    _, pandas_features = _pandas_features(path)
    sql = _sql_features(str(path)).features.frame
    _same(pandas_features.frame, sql)
    # postage-only A2, the fee A3 and the bank charge A6 are money but not orders
    assert sql["orders_total"].tolist() == [1, 1, 0]
    assert sql["monetary"].tolist() == [3900.0, 5400.0, 15.0]
    assert np.isnan(sql.loc["003", "recency_days"])


def test_fee_codes_are_decided_in_sql_when_there_are_too_many_distinct_codes(tmp_path, monkeypatch):
    path = tmp_path / "fees.csv"
    path.write_text(FEES, encoding="utf-8")
    monkeypatch.setattr(wh.typed, "DISTINCT_IN_PYTHON", 2)  # forces the SQL form of every per-value rule
    _, pandas_features = _pandas_features(path)
    _same(pandas_features.frame, _sql_features(str(path)).features.frame)


def test_typed_parquet_and_duckdb_table_give_the_same_features(fixture_csv, tmp_path):
    _, pandas_features = _pandas_features(fixture_csv)
    con = duckdb.connect()
    con.execute(f"""CREATE TABLE orders AS SELECT 注文番号, 会員番号, try_cast(replace(注文日, '/', '-') AS DATE) AS 注文日,
                    金額::BIGINT AS 金額, 数量::INTEGER AS 数量, クーポン, 取引区分
                    FROM read_csv('{fixture_csv}', all_varchar=true) WHERE 会員番号 IS NOT NULL""")
    parquet = tmp_path / "orders.parquet"
    con.execute(f"COPY orders TO '{parquet}' (FORMAT parquet)")
    db = tmp_path / "shop.duckdb"
    con.execute(f"ATTACH '{db}' AS shop")
    con.execute("CREATE TABLE shop.orders AS SELECT * FROM orders")
    con.close()
    expected = pandas_features.frame.drop(index=[])  # 2023年3月1日 is unreadable for try_cast: 789 is gone
    expected = expected.drop(index="789")
    _same(expected, _sql_features(f"duckdb://{parquet}").features.frame)
    _same(expected, _sql_features(f"duckdb://{db}", table="orders").features.frame)


def test_ids_with_spaces_and_placeholders_take_the_exact_path(tmp_path):
    text = "顧客ID,購入日,金額\n 000123 ,2024/06/01,1000\n000123,2024/06/02,500\nNULL,2024/06/03,700\n"
    path = tmp_path / "spaces.csv"
    path.write_text(text, encoding="utf-8")
    ds, pandas_features = _pandas_features(path)
    result = _sql_features(str(path))
    _same(pandas_features.frame, result.features.frame)
    assert result.features.frame.index.tolist() == ["000123"]
    assert result.report["excluded_by_reason"]["missing_customer_id"] == 1


@pytest.mark.slow
def test_sample_data_matches_pandas_column_by_column():
    # the CP932 sample goes through the streaming transcoder
    path = ROOT / "sample_data" / "orders_cp932.csv"
    for as_of in (None, date(2024, 3, 31)):
        _, pandas_features = _pandas_features(path, as_of=as_of)
        result = _sql_features(str(path), as_of=as_of)
        assert result.features.as_of == pandas_features.as_of
        _same(pandas_features.frame, result.features.frame)


def test_cli_source_writes_the_same_scores_as_the_file_path(fixture_csv, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert main(["score", str(fixture_csv), "--as-of", "2024-06-30", "--output", str(a)]) == 0
    assert main(["score", "--source", f"duckdb://{fixture_csv}", "--table", "orders", "--as-of", "2024-06-30",
                 "--output", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()


def test_map_option_applies_to_the_source(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("who,when,paid\nc1,2024-06-01,100\nc1,2024-06-20,50\n", encoding="utf-8")
    f = _sql_features(str(path), overrides={"customer_id": "who", "order_date": "when", "amount": "paid"})
    assert f.features.frame.loc["c1", "frequency"] == 2


@pytest.mark.parametrize("url, table", [
    ("", None),
    ("not a scheme://x", "orders"),
    ("duckdb:///no/such/file.parquet", None),
])
def test_bad_source_is_a_user_error(url, table):
    with pytest.raises(LoyaltyError):
        wh.open_source(url, table)


def test_missing_table_names_the_tables_there(tmp_path, capsys):
    db = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE orders (会員番号 VARCHAR, 注文日 DATE, 金額 DOUBLE)")
    con.close()
    with pytest.raises(LoyaltyError) as info:
        wh.open_source(f"duckdb://{db}", "sales")
    assert "orders" in info.value.message("en")
    with pytest.raises(LoyaltyError):
        wh.open_source(f"duckdb://{db}")  # a database needs --table
    assert main(["score", "--source", f"duckdb://{db}", "--table", "sales"]) == 2
    assert "sales" in capsys.readouterr().err
    assert main(["score", "--source", "mysql-nope://h/db"]) == 2
    assert main(["score", "x.csv", "--source", f"duckdb://{db}", "--table", "orders"]) == 2


def test_postgres_sql_is_generated_without_connecting():
    mapping = ColumnMapping("transactions", {"customer_id": "customer_id", "order_date": "ordered_at",
                                             "amount": "amount", "order_id": "order_no"})
    sql = wh.feature_sql({"customer_id": "string", "ordered_at": "timestamp", "amount": "decimal(12, 0)",
                          "order_no": "string"}, mapping, table="orders", as_of=date(2024, 6, 30),
                         window_days=365, today=TODAY, dialect="postgres")
    sqlglot.parse_one(sql, read="postgres")  # valid PostgreSQL
    assert '"orders"' in sql and "GROUP BY" in sql
    assert "2023" in sql and "2024" in sql  # window start and as-of are literals
    assert "read_parquet" not in sql.lower()
    # one scan: lines grouped by (customer, order id), then by customer; no join
    assert sql.count("GROUP BY") == 2 and " JOIN " not in sql.upper()
    parsed = sqlglot.parse_one(sql, read="postgres")
    keys = sorted(len(g.expressions) for g in parsed.find_all(sqlglot.exp.Group))
    assert keys == [1, 2]


def test_bigquery_and_snowflake_sql_compile_too():
    """The warehouse SQL, translated back to DuckDB by sqlglot and run on lines made to sit on
    the edges: lines grouped by customer and order id (an order is dated by its first line),
    the window (2023-07-01, 2024-06-30] open at its start and closed at as-of, a line after
    as-of ignored; without order ids every purchase line is an order."""
    lines = pd.DataFrame({
        "cid": [1, 1, 1, 1, 1, 2, 2, 3],
        "o": ["A", "A", "B", "C", "R", "D", "E", "F"],
        "d": [date(2023, 7, 1), date(2023, 7, 2), date(2023, 7, 2), date(2024, 6, 30), date(2024, 6, 1),
              date(2024, 7, 1), date(2024, 1, 10), date(2023, 3, 1)],
        "a": [100.0, 200.0, 300.0, 400.0, -50.0, 500.0, 600.0, 700.0],
    })
    # 1: order A starts on the window's first (excluded) day; B and C inside; R a return
    # 2: D is after as-of; 3: only an order before the window
    expected = {
        True: pd.DataFrame({"cid": ["1", "2", "3"], "frequency": [2, 1, 0], "monetary": [850.0, 600.0, 0.0],
                            "orders_total": [3, 1, 1]}),
        False: pd.DataFrame({"cid": ["1", "2", "3"], "frequency": [3, 1, 0], "monetary": [850.0, 600.0, 0.0],
                             "orders_total": [4, 1, 1]}),
    }
    days = {"first_day": [date(2023, 7, 1), date(2024, 1, 10), date(2023, 3, 1)],
            "last_day": [date(2024, 6, 30), date(2024, 1, 10), date(2023, 3, 1)]}
    con = duckdb.connect()
    con.register("orders", lines)
    for with_ids in (True, False):
        roles = {"customer_id": "cid", "order_date": "d", "amount": "a", **({"order_id": "o"} if with_ids else {})}
        types = {"cid": "int64", "d": "date", "a": "float64", **({"o": "string"} if with_ids else {})}
        for dialect in ("postgres", "bigquery", "snowflake"):
            sql = wh.feature_sql(types, ColumnMapping("transactions", roles), table="orders",
                                 as_of=date(2024, 6, 30), today=TODAY, dialect=dialect)
            parsed = sqlglot.parse_one(sql, read=dialect)
            keys = sorted(len(g.expressions) for g in parsed.find_all(sqlglot.exp.Group))
            assert keys == ([1, 2] if with_ids else [1]), (dialect, with_ids, keys)
            got = con.execute(parsed.sql(dialect="duckdb")).df().sort_values("cid", ignore_index=True)
            got["cid"] = got["cid"].astype(str)
            want = expected[with_ids].assign(**days)
            got = got[want.columns].astype({"frequency": "int64", "orders_total": "int64"})
            got[["first_day", "last_day"]] = got[["first_day", "last_day"]].apply(lambda c: c.dt.date)
            pd.testing.assert_frame_equal(got, want, check_dtype=False, obj=f"{dialect}, order ids: {with_ids}")


def test_order_ids_that_differ_only_by_spaces_are_one_order_in_sql(tmp_path):
    # the customer ids are clean (compared as stored), but " A1 " is order A1 as in pandas
    text = "注文番号,会員番号,注文日,金額\nA1,c1,2024/05/01,100\n A1 ,c1,2024/05/02,50\nA2,c1,2024/06/01,30\n"
    path = tmp_path / "spaced_ids.csv"
    path.write_text(text, encoding="utf-8")
    _, pandas_features = _pandas_features(path)
    sql = _sql_features(str(path)).features.frame
    _same(pandas_features.frame, sql)
    assert sql.loc["c1", "orders_total"] == 2


def test_checks_give_the_same_counts_in_one_grouped_scan_and_per_column(fixture_csv, monkeypatch):
    with wh.open_source(str(fixture_csv)) as src:
        mapping = wh.source_mapping(src)
        q, rules = wh.run_checks(src.table, mapping, clean_ids=False, today=TODAY, as_of=AS_OF)
        monkeypatch.setattr(wh.checks, "CHECK_GROUPS_MAX", 1)  # too many combinations: one query per column
        q2, rules2 = wh.run_checks(src.table, mapping, clean_ids=False, today=TODAY, as_of=AS_OF)
    # 13 lines: one without an id, one unreadable date; A9 (2024-07-02) is after the as-of date
    assert q == q2 == {"rows_read": 13, "missing_customer_id": 1, "bad_date": 1, "bad_amount": 0,
                       "future_date": 0, "rows_after_as_of": 1, "latest": date(2024, 7, 2)}
    assert rules == rules2
    assert rules.return_values == ("返品",)
    assert rules.coupon_values == ("SPRING",)


def test_fallback_checks_give_the_same_features(fixture_csv, monkeypatch):
    expected = _sql_features(str(fixture_csv))
    monkeypatch.setattr(wh.checks, "CHECK_GROUPS_MAX", 1)
    result = _sql_features(str(fixture_csv))
    _same(expected.features.frame, result.features.frame)
    assert result.report == expected.report


def test_frame_from_an_unordered_warehouse_result_is_sorted():
    import pyarrow as pa

    day = pa.array([date(2024, 6, 1), None, date(2024, 1, 1)], pa.date32())
    table = pa.table({"cid": ["b", "a", "B"], "monetary": [1.0, 2.0, 3.0], "revenue_total": [1.0, 2.0, 3.0],
                      "gross": [4.0, 0.0, 3.0], "returns_amount": [0.0, -2.0, 0.0],
                      "orders_total": pa.array([2, None, 1], pa.int64()), "frequency": [1, 0, 1],
                      "discounted_orders": [1, 0, 0], "first_day": day, "last_day": day})
    f = wh.query._features_frame(table, date(2024, 6, 30), 365)
    assert f.index.tolist() == ["B", "a", "b"]  # code point order, as pandas sorts
    assert f["recency_days"].tolist()[0] == 181 and np.isnan(f.loc["a", "recency_days"])
    assert f["aov"].tolist()[2] == 0.5 and f.loc["a", "orders_total"] == 0  # net 1.0 over 2 orders
    assert f.loc["b", "last_order"] == pd.Timestamp("2024-06-01") and pd.isna(f.loc["a", "first_order"])
    assert wh.query._in_order(pa.array(["B", "a", "b"])) and not wh.query._in_order(pa.array(["a", "B"]))


@pytest.mark.slow
def test_csv_that_turns_out_to_be_cp932_after_the_first_megabyte(tmp_path, monkeypatch):
    # more than 1 MB of plain ASCII, then a 返品 line in CP932: found by the first scan, transcoded, redone
    lines = ["注文番号,会員番号,注文日,金額,取引区分"]
    lines += [f"A{i},{i % 500:04d},2024/05/{1 + i % 28:02d},{100 + i % 7},buy" for i in range(40_000)]
    lines += ["R1,0001,2024/06/01,300,返品", "B1,0001,2024/06/02,900,購入"]
    path = tmp_path / "late_cp932.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("cp932"))
    assert path.stat().st_size > (1 << 20)
    _, pandas_features = _pandas_features(path)
    transcoded = []
    real = wh.source._transcode_cp932
    monkeypatch.setattr(wh.source, "_transcode_cp932", lambda *a: transcoded.append(a) or real(*a))
    result = _sql_features(str(path))
    assert len(transcoded) == 1  # not at opening (the head is ASCII): on the first scan's error
    _same(pandas_features.frame, result.features.frame)
    row = result.features.frame.loc["0001"]
    assert row["returns_amount"] == -300.0  # the positive 返品 amount was turned negative
    assert result.report["rows_read"] == 40_002


def test_integer_order_ids_are_grouped_as_stored(tmp_path):
    # order 7 spans two lines and two days (one order, dated by 05-01); a line without an order id
    # makes the customer's "blank id" order; 70 is another order, not 7 again
    text = "注文番号,会員番号,注文日,金額\n7,c1,2024/05/02,100\n7,c1,2024/05/01,200\n70,c1,2024/06/01,50\n" \
           ",c1,2024/06/10,30\n,c1,2024/06/11,20\n8,c2,2024/06/01,500\n"
    path = tmp_path / "ints.csv"
    path.write_text(text, encoding="utf-8")
    _, pandas_features = _pandas_features(path)
    con = duckdb.connect()
    parquet = tmp_path / "ints.parquet"
    con.execute(f"""COPY (SELECT 注文番号::BIGINT AS 注文番号, 会員番号, strptime(注文日, '%Y/%m/%d')::DATE AS 注文日,
                    金額::DOUBLE AS 金額 FROM read_csv('{path}', all_varchar=true))
                    TO '{parquet}' (FORMAT parquet)""")
    con.close()
    with wh.open_source(str(parquet)) as src:
        assert src.table.schema()["注文番号"].is_integer()
    f = _sql_features(str(parquet)).features.frame
    _same(pandas_features.frame, f)
    assert f.loc["c1", "orders_total"] == 3  # 7, 70 and the blank id
    assert f.loc["c1", "last_order"] == pd.Timestamp("2024-06-10")
