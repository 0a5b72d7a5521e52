"""Ordinary business exports that used to give wrong figures silently (issue 15, section 2).

The files are made at test time by ``tests/data/make_corpus_exports.py`` (into the
git-ignored ``tests/data/generated/exports/``).  For every file the outcome is written
here by hand: the rows read, used and excluded under each reason (with their row
numbers), the notes, or the refusal.  R/F/M of every customer are compared with an
independent computation in plain pandas on the file's real lines (``TX_TRUTH`` /
``CU_TRUTH`` of the generator: the orders and customers a person reading the file
sees), never with our pipeline's own code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loyalty import definition as defn
from loyalty.errors import LoyaltyError
from loyalty.ltv import customer_ltv
from loyalty.pipeline import InputFile, build_features, load_dataset

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "data"))
import make_corpus_exports as corpus  # noqa: E402

TODAY = dt.date(2025, 1, 1)


@dataclasses.dataclass(frozen=True)
class Read:
    """A file that is read: rows read / used, the excluded rows by reason with their row
    numbers, the note keys, and the currency the data is in."""

    read: int
    used: int
    excluded: dict[str, list[int]] = dataclasses.field(default_factory=dict)
    notes: tuple[str, ...] = ()
    currency: str = "JPY"


@dataclasses.dataclass(frozen=True)
class Refused:
    """A file that is refused: words of the Japanese message."""

    words: str
    currency: str = "JPY"


EXPECTED = {
    # 1. totals rows: their own reason, after "no customer id" (DESIGN's order), with a note for those without an id
    "tx_totals_bottom_cp932.csv": Read(10, 9, {"totals_row": [11]}),
    # subtotal lines whose id cell is empty: "no customer id" (the order begins there), and a note
    "tx_subtotals_label_bom.tsv": Read(16, 9, {"missing_customer_id": [3, 5, 7, 9, 11, 16, 17]},
                                      ("note.totals_without_id",)),
    "tx_grand_total_title.xlsx": Read(10, 9, {"totals_row": [14]}),
    "cu_totals_bottom.csv": Read(7, 6, {"totals_row": [8]}),
    "cu_totals_two_header_rows.xlsx": Read(8, 6, {"totals_row": [6, 10]}),
    "cu_totals_fullwidth_cp932.csv": Read(9, 6, {"missing_customer_id": [10], "totals_row": [8, 9]},
                                         ("note.totals_without_id",)),
    # 2. a customer table split across files (each alone here; together below)
    "cu_east.csv": Read(4, 4),
    "cu_west_cp932.csv": Read(4, 4),
    "cu_attributes.xlsx": Read(3, 3),
    # 3. return markers with a positive amount: used, made negative, not orders
    "tx_return_words_cp932.csv": Read(19, 19),
    "tx_return_readings.tsv": Read(14, 14),
    "tx_return_words.xlsx": Read(15, 15),
    # 4. not finite or beyond LOYALTY_MAX_AMOUNT (quantity × unit price too): bad amounts
    "tx_inf_nan_huge.csv": Read(18, 10, {"bad_amount": [11, 12, 13, 14, 15, 16, 17, 18]}),
    "tx_qty_price_overflow.tsv": Read(13, 9, {"bad_amount": [11, 12, 13, 14]}),
    "cu_nonfinite.xlsx": Read(5, 3, {"bad_value": [3, 4]}, ("note.customer_cells_blank",)),
    # 5. currency codes: read in the data's currency, another currency excluded or refused
    "tx_jpy_codes.csv": Read(9, 9),
    "tx_usd_codes.csv": Read(5, 5, currency="USD"),
    "tx_mixed_currencies_cp932.csv": Read(11, 9, {"other_currency": [11, 12]}, ("note.amount_currencies",)),
    "tx_gbp.xlsx": Read(3, 3, currency="GBP"),
    "cu_currency_codes.csv": Read(4, 3, {"bad_value": [5]}, ("note.amount_currencies",)),
    # 6. the same file twice (each alone here; together below)
    "tx_twin_a.csv": Read(9, 9),
    "tx_twin_b.csv": Read(9, 9),
    "tx_twin_saved_as.xlsx": Read(9, 9),
    # 7. recency units and outcome columns
    "cu_hillstrom_like.csv": Read(10, 10, notes=("note.recency_unit_guess.months",)),
    "cu_recency_weeks.tsv": Read(8, 8, notes=("note.recency_unit_guess.weeks",)),
    "cu_recency_header_months_cp932.csv": Read(4, 4),
    "cu_recency_days_header.csv": Read(3, 3),
    # 8. bought and cancelled
    "tx_bought_and_cancelled.csv": Read(7, 7),
    # 9. hostile definition files
    "def_weight_infinity.json": Refused("JSON に Infinity という値は使えません"),
    "def_weight_1e308.json": Refused("項目「factors[0].weight」: 有限の数値を 0〜100 の範囲で書いてください"),
    "def_deep.json": Refused("ファイルの入れ子が深すぎます"),
    "def_nan_cut.json": Refused("JSON に NaN という値は使えません"),
}
DATA_FILES = sorted(k for k, v in EXPECTED.items() if isinstance(v, Read))


@pytest.fixture(scope="module")
def files() -> dict[str, Path]:
    return corpus.make()


def _load(files, *names: str, currency: str = "JPY", **kw):
    money = {"currency": currency} if currency != "JPY" else {}  # yen: the default
    return load_dataset([InputFile(n, files[n].read_bytes(), **kw) for n in names], today=TODAY, **money)


def test_every_file_of_the_corpus_has_a_hand_written_outcome(files):
    assert len(files) >= 25
    assert set(files) == set(EXPECTED)
    assert set(corpus.TX_TRUTH) | set(corpus.CU_TRUTH) == set(DATA_FILES) - {"cu_attributes.xlsx"}


# ----------------------------------------------------------------------- every row counted


@pytest.mark.parametrize("name", DATA_FILES)
def test_every_row_is_used_or_excluded_under_its_reason_with_its_row_number(files, name):
    exp = EXPECTED[name]
    ds = _load(files, name, currency=exp.currency)
    part = ds.transactions if ds.transactions is not None else ds.customers
    if ds.transactions is not None:
        r = part.report
        read, used, by_reason, notes = r.rows_read, r.rows_used, r.excluded_by_reason, r.notes
        assert r.balanced()
    else:
        read, used, by_reason, notes = part.rows_read, part.rows_used, part.excluded_by_reason, part.notes
    assert (read, used) == (exp.read, exp.used)
    assert {k: v for k, v in by_reason.items() if v} == {k: len(rows) for k, rows in exp.excluded.items()}
    excluded = part.report.excluded if ds.transactions is not None else part.excluded
    assert read == used + len(excluded)
    got = {reason: sorted(g["row"].tolist()) for reason, g in excluded.groupby("reason")}
    assert got == exp.excluded
    assert set(excluded["file"]) <= {name}
    assert tuple(k for k, _ in notes) == exp.notes


# ------------------------------------------------------------- R/F/M against plain pandas


def _rfm_from_lines(lines: list, window: int = 365) -> pd.DataFrame:
    """Recency, frequency and monetary per customer, the README's way, in plain pandas."""
    df = pd.DataFrame([dataclasses.asdict(t) for t in lines])
    df["day"] = pd.to_datetime(df["day"])
    as_of = df["day"].max()
    start = as_of - pd.Timedelta(days=window)
    monetary = df[df["day"] > start].groupby("customer")["amount"].sum()
    orders = df[df["is_order"]].groupby(["customer", "order"])["day"].min()  # an order's date: its earliest line
    last = orders.groupby(level=0).max()
    out = pd.DataFrame(index=sorted(df["customer"].unique()))
    out["recency_days"] = (as_of - last).dt.days.reindex(out.index).astype(float)
    out["frequency"] = (orders > start).groupby(level=0).sum().reindex(out.index, fill_value=0).astype(float)
    out["monetary"] = monetary.reindex(out.index, fill_value=0.0)
    return out


