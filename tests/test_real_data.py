"""Real exports through the same code as the app and the command line:
UCI Online Retail (541,909 invoice lines: cancellations, lines without customer,
zero prices, postage and fee codes) and CDNOW (whitespace separated, CRLF).

The expected figures are computed independently inside each test with plain
pandas (pd.read_csv, groupby), following the README's rules, and compared with
the quality report and the customer features.  The files are read from
../shared/datasets beside the repository (CI always has it); the tests skip, with
the reason, only when that folder is absent.

Fee lines (README "What the numbers mean"): Online Retail's non-product codes
(POST, DOT, C2 carriage, M manual, D discount, CRUK, BANK CHARGES, AMAZONFEE, …)
are read through the product_code role (StockCode).  Such a line keeps its money
in monetary value (postage the customer paid, a discount credited) but never
makes an order on its own: 130 invoices made only of such lines are not orders.
The tests below apply that rule with their own list of codes (FEE_CODES), not the
app's data file.  AMAZONFEE lines have no customer id and are excluded for that.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from loyalty.pipeline import InputFile, build_features, load_dataset
from tests.helpers import ROOT, DATASETS

RETAIL = DATASETS / "online_retail" / "online_retail.csv.gz"
CDNOW = DATASETS / "cdnow" / "CDNOW_master.txt"

pytestmark = [pytest.mark.slow,  # every test here reads a real dataset (Online Retail: 541,909 lines)
              pytest.mark.skipif(not DATASETS.is_dir(), reason=f"{DATASETS} (the shared real datasets) is absent")]

FEE_CODES = ["POST", "DOT", "C2", "M", "D", "S", "B", "CRUK", "PADS", "BANK CHARGES", "AMAZONFEE"]


def _fee(df: pd.DataFrame) -> pd.Series:
    """Online Retail lines whose StockCode is a fee/postage/adjustment code (any case, trimmed)."""
    return df["StockCode"].str.strip().str.upper().isin(FEE_CODES)


# ----------------------------------------------------------------------------- independent computation


def _rfm(lines: pd.DataFrame, as_of: pd.Timestamp, window_days: int = 365) -> pd.DataFrame:
    """Recency, frequency and monetary per customer, the README's way, in plain pandas.

    ``lines`` has customer, day, amount, quantity and order (one order per distinct
    order value; without order ids pass a unique value per line), and optionally
    fee (True for postage/fee lines: money, but never an order on their own).
    """
    start = as_of - pd.Timedelta(days=window_days)
    lines = lines[lines["day"] <= as_of]
    is_return = (lines["amount"] < 0) | (lines["quantity"] < 0)
    fee = lines["fee"] if "fee" in lines else False
    purchases = lines[(lines["amount"] > 0) & ~is_return & ~fee]
    orders = purchases.groupby(["customer", "order"])["day"].min().reset_index()
    last = orders.groupby("customer")["day"].max()
    customers = pd.Index(sorted(lines["customer"].unique()), name="customer_id")
    return pd.DataFrame({
        "recency_days": (as_of - last).dt.days.reindex(customers),  # NaN: never ordered
        "frequency": orders[orders["day"] > start].groupby("customer").size().reindex(customers, fill_value=0),
        "monetary": lines[lines["day"] > start].groupby("customer")["amount"].sum().reindex(customers,
                                                                                             fill_value=0.0),
    })


def _same_table(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Every customer's recency, frequency and monetary value agree."""
    assert got.index.tolist() == expected.index.tolist()
    np.testing.assert_array_equal(got["recency_days"].to_numpy(dtype=float),
                                  expected["recency_days"].to_numpy(dtype=float))
    np.testing.assert_array_equal(got["frequency"].to_numpy(), expected["frequency"].to_numpy())
    np.testing.assert_allclose(got["monetary"].to_numpy(), expected["monetary"].to_numpy(), atol=1e-6)


@pytest.fixture(scope="module")
def retail_pandas() -> pd.DataFrame:
    return pd.read_csv(RETAIL, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str, "Description": str})


@pytest.fixture(scope="module")
def retail():
    return load_dataset([InputFile(RETAIL.name, RETAIL.read_bytes())])


@pytest.fixture(scope="module")
def cdnow_pandas() -> pd.DataFrame:
    return pd.read_csv(CDNOW, sep=r"\s+", dtype={"customer_id": str, "date": str})


@pytest.fixture(scope="module")
def cdnow():
    return load_dataset([InputFile(CDNOW.name, CDNOW.read_bytes())])


# ----------------------------------------------------------------------------- Online Retail


