"""Movement over time (loyalty.movement): period ends, tiers at every period end, flows,
the change lists, the text table and the ``movement`` command.

The binding property: the features and scores at a period end equal those of
``loyalty.pipeline.build_features`` + ``Scorer.score`` run separately at that as-of
date, column for column and to the last bit (checked on a hand-made file, the sample
data, Online Retail and random tables).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty import definition as defn
from loyalty import movement as mv
from loyalty.errors import LoyaltyError
from loyalty.features import build_features as tx_features
from loyalty.pipeline import InputFile, build_features, load_dataset
from loyalty.quality import Transactions
from loyalty.scoring import Scorer
from tests.helpers import csv_input

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = [ROOT / "sample_data" / "orders_cp932.csv", ROOT / "sample_data" / "customers.csv"]
RETAIL = ROOT.parent / "shared" / "datasets" / "online_retail" / "online_retail.csv.gz"
TODAY = date(2030, 1, 1)

# Four customers over three month-ends (2024-01-31, 02-29, 03-31), scored on monetary alone:
# M = 1 + cuts reached of [100, 200, 300, 400]; score = 20 × M: top ≥ 80 (≥ 300), middle ≥ 50 (≥ 200).
#   A  350 in January (top), a 100 return in March: 250 (middle)
#   B  150 in February (low), 200 more in March: 350 (top)
#   C  50 on the last day of March (low)
#   D  350 in March (top, straight from "not yet")
FIXTURE = """注文番号,会員番号,注文日,金額
O1,A,2024/01/10,350
O2,B,2024/02/05,150
R1,A,2024/03/15,-100
O3,B,2024/03/20,200
O4,D,2024/03/05,350
O5,C,2024/03/31,50
"""


def monetary_only() -> defn.Definition:
    d = defn.preset("b2c")
    d.factors = [defn.FactorSetting("monetary", 100)]
    d.rfm.monetary = [100, 200, 300, 400]
    return d


@pytest.fixture(scope="module")
def fixture():
    ds = load_dataset([csv_input(FIXTURE)], today=TODAY)
    periods = mv.data_period_ends(ds.transactions)
    return ds, mv.compute(mv.Timeline(ds.transactions), monetary_only(), periods)


@pytest.fixture(scope="module")
def sample():
    return load_dataset([InputFile(p.name, p.read_bytes()) for p in SAMPLE])


def assert_same(timeline: mv.Timeline, ds, ends, definitions, window_days: int = 365) -> None:
    """Features and scores at every end equal build_features + Scorer.score there, exactly."""
    for features in timeline.features(ends, window_days):
        expected = build_features(ds, as_of=features.as_of, window_days=window_days)
        pd.testing.assert_frame_equal(features.frame, expected.frame, check_exact=True)
        assert (features.as_of, features.window_days, features.source, features.rows_after_as_of, features.notes) == (
            expected.as_of, expected.window_days, expected.source, expected.rows_after_as_of, expected.notes)
        for d in definitions:
            got, want = Scorer(features.frame).score(d), Scorer(expected.frame).score(d)
            pd.testing.assert_frame_equal(got.frame, want.frame, check_exact=True)
            assert (got.weights, got.dropped, got.collapsed, got.missing_values) == (
                want.weights, want.dropped, want.collapsed, want.missing_values)


# ------------------------------------------------------------------------------ period ends


def test_month_ends_up_to_a_partial_last_period():
    ends = mv.period_ends(date(2010, 12, 1), date(2011, 12, 9))
    assert [p.as_of for p in ends[:3]] == [date(2010, 12, 31), date(2011, 1, 31), date(2011, 2, 28)]
    assert ends[-2:] == [mv.PeriodEnd(date(2011, 11, 30)), mv.PeriodEnd(date(2011, 12, 9), partial=True)]
    assert len(ends) == 13 and not any(p.partial for p in ends[:-1])


def test_an_as_of_date_on_a_period_end_closes_a_full_period():
    assert mv.period_ends(date(2024, 1, 1), date(2024, 3, 31), "quarter") == [mv.PeriodEnd(date(2024, 3, 31))]
    assert mv.period_ends(date(2024, 2, 10), date(2024, 3, 31)) == [
        mv.PeriodEnd(date(2024, 2, 29)), mv.PeriodEnd(date(2024, 3, 31))]


def test_weeks_end_on_sunday_and_count_keeps_the_last_ones():
    ends = mv.period_ends(date(2024, 1, 1), date(2024, 1, 24), "week")
    assert ends == [mv.PeriodEnd(date(2024, 1, 7)), mv.PeriodEnd(date(2024, 1, 14)), mv.PeriodEnd(date(2024, 1, 21)),
                    mv.PeriodEnd(date(2024, 1, 24), partial=True)]
    assert all(p.as_of.isoweekday() == 7 for p in ends[:-1])
    assert mv.period_ends(date(2024, 1, 1), date(2024, 1, 24), "week", count=2) == ends[-2:]
    assert mv.period_ends(date(2023, 1, 1), date(2024, 12, 31), "quarter", count=3) == [
        mv.PeriodEnd(date(2024, 6, 30)), mv.PeriodEnd(date(2024, 9, 30)), mv.PeriodEnd(date(2024, 12, 31))]


def test_data_starting_after_its_first_calendar_end_has_only_the_as_of_date():
    assert mv.period_ends(date(2024, 3, 10), date(2024, 3, 20)) == [mv.PeriodEnd(date(2024, 3, 20), partial=True)]


def test_bad_period_choices_are_catalogue_errors():
    with pytest.raises(LoyaltyError) as err:
        mv.period_ends(date(2024, 1, 1), date(2024, 3, 31), "year")
    assert "「year」" in err.value.ja and "month, week, quarter" in err.value.en
    with pytest.raises(LoyaltyError) as err:
        mv.period_ends(date(2024, 1, 1), date(2024, 3, 31), "month", count=0)
    assert err.value.ja == "期間の数は1以上にしてください（指定: 0）。"


# ------------------------------------------------------------------------- hand-made file


def test_tiers_at_each_month_end_of_the_hand_made_file(fixture):
    _, m = fixture
    assert [p.as_of for p in m.periods] == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]
    assert not any(p.partial for p in m.periods)
    assert m.customer_ids.tolist() == ["A", "B", "C", "D"]
    #                  Jan  Feb  Mar      (0 top, 1 middle, 2 low, -1 not yet)
    assert m.tiers.tolist() == [[0, 0, 1], [-1, 2, 0], [-1, -1, 2], [-1, -1, 0]]
    s = m.summary
    assert s[["customers", "not_yet", "top", "middle", "low"]].to_numpy().tolist() == [
        [1, 3, 1, 0, 0], [2, 2, 1, 0, 1], [4, 0, 2, 1, 1]]
    assert s["revenue"].tolist() == [350.0, 500.0, 1000.0]
    assert s["revenue_share_top"].tolist() == [1.0, 0.7, 0.7]
    assert s["revenue_share_middle"].tolist() == [0.0, 0.0, 0.25]
    assert s["revenue_share_low"].tolist() == [0.0, 0.3, 0.05]


def test_flows_between_consecutive_month_ends(fixture):
    _, m = fixture
    jan, feb, mar = (p.as_of for p in m.periods)
    assert m.flows().to_dict("records") == [
        {"from_as_of": jan, "to_as_of": feb, "from": "top", "to": "top", "customers": 1},
        {"from_as_of": jan, "to_as_of": feb, "from": "not_yet", "to": "low", "customers": 1},
        {"from_as_of": jan, "to_as_of": feb, "from": "not_yet", "to": "not_yet", "customers": 2},
        {"from_as_of": feb, "to_as_of": mar, "from": "top", "to": "middle", "customers": 1},
        {"from_as_of": feb, "to_as_of": mar, "from": "low", "to": "top", "customers": 1},
        {"from_as_of": feb, "to_as_of": mar, "from": "not_yet", "to": "top", "customers": 1},
        {"from_as_of": feb, "to_as_of": mar, "from": "not_yet", "to": "low", "customers": 1},
    ]
    assert m.moved(2, "out").tolist() == ["A"]
    assert m.moved(2, "in").tolist() == ["B", "D"]
    assert m.moved(1, "in").tolist() == [] and m.moved(1, "out").tolist() == []
    assert m.states(1).tolist() == ["top", "low", "not_yet", "not_yet"]
    with pytest.raises(ValueError):
        m.moved(0, "out")


def test_the_json_contract(fixture):
    _, m = fixture
    out = m.to_dict()
    assert json.loads(json.dumps(out)) == out  # plain JSON values only
    assert (out["every"], out["window_days"]) == ("month", 365)
    assert out["periods"][2] == {"as_of": "2024-03-31", "partial": False, "customers": 4, "not_yet": 0,
                                 "tiers": {"top": 2, "middle": 1, "low": 1},
                                 "revenue_share": {"top": 0.7, "middle": 0.25, "low": 0.05}}
    assert out["flows"][0] == {"from_as_of": "2024-01-31", "to_as_of": "2024-02-29", "from": "top", "to": "top",
                               "customers": 1}
    assert len(out["flows"]) == 7


def test_lists_of_who_left_and_who_entered_the_top_tier(fixture):
    ds, m = fixture
    d = monetary_only()
    features, scored = mv.scores_at(mv.Timeline(ds.transactions), d, m.periods[2].as_of)
    out = mv.change_list(m, 2, "out", features, scored, d, form="key")
    assert out.columns.tolist() == ["customer_id", "previous_tier", "tier", "rfm_segment", "loyalty_score",
                                    "last_order", "monetary"]
    assert out.drop(columns=["rfm_segment"]).to_dict("records") == [
        {"customer_id": "A", "previous_tier": "top", "tier": "middle", "loyalty_score": 60.0,
         "last_order": pd.Timestamp("2024-01-10"), "monetary": 250.0}]
    new = mv.change_list(m, 2, "in", features, scored, d)  # Japanese headers and names
    assert new.columns.tolist() == ["顧客ID", "前の期末の層", "期末の層", "RFMセグメント", "ロイヤルティスコア",
                                    "最終購入日", "購入金額（期間内）"]
    assert new[["顧客ID", "前の期末の層", "期末の層"]].to_numpy().tolist() == [
        ["B", "低貢献層", "最重要顧客"], ["D", "未購入", "最重要顧客"]]  # by score, then id
    assert new["購入金額（期間内）"].tolist() == [350.0, 350.0]


def test_the_text_table_of_the_command(fixture):
    _, m = fixture
    text = mv.text_report(m, monetary_only(), "ja")
    assert text.splitlines() == [
        "ロイヤル層の推移（月末ごと）— 定義「BtoC EC（標準）」、集計期間 365日",
        "",
        "期末        顧客数  最重要顧客  中堅層  低貢献層  最重要顧客の売上構成比",
        "2024/01/31       1           1       0         0                  100.0%",
        "2024/02/29       2           1       0         1                   70.0%",
        "2024/03/31       4           2       1         1                   70.0%",
        "",
        "層の移動（前の期末 → 期末、人数）",
        "2024/01/31 → 2024/02/29  未購入 → 低貢献層      1",
        "2024/02/29 → 2024/03/31  最重要顧客 → 中堅層    1",
        "2024/02/29 → 2024/03/31  低貢献層 → 最重要顧客  1",
        "2024/02/29 → 2024/03/31  未購入 → 最重要顧客    1",
        "2024/02/29 → 2024/03/31  未購入 → 低貢献層      1",
    ]
    assert text_report_en(m).splitlines()[0] == (
        'Loyalty tiers over time (every month end) — definition "BtoC e-commerce", window 365 days')


def text_report_en(m):
    return mv.text_report(m, monetary_only(), "en")


def test_a_partial_last_period_is_marked(fixture):
    ds, _ = fixture
    periods = mv.data_period_ends(ds.transactions, date(2024, 3, 20))
    m = mv.compute(mv.Timeline(ds.transactions), monetary_only(), periods)
    assert periods[-1] == mv.PeriodEnd(date(2024, 3, 20), partial=True)
    assert m.to_dict()["periods"][-1]["partial"] is True
    text = mv.text_report(m, monetary_only(), "ja").splitlines()
    assert text[5].startswith("2024/03/20*") and text[6] == "* 途中の期間（基準日 2024/03/20 まで）"
    assert m.customer_ids.tolist() == ["A", "B", "D"]  # C's first line (3/31) is after the as-of date


@pytest.mark.slow
def test_the_hand_made_file_equals_separate_scoring_at_every_day():
    ds = load_dataset([csv_input(FIXTURE)], today=TODAY)
    days = pd.date_range("2024-01-10", "2024-04-30", freq="2D").date
    assert_same(mv.Timeline(ds.transactions), ds, list(days), [monetary_only(), defn.preset("b2c")], window_days=30)


def test_an_as_of_date_before_the_data_is_a_catalogue_error():
    ds = load_dataset([csv_input(FIXTURE)], today=TODAY)
    with pytest.raises(LoyaltyError) as err:
        mv.Timeline(ds.transactions).features_at(date(2023, 12, 31))
    assert err.value.ja == "基準日 2023/12/31 より前の取引がありません。基準日を後ろにずらしてください。"
    with pytest.raises(LoyaltyError):
        mv.Timeline(ds.transactions).features_at(date(2024, 1, 31), window_days=0)


# ----------------------------------------------------------------------------- sample data


def test_the_sample_data_equals_separate_scoring_at_month_ends(sample):
    timeline = mv.Timeline(sample.transactions, sample.customers)
    quantile = defn.preset("b2c")
    quantile.rfm.mode = "quantile"
    ends = [p.as_of for p in mv.data_period_ends(sample.transactions, count=6)]
    # the BtoC preset reads NPS and SNS reactions from the customer table (joined as they are today)
    assert_same(timeline, sample, ends, [defn.preset("b2c"), quantile, defn.preset("saas")])


def test_customer_table_factors_are_named_as_taken_today(sample):
    assert mv.Timeline(sample.transactions, sample.customers).today_only(defn.preset("b2c")) == ["sns_reactions", "nps"]
    assert mv.Timeline(sample.transactions).today_only(defn.preset("b2c")) == []
    assert mv.Timeline(sample.transactions, sample.customers).today_only(monetary_only()) == []


@pytest.mark.slow
def test_movement_counts_on_the_sample_data_are_the_separate_tier_counts(sample):
    d = defn.preset("b2c")
    periods = mv.data_period_ends(sample.transactions, count=12)
    m = mv.compute(mv.Timeline(sample.transactions, sample.customers), d, periods)
    assert len(m.periods) == 12 and not m.periods[-1].partial  # the sample ends on 2026-10-31
    for period, row in zip(periods, m.summary.to_dict("records")):
        features = build_features(sample, as_of=period.as_of)
        tiers = Scorer(features.frame).score(d).frame["tier"]
        assert [row[k] for k in ("top", "middle", "low")] == [int((tiers == k).sum()) for k in ("top", "middle", "low")]
        assert row["customers"] + row["not_yet"] == len(m.customer_ids)
        top = features.frame["monetary"][tiers == "top"].sum() / features.frame["monetary"].sum()
        assert row["revenue_share_top"] == pytest.approx(top, rel=1e-12)
    # the flows add up to the customers at each period end
    flows = m.flows()
    for k in range(1, len(periods)):
        step = flows[flows["to_as_of"] == periods[k].as_of]
        assert step.groupby("to")["customers"].sum().get("top", 0) == m.summary["top"].iloc[k]
        assert step["customers"].sum() == len(m.customer_ids)


def test_lines_out_of_date_order_give_the_same_features(sample):
    tx = sample.transactions
    shuffled = tx.frame.sample(frac=1.0, random_state=7)
    mixed = Transactions(frame=shuffled, report=tx.report, has_order_id=tx.has_order_id)
    timeline = mv.Timeline(mixed)
    assert not timeline._in_date_order  # the frame-order path is the one under test
    for features in timeline.features([date(2025, 12, 31), date(2026, 6, 30), date(2026, 10, 31)]):
        expected = tx_features(mixed, as_of=features.as_of)
        pd.testing.assert_frame_equal(features.frame, expected.frame, check_exact=True)


# ---------------------------------------------------------------------------- Online Retail


@pytest.mark.slow
@pytest.mark.skipif(not RETAIL.exists(), reason=f"{RETAIL} (the shared real datasets) is absent")
def test_online_retail_month_ends_equal_separate_scoring():
    ds = load_dataset([InputFile(RETAIL.name, RETAIL.read_bytes())])
    d = defn.preset("b2c")
    periods = mv.data_period_ends(ds.transactions)
    assert (len(periods), periods[-1]) == (13, mv.PeriodEnd(date(2011, 12, 9), partial=True))
    timeline = mv.Timeline(ds.transactions)
    m = mv.compute(timeline, d, periods)
    chosen = [date(2011, 6, 30), date(2011, 11, 30)]
    assert_same(timeline, ds, chosen, [d])
    rows = m.summary.set_index("as_of")
    for as_of in chosen:
        tiers = Scorer(build_features(ds, as_of=as_of).frame).score(d).frame["tier"].value_counts()
        assert rows.loc[as_of, ["top", "middle", "low"]].tolist() == [tiers["top"], tiers["middle"], tiers["low"]]
    # the README's figures: 2011-06-30 and 2011-11-30 under the BtoC preset as it is
    assert rows.loc[date(2011, 6, 30), ["customers", "top", "middle", "low"]].tolist() == [3002, 13, 631, 2358]
    assert rows.loc[date(2011, 11, 30), ["customers", "top", "middle", "low"]].tolist() == [4331, 25, 1292, 3014]
    first, last = rows.iloc[0], rows.iloc[-1]
    assert (first["top"], first["revenue_share_top"], last["top"]) == (0, 0.0, 26)
    assert f"{last['revenue_share_top']:.1%}" == "25.0%"


# ------------------------------------------------------------------------------- properties

LINE = st.tuples(st.sampled_from(["a", "b", "c", "007"]), st.integers(0, 60),
                 st.sampled_from([0.1, 0.2, 0.3, 0.7, 1.0, 2.5, 0.0, -0.1, -0.3, -1.0]),
                 st.integers(0, 5), st.booleans())


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(LINE, min_size=1, max_size=25), with_orders=st.booleans(), in_order=st.booleans(),
       window=st.sampled_from([7, 30, 365]))
def test_random_tables_equal_the_plain_computation_at_every_week_end(rows, with_orders, in_order, window):
    """Random small tables (decimal amounts whose sums are inexact in binary, returns,
    zero amounts, orders over several days, discounts, lines in or out of date order):
    the features and scores at every week end equal build_features + score there."""
    if in_order:
        rows = sorted(rows, key=lambda r: r[1])
    head = ("注文番号," if with_orders else "") + "会員番号,注文日,金額,値引額"
    lines = [head]
    for cust, day, amount, order, disc in rows:
        when = (date(2024, 1, 1) + pd.Timedelta(days=day)).strftime("%Y/%m/%d")
        lines.append((f"{cust}-{order}," if with_orders else "") + f"{cust},{when},{amount},{1 if disc else 0}")
    ds = load_dataset([csv_input("\n".join(lines) + "\n")], today=TODAY)
    d = monetary_only()
    d.rfm.monetary = [0.3, 0.6, 1.0, 2.5]  # sums such as 0.1 + 0.2 land on or next to a cut
    shares = defn.preset("b2c")
    shares.factors = [defn.FactorSetting("monetary", 40), defn.FactorSetting("discount_share", 30),
                      defn.FactorSetting("aov", 30)]
    ends = [p.as_of for p in mv.data_period_ends(ds.transactions, every="week")]
    assert_same(mv.Timeline(ds.transactions), ds, ends, [d, shares], window_days=window)


# --------------------------------------------------------------------------------- command


def run_cli(capsys, *args):
    from loyalty.cli import main

    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_movement_json_on_the_sample_data_equals_separate_scores(capsys, sample):
    code, out, err = run_cli(capsys, "movement", *map(str, SAMPLE), "--periods", "3", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert [p["as_of"] for p in data["periods"]] == ["2026-08-31", "2026-09-30", "2026-10-31"]
    d = defn.preset("b2c")
    for p in data["periods"]:
        scored = Scorer(build_features(sample, as_of=date.fromisoformat(p["as_of"])).frame).score(d).frame
        counts = scored["tier"].value_counts()
        assert p["tiers"] == {k: int(counts[k]) for k in ("top", "middle", "low")}
        assert p["customers"] == len(scored) and p["partial"] is False
    first = data["flows"][0]
    assert set(first) == {"from_as_of", "to_as_of", "from", "to", "customers"}
    assert (first["from_as_of"], first["to_as_of"]) == ("2026-08-31", "2026-09-30")
    into_top = sum(f["customers"] for f in data["flows"] if f["to_as_of"] == "2026-10-31" and f["to"] == "top")
    assert into_top == data["periods"][-1]["tiers"]["top"]


def test_movement_text_quarters_and_bad_input(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "--lang", "en", "movement", str(SAMPLE[0]), "--every", "quarter",
                           "--periods", "2")
    assert code == 0
    assert out.splitlines()[3].startswith("2026/09/30 ") and out.splitlines()[4].startswith("2026/10/31* ")
    code, _, err = run_cli(capsys, "movement", str(SAMPLE[1]))
    assert code == 2 and err.startswith("推移を見るには購入明細")
    code, _, err = run_cli(capsys, "movement", str(SAMPLE[0]), "--periods", "0")
    assert code == 2 and "期間の数は1以上" in err
    code, _, err = run_cli(capsys, "movement", str(SAMPLE[0]), "--as-of", "2001-01-01")
    assert code == 2 and "2001/01/01" in err
    code, _, err = run_cli(capsys, "movement", str(tmp_path / "missing.csv"))
    assert code == 2 and "missing.csv" in err