def _compare(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert sorted(got.index) == sorted(expected.index)
    for col in expected.columns:
        if expected[col].isna().all() and col not in got:
            continue  # not in this file (Hillstrom has no frequency)
        a = got.loc[expected.index, col].to_numpy(dtype=float)
        b = expected[col].to_numpy(dtype=float)
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9, equal_nan=True, err_msg=col)


@pytest.mark.parametrize("name", sorted(corpus.TX_TRUTH))
def test_transaction_files_give_the_rfm_of_their_real_lines(files, name):
    ds = _load(files, name, currency=EXPECTED[name].currency)
    _compare(build_features(ds).frame, _rfm_from_lines(corpus.TX_TRUTH[name]))


def _customers(truth: list) -> pd.DataFrame:
    return pd.DataFrame([dataclasses.asdict(c) for c in truth]).set_index("customer")


@pytest.mark.parametrize("name", sorted(corpus.CU_TRUTH))
def test_customer_tables_give_the_rfm_of_their_real_customers(files, name):
    ds = _load(files, name, currency=EXPECTED[name].currency)
    _compare(build_features(ds).frame, _customers(corpus.CU_TRUTH[name]))


# ------------------------------------------------------------------------- item by item


def test_a_totals_row_no_longer_becomes_the_top_customer(files):
    for name in ("tx_totals_bottom_cp932.csv", "tx_grand_total_title.xlsx", "tx_subtotals_label_bom.tsv"):
        f = build_features(_load(files, name)).frame
        assert f.index.tolist() == ["C001", "C002", "C003", "C004", "C005"], name
        assert f["monetary"].sum() == 254000.0  # the window's net; the 合計 line (261,000) is not added
    for name in ("cu_totals_bottom.csv", "cu_totals_fullwidth_cp932.csv", "cu_totals_two_header_rows.xlsx"):
        f = build_features(_load(files, name)).frame
        assert f.index.tolist() == ["K001", "K002", "K003", "K004", "K005", "K006"], name