def test_online_retail_quality_report(retail, retail_pandas):
    df = retail_pandas
    r = retail.transactions.report
    assert len(df) == 541_909 and r.rows_read == 541_909
    no_id = int(df["CustomerID"].isna().sum())
    assert no_id == 135_080
    assert r.excluded_by_reason == {"totals_row": 0, "missing_customer_id": no_id, "bad_date": 0, "bad_amount": 0,
                                    "other_currency": 0, "field_count": 0, "future_date": 0, "duplicate": 0}
    assert r.rows_used == 541_909 - 135_080 == 406_829 and r.balanced()
    with_id = df[df["CustomerID"].notna()]
    amount = with_id["Quantity"] * with_id["UnitPrice"]
    cancelled = with_id["InvoiceNo"].str.startswith("C")
    assert int(cancelled.sum()) == 8_905
    returns = (amount < 0) | (with_id["Quantity"] < 0)
    assert r.returns == int(returns.sum()) == 8_905 and (returns == cancelled).all()
    assert r.returns_amount == pytest.approx(float(amount[returns].sum()))
    assert r.zero_amount == int(((with_id["UnitPrice"] == 0)).sum()) == 40
    assert r.duplicates == int(df.duplicated().sum()) == 5_268 and not r.duplicates_dropped
    assert (r.excluded["reason"] == "missing_customer_id").all()
    assert r.excluded["row"].tolist()[:3] == (np.flatnonzero(df["CustomerID"].isna())[:3] + 2).tolist()
    assert r.fee_lines == int((_fee(df) & df["CustomerID"].notna()).sum()) == 1_920
    f = r.files[0]
    assert (f["encoding"], f["delimiter"], f["date_format"]) == ("utf-8", ",", "YYYY-MM-DD + time")
    assert f["mapping"] == {"customer_id": "CustomerID", "order_date": "InvoiceDate", "quantity": "Quantity",
                            "unit_price": "UnitPrice", "order_id": "InvoiceNo", "product": "Description",
                            "product_code": "StockCode"}


def test_online_retail_fee_and_postage_lines_are_kept_and_flagged(retail, retail_pandas):
    df = retail_pandas
    fee = df["StockCode"].isin(FEE_CODES).to_numpy()
    has_id = df["CustomerID"].notna().to_numpy()
    line = np.arange(len(df)) + 2  # the header is line 1
    used = set(retail.transactions.frame["row"].tolist())
    assert all(r in used for r in line[fee & has_id])
    reasons = retail.transactions.report.excluded.set_index("row")["reason"]
    assert (reasons.loc[line[fee & ~has_id]] == "missing_customer_id").all()
    counts = df.loc[fee & has_id, "StockCode"].value_counts().to_dict()
    assert counts == {"POST": 1196, "M": 465, "C2": 134, "D": 77, "DOT": 16, "CRUK": 16, "BANK CHARGES": 12,
                      "PADS": 4}
    assert int((df["StockCode"] == "AMAZONFEE").sum()) == 34 and not has_id[df["StockCode"] == "AMAZONFEE"].any()
    frame = retail.transactions.frame.set_index("row")
    any_case = _fee(df).to_numpy()
    assert frame.loc[line[any_case & has_id], "is_fee"].all()
    assert int(frame["is_fee"].sum()) == int((any_case & has_id).sum())


def test_online_retail_invoices_of_fee_lines_only_are_not_orders(retail, retail_pandas):
    df = retail_pandas[retail_pandas["CustomerID"].notna()]
    amount = df["Quantity"] * df["UnitPrice"]
    purchase = (amount > 0) & (df["Quantity"] >= 0)
    fee = _fee(df)
    only_fees = df[purchase].assign(fee=fee[purchase]).groupby("InvoiceNo")["fee"].all()
    assert int(only_fees.sum()) == 130
    with_product = df[purchase & ~fee][["CustomerID", "InvoiceNo"]].drop_duplicates()
    every_invoice = df[purchase][["CustomerID", "InvoiceNo"]].drop_duplicates()
    assert len(every_invoice) - len(with_product) == 130
    feats = build_features(retail, as_of=dt.date(2011, 12, 9))
    assert int(feats.frame["orders_total"].sum()) == len(with_product)


def test_online_retail_customers_rfm_match_an_independent_computation(retail, retail_pandas):
    df = retail_pandas[retail_pandas["CustomerID"].notna()]
    lines = pd.DataFrame({
        "customer": df["CustomerID"],
        "day": pd.to_datetime(df["InvoiceDate"]).dt.normalize(),
        "amount": df["Quantity"] * df["UnitPrice"],
        "quantity": df["Quantity"],
        "order": df["InvoiceNo"],
        "fee": _fee(df),
    })
    as_of = lines["day"].max()
    assert as_of == pd.Timestamp("2011-12-09")
    expected = _rfm(lines, as_of)
    feats = build_features(retail)
    assert feats.as_of == dt.date(2011, 12, 9) and len(feats.frame) == lines["customer"].nunique() == 4_372
    # 12346: one huge order, cancelled the same day; 17850: active only before the window;
    # 14911 and 12583: many postage/fee lines; 12748 and 16446: active on the as-of day
    for cid in ["12346", "12347", "17850", "14911", "12583", "12748", "16446", "15098"]:
        got = feats.frame.loc[cid]
        exp = expected.loc[cid]
        assert got["recency_days"] == exp["recency_days"], cid
        assert got["frequency"] == exp["frequency"], cid
        assert got["monetary"] == pytest.approx(exp["monetary"], abs=1e-6), cid
    assert feats.frame.loc["12346", ["frequency", "monetary"]].tolist() == [1, 0]
    assert feats.frame.loc["17850", "frequency"] == 0 and feats.frame.loc["17850", "monetary"] < 0
    # the whole table agrees, not only the sample
    _same_table(feats.frame, expected)
    assert feats.frame["recency_days"].isna().sum() > 0  # customers with only returns never ordered


