"""Campaign effect (loyalty.effect, loyalty.campaign and ``python -m loyalty effect``).

The intervals are checked against published worked examples (Newcombe 1998, Table II,
method 10) and against scipy (Wilson via ``binomtest``, Welch via ``ttest_ind``); the
Hillstrom e-mail experiment must give the figures published with the data set; small
hand-made fixtures fix the edge cases (a group of 0, all outcomes 0, a group too small).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from loyalty import campaign as cp
from loyalty import effect as ef
from loyalty.cli import main
from loyalty.errors import LoyaltyError
from loyalty.pipeline import InputFile, load_dataset

from tests.helpers import HILLSTROM, ROOT

needs_hillstrom = pytest.mark.skipif(not HILLSTROM.exists(), reason="../shared/datasets/hillstrom is absent")
Z = 1.959963984540054


def _frame(spec) -> pd.DataFrame:
    """Rows from (by, group, customers, events) tuples: events 1s, the rest 0s."""
    rows = []
    for by, group, n, events in spec:
        rows += [(by, group, 1 if i < events else 0) for i in range(n)]
    return pd.DataFrame(rows, columns=["seg", "grp", "y"])


# --------------------------------------------------------------------------- intervals


# Newcombe (1998), Table II, method 10 (score interval, no continuity correction)
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


@pytest.mark.parametrize("counts, published", NEWCOMBE_TABLE_II)
def test_score_interval_reproduces_newcombe_1998_table_ii(counts, published):
    x1, n1, x2, n2 = counts
    d, low, high = ef.newcombe_interval(x1, n1, x2, n2)
    assert float(d) == pytest.approx(x1 / n1 - x2 / n2)
    assert (round(float(low), 4), round(float(high), 4)) == published


def test_score_interval_is_vectorised_and_empty_groups_give_nan():
    d, low, high = ef.newcombe_interval([56, 0], [70, 0], [48, 1], [80, 10])
    assert round(float(low[0]), 4) == 0.0524 and round(float(high[0]), 4) == 0.3339
    assert np.isnan(d[1]) and np.isnan(low[1]) and np.isnan(high[1])


def test_welch_interval_matches_scipy():
    a, b = np.array([2.0, 4, 6, 8, 0, 0, 13]), np.array([1.0, 3, 0, 0, 2])
    d, low, high = ef.welch_interval(a.mean(), a.var(ddof=1), len(a), b.mean(), b.var(ddof=1), len(b))
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval()
    assert float(d) == pytest.approx(a.mean() - b.mean())
    assert (float(low), float(high)) == pytest.approx((ci.low, ci.high), rel=1e-12)


def test_welch_interval_needs_two_customers_and_some_spread():
    _, low, high = ef.welch_interval([5, 5, 3], [0, 4, 1], [3, 3, 1], [5, 1, 2], [0, 2, 0], [3, 4, 5])
    assert np.isnan(low[0]) and np.isnan(high[0])      # no spread on either side
    assert np.isfinite(low[1]) and np.isfinite(high[1])
    assert np.isnan(low[2]) and np.isnan(high[2])      # one treated customer


# --------------------------------------------------------------------------- the comparison


def test_rates_per_segment_with_one_group_too_small_and_one_without_control():
    frame = _frame([("A", "mail", 40, 12), ("A", "none", 40, 4),
                    ("B", "mail", 20, 10), ("B", "none", 40, 5),
                    ("C", "mail", 35, 7)])
    e = ef.compare(frame, group="grp", control="none", outcome="y", by="seg")
    assert e.kind == "rate" and e.groups == ["mail", "none"] and e.treated == ["mail"]
    s = e.segments
    assert s[["by", "group", "is_control", "n", "events", "control_n", "enough", "verdict"]].values.tolist() == [
        ["A", "mail", False, 40, 12, 40, True, "lift"],
        ["A", "none", True, 40, 4, 40, True, "control"],
        ["B", "mail", False, 20, 10, 40, False, "too_small"],
        ["B", "none", True, 40, 5, 40, True, "control"],
        ["C", "mail", False, 35, 7, 0, False, "too_small"],
    ]
    assert s["mean"].tolist() == pytest.approx([0.3, 0.1, 0.5, 0.125, 0.2])
    # A: 12/40 − 4/40 with Wilson limits from scipy combined as Newcombe's method 10
    w1 = stats.binomtest(12, 40).proportion_ci(method="wilson")
    w2 = stats.binomtest(4, 40).proportion_ci(method="wilson")
    assert s.loc[0, ["uplift", "low", "high"]].tolist() == pytest.approx(
        [0.2, 0.2 - np.hypot(0.3 - w1.low, w2.high - 0.1), 0.2 + np.hypot(w1.high - 0.3, 0.1 - w2.low)])
    assert s.loc[0, "extra"] == pytest.approx(0.2 * 40)
    assert np.isnan(s.loc[1, "uplift"]) and np.isnan(s.loc[4, "uplift"])  # control row; C has no control
    o = e.overall
    assert o[["group", "n", "events", "control_n", "enough", "verdict"]].values.tolist() == [
        ["mail", 95, 29, 80, True, "lift"], ["none", 80, 9, 80, True, "control"]]
    assert e.dropped == {"no_group": 0, "no_outcome": 0, "no_by": 0}
    assert e.to_dict()["by"]["B"] == [
        {"group": "mail", "n": 20, "mean": 0.5, "uplift": None, "low": None, "high": None},
        {"group": "none", "n": 40, "mean": 0.125, "uplift": None, "low": None, "high": None}]
    assert ef.targets(e)[["by", "group"]].values.tolist() == [["A", "mail"]]


def test_all_outcomes_zero_give_a_symmetric_interval_and_too_few_events():
    e = ef.compare(_frame([("-", "mail", 40, 0), ("-", "none", 40, 0)]), group="grp", control="none", outcome="y")
    row = e.overall.iloc[0]
    edge = Z * Z / (40 + Z * Z)  # the Wilson upper limit of 0/40
    assert (row["mean"], row["uplift"]) == (0.0, 0.0)
    assert (row["low"], row["high"]) == pytest.approx((-edge, edge))
    assert (bool(row["enough"]), row["verdict"]) == (False, "too_small")
    assert e.to_dict() == {"overall": [
        {"group": "mail", "n": 40, "mean": 0.0, "uplift": None, "low": None, "high": None},
        {"group": "none", "n": 40, "mean": 0.0, "uplift": None, "low": None, "high": None}], "by": {}}


def test_means_use_welch_and_missing_values_are_counted():
    frame = pd.DataFrame({"grp": ["t"] * 40 + ["c"] * 40 + [None, "t"],
                          "spend": [0.0] * 30 + [100.0] * 10 + [0.0] * 35 + [50.0] * 5 + [7.0, np.nan],
                          "region": ["東"] * 20 + ["西"] * 20 + ["東"] * 40 + [None, None]})
    e = ef.compare(frame, group="grp", control="c", outcome="spend", by="region", name="spend")
    assert e.kind == "mean" and e.outcome == "spend"
    assert e.dropped == {"no_group": 1, "no_outcome": 1, "no_by": 0}
    t, c = np.array([0.0] * 30 + [100.0] * 10), np.array([0.0] * 35 + [50.0] * 5)
    ci = stats.ttest_ind(t, c, equal_var=False).confidence_interval()
    row = e.overall.iloc[0]
    assert (row["n"], row["events"], row["mean"], row["control_mean"]) == (40, 10, 25.0, 6.25)
    assert (row["uplift"], row["low"], row["high"]) == pytest.approx((18.75, ci.low, ci.high))
    assert row["verdict"] == "lift"
    # 東: treated all 0, control 5 × 50 (5 customers with spend < 10); 西: no control customer
    assert e.segments[["by", "group", "n", "events", "control_n", "mean", "verdict"]].values.tolist() == [
        ["東", "t", 20, 0, 40, 0.0, "too_small"], ["東", "c", 40, 5, 40, 6.25, "control"],
        ["西", "t", 20, 10, 0, 50.0, "too_small"]]
    assert e.segments.loc[0, "uplift"] == -6.25 and np.isnan(e.segments.loc[2, "uplift"])


def test_user_errors_name_what_to_fix():
    frame = _frame([("-", "mail", 40, 3), ("-", "none", 40, 1)])
    with pytest.raises(LoyaltyError) as exc:
        ef.compare(frame, group="grp", control="対照群", outcome="y")
    assert exc.value.message("ja") == ("対照群「対照群」がグループの列にありません（ある値: mail, none）。"
                                       "施策を受けなかった（配信しなかった）人の値を指定してください。")
    with pytest.raises(LoyaltyError, match="対照群「none」だけ"):
        ef.compare(frame[frame["grp"] == "none"], group="grp", control="none", outcome="y")
    with pytest.raises(LoyaltyError) as exc:
        ef.compare(frame.assign(y=frame["y"] * 2), group="grp", control="none", outcome="y", kind="rate")
    assert "0 と 1 以外" in exc.value.message("ja") and exc.value.column == "y"
    with pytest.raises(LoyaltyError) as exc:
        ef.compare(frame, group="grp", control="none", outcome="visit")
    assert exc.value.message("en").startswith("column 'visit': There is no such column.")


def test_natural_order_and_detection():
    assert ef.natural_order(["10", "2", "1"]) == ["1", "2", "10"]
    assert ef.natural_order(["b", "a", "10"]) == ["10", "a", "b"]
    assert ef.detect_group_column(["会員番号", "配信グループ", "配信日"]) == "配信グループ"
    assert ef.detect_send_date_column(["会員番号", "配信グループ", "配信日"]) == "配信日"
    assert ef.detect_control(["Mens E-Mail", "No E-Mail", "Womens E-Mail"]) == "No E-Mail"
    assert ef.detect_control(["メール配信", "配信なし"]) == "配信なし"
    assert ef.detect_control(["A", "B"]) is None


def test_targets_order_by_uplift_or_by_expected_extra_customers():
    frame = _frame([("small", "mail", 40, 30), ("small", "none", 40, 10),
                    ("large", "mail", 400, 200), ("large", "none", 400, 120),
                    ("flat", "mail", 400, 40), ("flat", "none", 400, 40)])
    e = ef.compare(frame, group="grp", control="none", outcome="y", by="seg", by_order=["large", "small"])
    assert e.segments["by"].drop_duplicates().tolist() == ["large", "small", "flat"]
    assert ef.targets(e)["by"].tolist() == ["small", "large"]                  # +50 points, +20 points
    assert ef.targets(e, order="extra")["by"].tolist() == ["large", "small"]   # +80 customers, +20
    assert e.segments.set_index("by").loc["flat"].iloc[0]["verdict"] == "unclear"


# --------------------------------------------------------------------------- Hillstrom


@pytest.fixture(scope="module")
def hillstrom() -> pd.DataFrame:
    if not HILLSTROM.exists():
        pytest.skip("../shared/datasets/hillstrom is absent")
    return pd.read_csv(HILLSTROM)


GROUPS = ["Mens E-Mail", "Womens E-Mail", "No E-Mail"]


@needs_hillstrom
def test_hillstrom_gives_the_published_rates_and_spend(hillstrom):
    got = {o: ef.compare(hillstrom, group="segment", control="No E-Mail", outcome=o).overall.set_index("group")
           for o in ("visit", "conversion", "spend")}
    assert [round(got["visit"].loc[g, "mean"] * 100, 2) for g in GROUPS] == [18.28, 15.14, 10.62]
    assert [round(got["conversion"].loc[g, "mean"] * 100, 2) for g in GROUPS] == [1.25, 0.88, 0.57]
    assert [round(got["spend"].loc[g, "mean"], 2) for g in GROUPS] == [1.42, 1.08, 0.65]
    assert got["visit"]["n"].tolist() == [21307, 21387, 21306]
    assert round(got["visit"].loc["Mens E-Mail", "uplift"] * 100, 2) == 7.66
    assert round(got["spend"].loc["Mens E-Mail", "uplift"], 2) == 0.77
    assert got["visit"]["verdict"].tolist() == ["lift", "lift", "control"]


@needs_hillstrom
@pytest.mark.parametrize("by", ["channel", "history_segment", "zip_code", "newbie"])
def test_hillstrom_uplift_per_segment_matches_an_independent_computation(hillstrom, by):
    visit = ef.compare(hillstrom, group="segment", control="No E-Mail", outcome="visit", by=by).segments
    spend = ef.compare(hillstrom, group="segment", control="No E-Mail", outcome="spend", by=by).segments
    checked = 0
    for value, part in hillstrom.groupby(by):
        ctl = part[part["segment"] == "No E-Mail"]
        for g in GROUPS[:2]:
            t = part[part["segment"] == g]
            v = visit[(visit["by"] == str(value)) & (visit["group"] == g)].iloc[0]
            x1, n1, x2, n2 = t["visit"].sum(), len(t), ctl["visit"].sum(), len(ctl)
            p1, p2 = x1 / n1, x2 / n2
            w1 = stats.binomtest(int(x1), n1).proportion_ci(method="wilson")
            w2 = stats.binomtest(int(x2), n2).proportion_ci(method="wilson")
            assert (v["n"], v["control_n"]) == (n1, n2)
            assert [v["uplift"], v["low"], v["high"]] == pytest.approx(
                [p1 - p2, p1 - p2 - np.hypot(p1 - w1.low, w2.high - p2),
                 p1 - p2 + np.hypot(w1.high - p1, p2 - w2.low)], abs=1e-12)
            s = spend[(spend["by"] == str(value)) & (spend["group"] == g)].iloc[0]
            ci = stats.ttest_ind(t["spend"], ctl["spend"], equal_var=False).confidence_interval()
            assert [s["uplift"], s["low"], s["high"]] == pytest.approx(
                [t["spend"].mean() - ctl["spend"].mean(), ci.low, ci.high], rel=1e-9)
            checked += 1
    assert checked == 2 * hillstrom[by].nunique()


# --------------------------------------------------------------------------- who got it, and outcomes from lines

ORDERS = """会員番号,注文日,商品コード,金額,取引区分
001,2024/06/01,A1,1000,購入
001,2024/06/02,A1,2000,購入
001,2024/07/01,A2,500,購入
001,2024/07/02,A2,700,購入
002,2024/06/10,POST,500,購入
003,2024/06/15,A1,-800,返品
006,2024/05/01,A1,900,購入
005,2024/07/02,A2,300,購入
"""
LIST = """会員番号,配信グループ,配信日
001,mail,2024/06/01
002,mail,2024/06/01
003,holdout,2024/06/01
004,holdout,2024/06/01
005,mail,2024/06/20
,mail,2024/06/01
007,,2024/06/01
001,holdout,2024/06/01
008,mail,昨日
"""


def _read(text: str, name: str = "list.csv"):
    from loyalty.readers import read_table

    return read_table(text.encode("utf-8"), name)


def test_campaign_table_counts_every_row_it_leaves_out():
    raw = _read(LIST)
    camp = cp.campaign_table(raw.frame, group="配信グループ", customer_id="会員番号", send_date_column="配信日",
                             row_numbers=raw.row_numbers, file=raw.name)
    assert camp.frame["customer_id"].tolist() == ["001", "002", "003", "004", "005"]
    assert camp.frame["group"].tolist() == ["mail", "mail", "holdout", "holdout", "mail"]
    assert camp.frame["send_date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-06-01"] * 4 + ["2024-06-20"]
    assert camp.excluded == {"no_group": 1, "no_customer_id": 1, "bad_send_date": 1, "duplicate_customer_id": 1}
    assert camp.has_ids


def test_a_table_without_ids_counts_each_row_as_a_customer():
    raw = _read("group,visit\nA,1\nB,0\n,1\nA,0\n")
    camp = cp.campaign_table(raw.frame, group="group", row_numbers=raw.row_numbers)
    assert camp.frame["customer_id"].tolist() == ["2", "3", "5"]  # the file's row numbers
    assert not camp.has_ids and camp.excluded["no_group"] == 1
    assert cp.outcome_values(raw.frame, "visit").tolist() == [1.0, 0.0, 1.0, 0.0]
    with pytest.raises(LoyaltyError) as exc:
        cp.outcome_values(raw.frame, "group", file="t.csv")
    assert exc.value.message("en") == ("file 't.csv', column 'group': The outcome column has 3 cells that cannot "
                                       "be read as a number (e.g. 'A'). Choose a column of 0/1 values or amounts.")


def test_outcomes_count_the_n_days_after_the_send_day():
    lines = load_dataset([InputFile("orders.csv", ORDERS.encode("utf-8"))]).transactions.frame
    raw = _read(LIST)
    camp = cp.campaign_table(raw.frame, group="配信グループ", customer_id="会員番号", send_date_column="配信日")
    out = cp.outcomes_from_lines(lines, camp, days=30)
    got = out.frame.assign(id=camp.frame["customer_id"]).set_index("id")
    # 001: 06/01 is the send day (out), 06/02 and 07/01 (day 30) in, 07/02 (day 31) out
    # 002: a postage line only: a visit, not a conversion; 003: a return: a visit, spend −800
    assert got.to_dict("index") == {
        "001": {"visit": 1, "conversion": 1, "spend": 2500.0},
        "002": {"visit": 1, "conversion": 0, "spend": 500.0},
        "003": {"visit": 1, "conversion": 0, "spend": -800.0},
        "004": {"visit": 0, "conversion": 0, "spend": 0.0},
        "005": {"visit": 1, "conversion": 1, "spend": 300.0}}  # sent on 06/20
    assert (out.days, out.last_date, out.incomplete, out.unmatched) == (30, date(2024, 7, 2), 1, 1)
    assert cp.outcomes_from_lines(lines, camp, days=1).frame["visit"].tolist() == [1, 0, 0, 0, 0]


def test_order_lines_read_is_order_line_when_the_lines_have_it():
    lines = load_dataset([InputFile("orders.csv", ORDERS.encode("utf-8"))]).transactions.frame
    assert cp.order_lines(lines).tolist() == [True, True, True, True, False, False, True, True]
    marked = lines.assign(is_order_line=[False, True, False, True, True, False, False, True])
    assert cp.order_lines(marked).tolist() == [False, True, False, True, True, False, False, True]


def test_outcomes_from_lines_refuse_what_cannot_be_counted():
    lines = load_dataset([InputFile("orders.csv", ORDERS.encode("utf-8"))]).transactions.frame
    raw = _read("会員番号,グループ\n1,a\n2,b\n")
    camp = cp.campaign_table(raw.frame, group="グループ", customer_id="会員番号", send_date=date(2024, 6, 1))
    with pytest.raises(LoyaltyError, match="先頭のゼロ"):
        cp.outcomes_from_lines(lines, camp)
    late = cp.campaign_table(_read(LIST).frame, group="配信グループ", customer_id="会員番号",
                             send_date=date(2024, 7, 2))
    with pytest.raises(LoyaltyError, match="2024/07/02"):
        cp.outcomes_from_lines(lines, late)
    undated = cp.campaign_table(_read(LIST).frame, group="配信グループ", customer_id="会員番号")
    with pytest.raises(LoyaltyError, match="配信日がありません"):
        cp.outcomes_from_lines(lines, undated)


# --------------------------------------------------------------------------- python -m loyalty effect


@pytest.fixture
def files(tmp_path):
    (tmp_path / "orders.csv").write_bytes(ORDERS.encode("cp932"))
    (tmp_path / "list.csv").write_text(LIST, encoding="utf-8")
    return tmp_path


@needs_hillstrom
@pytest.mark.slow
def test_the_done_when_command_prints_the_hillstrom_figures():
    res = subprocess.run([sys.executable, "-m", "loyalty", "effect", str(HILLSTROM), "--group", "segment",
                          "--control", "No E-Mail", "--outcome", "visit", "--json"],
                         cwd=ROOT, capture_output=True, timeout=120)
    assert res.returncode == 0, res.stderr.decode()
    out = json.loads(res.stdout)
    assert set(out) == {"overall", "by"} and out["by"] == {}
    assert [set(r) for r in out["overall"]] == [set(ef.JSON_KEYS)] * 3
    assert [(r["group"], r["n"], round(r["mean"] * 100, 2)) for r in out["overall"]] == [
        ("Mens E-Mail", 21307, 18.28), ("Womens E-Mail", 21387, 15.14), ("No E-Mail", 21306, 10.62)]
    mens, womens, control = out["overall"]
    assert round(mens["uplift"] * 100, 2) == 7.66 and mens["low"] < mens["uplift"] < mens["high"]
    assert round(womens["uplift"] * 100, 2) == 4.52
    assert (control["uplift"], control["low"], control["high"]) == (None, None, None)
    assert "1行を1人の顧客" in res.stderr.decode()


@needs_hillstrom
def test_spend_per_segment_from_the_command_line(capsys):
    assert main(["effect", str(HILLSTROM), "--group", "segment", "--control", "No E-Mail", "--outcome", "spend",
                 "--by", "channel", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out["by"]) == ["Multichannel", "Phone", "Web"]
    assert [round(r["mean"], 2) for r in out["overall"]] == [1.42, 1.08, 0.65]
    phone = {r["group"]: r for r in out["by"]["Phone"]}
    assert round(phone["Mens E-Mail"]["uplift"], 4) == 0.5641
    assert phone["Womens E-Mail"]["low"] < 0 < phone["Womens E-Mail"]["high"]


def test_outcome_from_transactions_broken_down_by_tier_scored_at_the_send_date(files, capsys):
    assert main(["effect", str(files / "list.csv"), str(files / "orders.csv"), "--group", "配信グループ",
                 "--control", "holdout", "--outcome", "conversion", "--by", "tier", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {
        "overall": [{"group": "mail", "n": 3, "mean": 0.666667, "uplift": None, "low": None, "high": None},
                    {"group": "holdout", "n": 2, "mean": 0.0, "uplift": None, "low": None, "high": None}],
        "by": {"low": [{"group": "mail", "n": 1, "mean": 1.0, "uplift": None, "low": None, "high": None}]}}
    # before the send only 001 had ordered: the other four have no tier yet
    assert "配信日（2024/06/01）時点" in captured.err and "内訳の値がない 4 人" in captured.err
    assert "同じ顧客IDの2行目以降 1 行" in captured.err


def test_text_output_shows_the_comparison_and_what_is_too_small(tmp_path, capsys):
    rows = ["group,bought"] + [f"mail,{int(i < 20)}" for i in range(50)] + [f"none,{int(i < 5)}" for i in range(50)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["--lang", "en", "effect", str(tmp_path / "t.csv"), "--group", "group", "--control", "none",
                 "--outcome", "bought"]) == 0
    d, low, high = ef.newcombe_interval(20, 50, 5, 50)
    assert capsys.readouterr().out.splitlines() == [
        "Campaign effect: outcome 'bought' (rate), control 'none', difference = treated − control (95% interval)",
        "Overall",
        f"  mail: 50 customers  40.00%  difference +30.00pt [{float(low) * 100:+.2f}pt, {float(high) * 100:+.2f}pt]",
        "  none (control): 50 customers  10.00%"]


@pytest.mark.parametrize("args, message", [
    (["--control", "配信なし", "--outcome", "conversion"], "対照群「配信なし」がグループの列にありません"),
    (["--control", "holdout", "--outcome", "売上"], "結果「売上」は表の列にも"),
    (["--control", "holdout", "--outcome", "visit", "--by", "配信グループ"], "グループの列そのもの"),
    (["--control", "holdout", "--outcome", "visit", "--send-date", "2024/13/01"], "--send-date"),
])
def test_bad_input_exits_2_with_a_message(files, capsys, args, message):
    code = main(["effect", str(files / "list.csv"), str(files / "orders.csv"), "--group", "配信グループ", *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_the_help_states_the_default_window():
    from loyalty.cli import _parser

    sub = next(a for a in _parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    assert f"(default: {ef.DEFAULT_DAYS}, loyalty.effect.DEFAULT_DAYS)" in " ".join(
        sub.choices["effect"].format_help().split())


def test_tiers_need_ids_and_data_to_score(tmp_path, capsys):
    (tmp_path / "h.csv").write_text("segment,visit\nA,1\nB,0\n", encoding="utf-8")
    assert main(["effect", str(tmp_path / "h.csv"), "--group", "segment", "--control", "B", "--outcome", "visit",
                 "--by", "segment"]) == 2
    assert "「segment」別に比べるには" in capsys.readouterr().err
    assert main(["effect", str(tmp_path / "h.csv"), "--group", "グループ", "--control", "B",
                 "--outcome", "visit"]) == 2
    assert "グループの列「グループ」があるファイルが見つかりません" in capsys.readouterr().err


# --------------------------------------------------------------------------- the sample campaign

SAMPLE = ROOT / "sample_data"


@pytest.fixture(scope="module")
def sample_run():
    files = [InputFile(n, (SAMPLE / n).read_bytes())
             for n in ("campaign_assignment.csv", "orders_cp932.csv", "customers.csv")]
    return files, cp.run(files, group="配信グループ", control="holdout", outcome="conversion", by="tier")


def test_the_sample_campaign_lifts_the_middle_tier_only(sample_run):
    _files, result = sample_run
    e = result.effect
    assert e.overall[["group", "n"]].values.tolist() == [["mail", 1386], ["holdout", 615]]
    assert [round(x * 100, 1) for x in e.overall["mean"]] == [18.6, 12.4]
    seg = e.segments[~e.segments["is_control"]].set_index("by")
    assert seg["verdict"].to_dict() == {"top": "unclear", "middle": "lift", "low": "unclear"}
    assert round(seg.loc["middle", "uplift"] * 100, 1) == 12.1
    assert result.labels["middle"] == "中堅層"
    assert ef.targets(e)["by"].tolist() == ["middle"]
    assert ("effect.note.scored_at", {"as_of": "2026/09/01"}) in result.notes


def test_a_breakdown_by_a_column_of_the_customer_table(sample_run):
    files, _ = sample_run
    result = cp.run(files, group="配信グループ", control="holdout", outcome="spend", by="年代")
    assert result.effect.kind == "mean"
    assert result.effect.segments["by"].drop_duplicates().tolist() == ["20代", "30代", "40代", "50代", "60代以上"]
    assert result.effect.segments["n"].sum() == 2001


@pytest.mark.slow
def test_the_generator_writes_the_committed_campaign_file():
    import importlib.util

    spec = importlib.util.spec_from_file_location("sample_generate_effect", SAMPLE / "generate.py")
    gen = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = gen
    spec.loader.exec_module(gen)
    rows = gen.campaign_rows(gen.build().customers, gen.SEED)
    text = gen._csv_text(gen.CAMPAIGN_COLUMNS, rows, "\r\n").encode("utf-8-sig")
    assert text == (SAMPLE / "campaign_assignment.csv").read_bytes()