def test_a_customer_table_split_east_and_west_is_stacked_and_the_shared_id_counted_once(files):
    ds = _load(files, "cu_east.csv", "cu_west_cp932.csv", "cu_attributes.xlsx")
    c = ds.customers
    # east and west have the same roles (their headers differ: 顧客ID / 会員番号, 累計購入金額 / 購入金額)
    assert (c.rows_read, c.rows_used) == (11, 10)
    assert c.excluded_by_reason["duplicate_customer_id"] == 1
    assert c.excluded[["file", "row", "reason"]].values.tolist() == [["cu_west_cp932.csv", 4, "duplicate_customer_id"]]
    assert c.notes == [("note.customers_in_two_files", {"count": 1, "file": "cu_west_cp932.csv", "first": "cu_east.csv"})]
    f = build_features(ds).frame
    east, west = corpus.CU_TRUTH["cu_east.csv"], corpus.CU_TRUTH["cu_west_cp932.csv"]
    _compare(f[["recency_days", "frequency", "monetary"]],
             _customers(east + [w for w in west if w.customer != "S99"]))
    # the attribute table (other roles) is joined by id
    assert f.loc["W01", "monetary"] == 250000.0 and f.loc["W01", "nps"] == 10 and f.loc["E01", "age_band"] == "30代"
    assert f.loc["S99", "monetary"] == 64000.0  # east's row, the first, is kept


def test_return_words_are_returns_and_lookalikes_are_not(files):
    tx = _load(files, "tx_return_words_cp932.csv").transactions
    f = tx.frame
    marked = f["transaction_type"].isin(["ﾍﾝﾋﾟﾝ", "ｷｬﾝｾﾙ", "売上戻り", "戻り", "返金", "返品戻入", "赤伝", "マイナス伝票"])
    assert marked.sum() == 8 and f.loc[marked, "is_return"].all() and (f.loc[marked, "amount"] == -1000).all()
    assert not f.loc[marked, "is_order_line"].any()
    assert tx.report.sign_flipped == 8
    c6 = f[f["customer_id"] == "C006"]  # リターンズ セット (a product) and 戻り便 (a delivery leg) are purchases
    assert c6["is_order_line"].tolist() == [True, True] and c6["amount"].tolist() == [3300.0, 2200.0]
    readings = _load(files, "tx_return_readings.tsv").transactions
    assert readings.report.sign_flipped == 5 and readings.report.returns_amount == -2500.0


def test_infinite_and_huge_amounts_never_reach_a_sum(files):
    f = build_features(_load(files, "tx_inf_nan_huge.csv")).frame
    assert np.isfinite(f["monetary"]).all()
    assert f.loc["C001", "monetary"] == 50000.0 and f.loc["C008", "monetary"] == 1e13  # at the bound: read
    g = build_features(_load(files, "tx_qty_price_overflow.tsv")).frame
    assert np.isfinite(g["monetary"]).all() and g["monetary"].max() == 150000.0
    c = _load(files, "cu_nonfinite.xlsx").customers
    assert c.notes == [("note.customer_cells_blank", {"file": "cu_nonfinite.xlsx", "column": "NPS", "count": 1,
                                                      "rows": "5"})]
    assert np.isnan(c.frame.loc["M04", "nps"]) and c.frame.loc["M05", "nps"] == 10