def test_online_retail_postage_counts_in_monetary_value(retail, retail_pandas):
    df = retail_pandas[(retail_pandas["CustomerID"] == "12583")]
    day = pd.to_datetime(df["InvoiceDate"]).dt.normalize()
    in_window = day > pd.Timestamp("2010-12-09")
    amount = df["Quantity"] * df["UnitPrice"]
    postage = amount[in_window & (df["StockCode"] == "POST")].sum()
    assert postage > 0
    got = build_features(retail).frame.loc["12583", "monetary"]
    assert got == pytest.approx(amount[in_window].sum())
    assert got != pytest.approx(amount[in_window & (df["StockCode"] != "POST")].sum())


def test_online_retail_command_line_quality_json():
    res = subprocess.run([sys.executable, "-m", "loyalty", "quality", "--json", str(RETAIL)], cwd=ROOT,
                         capture_output=True, timeout=300)
    assert res.returncode == 0, res.stderr.decode()
    r = json.loads(res.stdout)["transactions"]
    assert (r["rows_read"], r["rows_used"], r["rows_excluded"]) == (541_909, 406_829, 135_080)
    assert r["excluded_by_reason"]["missing_customer_id"] == 135_080
    assert (r["returns"], r["zero_amount"], r["duplicates"]) == (8_905, 40, 5_268)
    assert r["fee_lines"] == 1_920


# ----------------------------------------------------------------------------- CDNOW


def test_cdnow_master_quality_report(cdnow, cdnow_pandas):
    raw = CDNOW.read_bytes()
    assert b"\r\n" in raw and raw.count(b"\r\n") == 69_660  # header + 69,659 lines, CRLF
    df = cdnow_pandas
    r = cdnow.transactions.report
    assert (r.rows_read, r.rows_used, r.rows_excluded) == (len(df), len(df), 0) == (69_659, 69_659, 0)
    assert r.duplicates == int(df.duplicated().sum())
    assert r.zero_amount == int((df["dollar_value"] == 0).sum()) == 80
    assert r.returns == 0
    f = r.files[0]
    assert (f["delimiter"], f["date_format"]) == ("whitespace", "YYYYMMDD")
    assert f["mapping"] == {"customer_id": "customer_id", "order_date": "date", "amount": "dollar_value",
                            "quantity": "number_of_cds"}


def test_cdnow_customers_rfm_match_an_independent_computation(cdnow, cdnow_pandas):
    df = cdnow_pandas
    lines = pd.DataFrame({
        "customer": df["customer_id"],
        "day": pd.to_datetime(df["date"], format="%Y%m%d"),
        "amount": df["dollar_value"].astype(float),
        "quantity": df["number_of_cds"].astype(float),
        "order": np.arange(len(df)),  # no order id: every line is an order
    })
    as_of = lines["day"].max()
    assert as_of == pd.Timestamp("1998-06-30")
    expected = _rfm(lines, as_of)
    feats = build_features(cdnow)
    assert len(feats.frame) == 23_570 and feats.frame.index[0] == "00001"  # leading zeros kept
    for cid in ["00001", "00002", "00004", "00018", "01066", "07592", "23569"]:
        got, exp = feats.frame.loc[cid], expected.loc[cid]
        assert got["recency_days"] == exp["recency_days"], cid
        assert (got["frequency"], round(got["monetary"], 2)) == (exp["frequency"], round(exp["monetary"], 2)), cid
    assert feats.frame.loc["00001", ["recency_days", "frequency", "monetary"]].tolist() == [545, 0, 0]
    _same_table(feats.frame, expected)


def test_cdnow_command_line_quality_json():
    res = subprocess.run([sys.executable, "-m", "loyalty", "quality", "--json", str(CDNOW)], cwd=ROOT,
                         capture_output=True, timeout=300)
    assert res.returncode == 0, res.stderr.decode()
    r = json.loads(res.stdout)["transactions"]
    assert (r["rows_read"], r["rows_used"], r["rows_excluded"], r["zero_amount"]) == (69_659, 69_659, 0, 80)


# ----------------------------------------------------------------------------- the app


@pytest.mark.parametrize("path, read, used", [(CDNOW, "69,659", "69,659"), (RETAIL, "541,909", "406,829")],
                         ids=["cdnow", "online_retail"])
def test_the_app_reads_the_real_exports(path, read, used):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="w_upload").set_value((path.name, path.read_bytes(), "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["読み込んだ行"], metrics["使った行"]) == (read, used)
