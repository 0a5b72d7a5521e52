"""The fast paths of the pipeline give exactly what the plain definitions give.

quality: exact duplicates are found through a hash pre-filter, and order keys
through integer codes; features: orders are collapsed with numpy instead of a
groupby; scoring: points come from lookup tables.  Each is checked here against
a straightforward pandas formulation on random tables built to hit the edge
cases (repeated rows, blank and missing order ids, returns, lines after as-of,
customers without orders, missing factor values).
"""

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty import definition as defn
from loyalty.features import build_features
from loyalty.pipeline import InputFile, load_dataset
from loyalty.line_keys import combine_codes, duplicated_rows, order_id_codes
from loyalty.scoring import Scorer

TODAY = date(2025, 1, 1)


def _csv(rows: list[tuple]) -> InputFile:
    lines = ["注文番号,会員番号,注文日,金額,取引区分"] + [",".join(map(str, r)) for r in rows]
    return InputFile("orders.csv", ("\n".join(lines) + "\n").encode("utf-8"))


rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(["A1", "A2", "A3", " A1", ""]),          # order id (blank = none)
        st.sampled_from(["001", "002", "003", "010"]),            # customer
        st.sampled_from(["2024/01/05", "2024/03/01", "2024/06/30", "2024/07/02", "2023/02/01"]),
        st.sampled_from([1000, 2500, -500, 0, 700]),              # amount
        st.sampled_from(["購入", "返品", "通常"]),
    ),
    min_size=1, max_size=40,
)


def _reference_features(frame: pd.DataFrame, as_of: date, window: int, has_order_id: bool) -> pd.DataFrame:
    """RFM by the book: one groupby per question, no shortcuts."""
    f = frame[frame["order_date"] <= pd.Timestamp(as_of)].copy()
    start = pd.Timestamp(as_of) - pd.Timedelta(days=window)
    f["purchase"] = (f["amount"] > 0) & ~f["is_return"]
    key = ["customer_id", "order_key"] if has_order_id else ["customer_id", "row"]
    orders = f[f["purchase"]].groupby(key)["order_date"].min().reset_index()
    per = pd.DataFrame(index=pd.Index(sorted(f["customer_id"].unique()), name="customer_id", dtype="str"))
    last = orders.groupby("customer_id")["order_date"].max()
    per["recency_days"] = (pd.Timestamp(as_of) - last).dt.days.astype(float).reindex(per.index)
    per["frequency"] = orders[orders["order_date"] > start].groupby("customer_id").size().reindex(
        per.index, fill_value=0).astype(np.int64)
    per["monetary"] = f[f["order_date"] > start].groupby("customer_id")["amount"].sum().reindex(
        per.index, fill_value=0.0)
    per["orders_total"] = orders.groupby("customer_id").size().reindex(per.index, fill_value=0).astype(np.int64)
    return per


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(rows=rows_strategy, as_of=st.sampled_from([date(2024, 6, 30), date(2024, 7, 2), date(2024, 3, 1)]))
def test_features_equal_the_plain_groupby_definition(rows, as_of):
    ds = load_dataset([_csv(rows)], today=TODAY)
    tx = ds.transactions
    if not tx.report.rows_used or tx.frame["order_date"].min() > pd.Timestamp(as_of):
        return
    got = build_features(tx, as_of=as_of).frame
    want = _reference_features(tx.frame, as_of, 365, tx.has_order_id)
    pd.testing.assert_frame_equal(got[list(want.columns)], want, check_exact=False)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(rows=rows_strategy)
def test_duplicates_and_order_keys_equal_the_plain_definitions(rows):
    ds = load_dataset([_csv(rows)], today=TODAY)
    src = ds.tables[0].raw.frame
    assert ds.transactions.report.duplicates == int(src.duplicated().sum())
    f = ds.transactions.frame
    plain = pd.factorize(f["customer_id"] + "\x1f" + f["order_id"].fillna(""))[0]
    np.testing.assert_array_equal(f["order_key"].to_numpy(), plain)


def test_duplicate_prefilter_is_exact_when_keys_collide():
    # rows equal on every key but one cell: not duplicates; keys that all collide
    src = pd.DataFrame({"a": ["x", "x", "x", "y", "x"], "b": ["1", "2", "1", "1", None]}, dtype="str")
    same = np.zeros(len(src), dtype=np.int64)
    np.testing.assert_array_equal(duplicated_rows(src, [same, same]), [False, False, True, False, False])


def test_blank_and_missing_order_ids_are_one_order_per_customer():
    oid = pd.Series(["A", "", None, "A", "B"], dtype="str")
    codes = order_id_codes(oid)
    assert codes[1] == codes[2] == 0
    keys = combine_codes(np.array([0, 0, 0, 1, 0]), codes)
    assert keys.tolist() == [0, 1, 1, 2, 3]


def test_drop_duplicates_option_still_drops_exact_copies_only():
    rows = [("A1", "001", "2024/01/05", 1000, "購入")] * 3 + [("A1", "001", "2024/01/05", 1001, "購入")]
    ds = load_dataset([_csv(rows)], drop_duplicates=True, today=TODAY)
    r = ds.transactions.report
    assert (r.duplicates, r.excluded_by_reason["duplicate"], r.rows_used) == (2, 2, 2)


def _reference_loyalty(frame: pd.DataFrame, d: defn.Definition) -> np.ndarray:
    """Σ wᵢ × scoreᵢ / 5 over the factors a customer has, weights rescaled to 100."""
    scores = {"recency": frame["r_score"].astype(float), "frequency": frame["f_score"].astype(float),
              "monetary": frame["m_score"].astype(float)}
    for col in frame.columns:
        if col.startswith("score_"):
            scores[col[len("score_"):]] = frame[col]
    weights = d.weights()
    total = sum(weights[k] for k in scores)
    num = sum(frame.index.to_series().map(lambda _: 0.0) + scores[k].fillna(0) * weights[k] / total * 100 / 5
              for k in scores)
    den = sum(scores[k].notna() * weights[k] / total * 100 for k in scores)
    return (num * 100 / den).to_numpy()


def test_loyalty_score_equals_the_weighted_average_over_present_factors():
    rng = np.random.default_rng(3)
    n = 500
    nps = rng.integers(0, 11, n).astype(float)
    nps[rng.random(n) < 0.5] = np.nan
    f = pd.DataFrame({"recency_days": rng.integers(0, 400, n).astype(float),
                      "frequency": rng.integers(0, 15, n),
                      "monetary": rng.integers(0, 200_000, n).astype(float),
                      "sns_reactions": rng.poisson(3, n).astype(float),
                      "nps": nps}, index=pd.Index([f"c{i:04d}" for i in range(n)], dtype="str"))
    d = defn.preset("b2c")
    res = Scorer(f).score(d)
    np.testing.assert_allclose(res.frame["loyalty_score"].to_numpy(), _reference_loyalty(res.frame, d), atol=1e-6)
    assert res.missing_values == {"nps": int(np.isnan(nps).sum())}
    # a slider move on the same Scorer gives what a fresh Scorer gives
    moved = d.copy()
    moved.rfm.recency = [7, 60, 90, 179]
    pd.testing.assert_frame_equal(Scorer(f).score(moved).frame, Scorer(f).score(moved).frame)
    scorer = Scorer(f)
    scorer.score(d)
    pd.testing.assert_frame_equal(scorer.score(moved).frame, Scorer(f).score(moved).frame)