def test_amounts_with_currency_codes(files):
    # in yen, every JPY spelling is read; in dollars the file is refused, saying which currency it names
    assert build_features(_load(files, "tx_jpy_codes.csv")).frame["monetary"].sum() == 254000.0
    with pytest.raises(LoyaltyError) as exc:
        _load(files, "tx_usd_codes.csv")
    msg = exc.value.message("ja")
    assert "tx_usd_codes.csv" in msg and "USD で書かれていますが、データの通貨は JPY" in msg and "--currency USD" in msg
    usd = build_features(_load(files, "tx_usd_codes.csv", currency="USD")).frame
    assert usd["monetary"].to_dict() == {"U01": 52.5, "U02": 0.0, "U03": 120.0}
    mixed = _load(files, "tx_mixed_currencies_cp932.csv").transactions.report
    assert mixed.notes == [("note.amount_currencies", {"file": "tx_mixed_currencies_cp932.csv", "column": "金額",
                                                       "counts": "JPY 9、USD 2", "currency": "JPY", "other": 2})]
    gbp = build_features(_load(files, "tx_gbp.xlsx", currency="GBP")).frame
    assert gbp["monetary"].to_dict() == {"G01": 17.0, "G02": 12.0}


def test_the_same_file_twice_or_saved_as_xlsx_counts_once(files):
    ds = _load(files, "tx_twin_a.csv", "tx_twin_b.csv", "tx_twin_saved_as.xlsx")
    assert ds.ignored == [{"file": "tx_twin_b.csv", "same_as": "tx_twin_a.csv", "how": "bytes"},
                          {"file": "tx_twin_saved_as.xlsx", "same_as": "tx_twin_a.csv", "how": "table"}]
    assert ds.transactions.report.rows_read == 9
    _compare(build_features(ds).frame, _rfm_from_lines(corpus.TX_TRUTH["tx_twin_a.csv"]))


def test_recency_units_and_the_purchase_history_as_monetary(files):
    c = _load(files, "cu_hillstrom_like.csv").customers
    assert c.mapping.column("monetary") == "history"  # not the post-campaign spend
    (unit,) = c.recency
    assert (unit.unit, unit.source, unit.max_value, unit.asked) == ("months", "values", 12.0, True)
    days = _load(files, "cu_hillstrom_like.csv", recency_unit="days")
    assert days.customers.frame["recency_days"].max() == 12.0  # the user's choice wins
    weeks = _load(files, "cu_recency_weeks.tsv").customers.recency[0]
    assert (weeks.unit, weeks.asked) == ("weeks", True)
    by_header = _load(files, "cu_recency_header_months_cp932.csv").customers.recency[0]
    assert (by_header.unit, by_header.source, by_header.asked) == ("months", "header", False)
    small_days = _load(files, "cu_recency_days_header.csv").customers.recency[0]
    assert (small_days.unit, small_days.source, small_days.asked) == ("days", "header", False)


def test_ltv_of_a_bought_and_cancelled_order_is_its_net(files):
    f = build_features(_load(files, "tx_bought_and_cancelled.csv")).frame
    ltv = customer_ltv(f)
    assert ltv["16446"] == pytest.approx(2.90) and ltv["12346"] == 0.0 and ltv["17000"] == 150.0


@pytest.mark.parametrize("name", sorted(k for k, v in EXPECTED.items() if isinstance(v, Refused)))
def test_hostile_definition_files_are_refused_with_a_message(files, name):
    with pytest.raises(LoyaltyError) as exc:
        defn.load(files[name])
    assert exc.value.file == name and EXPECTED[name].words in exc.value.message("ja")


# ------------------------------------------------------------------- the command line


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "loyalty", *args], cwd=ROOT, capture_output=True, timeout=180)


@pytest.mark.slow
def test_cli_quality_counts_totals_rows_and_names_the_ignored_copy(files):
    res = _cli("quality", "--json", str(files["tx_totals_bottom_cp932.csv"]), str(files["tx_twin_a.csv"]),
               str(files["tx_twin_b.csv"]))
    assert res.returncode == 0, res.stderr.decode()
    report = json.loads(res.stdout)
    assert report["transactions"]["excluded_by_reason"]["totals_row"] == 1
    assert report["transactions"]["rows_read"] == 19  # the copy's 9 rows are not read twice
    assert report["ignored_files"] == [{"file": "tx_twin_b.csv", "same_as": "tx_twin_a.csv", "how": "bytes"}]
    assert "「tx_twin_b.csv」は「tx_twin_a.csv」とまったく同じファイル" in res.stderr.decode()


@pytest.mark.slow
def test_cli_refuses_amounts_in_another_currency_and_reads_them_in_theirs(files):
    res = _cli("score", str(files["tx_usd_codes.csv"]))
    assert res.returncode == 2 and b"Traceback" not in res.stderr
    assert "USD で書かれていますが、データの通貨は JPY" in res.stderr.decode()
    ok = _cli("score", str(files["tx_usd_codes.csv"]), "--currency", "USD")
    assert ok.returncode == 0, ok.stderr.decode()
    assert b"U01,0,2,52.5" in ok.stdout


@pytest.mark.slow
def test_cli_refuses_hostile_definitions_with_exit_2(files):
    for name in ("def_deep.json", "def_weight_infinity.json"):
        res = _cli("score", str(files["tx_twin_a.csv"]), "--definition", str(files[name]))
        assert res.returncode == 2 and b"Traceback" not in res.stderr, name
        assert EXPECTED[name].words in res.stderr.decode()


@pytest.mark.slow
def test_cli_guesses_the_recency_unit_with_a_note_and_takes_an_option(files):
    path = str(files["cu_hillstrom_like.csv"])
    res = _cli("score", path)
    assert res.returncode == 0, res.stderr.decode()
    assert "月単位と推定して日数に換算しました" in res.stderr.decode()
    guessed = pd.read_csv(__import__("io").BytesIO(res.stdout), encoding="utf-8-sig").set_index("customer_id")
    forced = _cli("score", path, "--recency-unit", "days")
    assert forced.returncode == 0 and forced.stderr == b""
    as_days = pd.read_csv(__import__("io").BytesIO(forced.stdout), encoding="utf-8-sig").set_index("customer_id")
    # months: 1 → 30 days (R5), 2 → R4, 3 → R3, 4 → R2, 6 and more → R1; as days everyone is R5
    assert guessed["r_score"].value_counts().sort_index().to_dict() == {1: 4, 2: 2, 3: 1, 4: 1, 5: 2}
    assert as_days["r_score"].tolist() == [5] * 10


# ------------------------------------------------------------------------- real data

HILLSTROM = ROOT.parent / "shared" / "datasets" / "hillstrom" / "hillstrom.csv"


@pytest.mark.slow
def test_hillstrom_recency_is_read_in_months_and_history_is_monetary():
    # the Hillstrom e-mail data: recency = months since the last purchase (1-12), history =
    # the purchase history, spend = the two weeks after the e-mail.  Read as days everyone was
    # R5 and monetary was the post-campaign spend (mostly 0).  An id column is added: the file has none.
    if not HILLSTROM.exists():
        pytest.skip(f"the shared datasets folder is absent here ({HILLSTROM}); CI always has it")
    from loyalty.cli import score_table

    raw = pd.read_csv(HILLSTROM)
    raw.insert(0, "customer_id", [f"H{i:05d}" for i in range(len(raw))])
    ds = load_dataset([InputFile("hillstrom_ids.csv", raw.to_csv(index=False).encode())], today=TODAY)
    c = ds.customers
    assert (c.mapping.column("monetary"), c.recency[0].unit, c.recency[0].source) == ("history", "months", "values")
    scored = score_table(ds, defn.preset("b2c")).set_index("customer_id")
    # independently: months × 30 days against the BtoC cut points (R5 ≤ 30, R4 ≤ 60, R3 ≤ 90, R2 ≤ 179)
    days = raw.set_index("customer_id")["recency"] * 30
    expected = pd.Series(np.select([days <= 30, days <= 60, days <= 90, days <= 179], [5, 4, 3, 2], 1), index=days.index)
    assert (scored["r_score"] == expected.reindex(scored.index)).all()
    assert scored["r_score"].value_counts().sort_index().to_dict() == {1: 32020, 2: 9587, 3: 5904, 4: 7537, 5: 8952}
    np.testing.assert_allclose(scored["monetary"].to_numpy(), raw.set_index("customer_id")["history"]
                               .reindex(scored.index).to_numpy())
