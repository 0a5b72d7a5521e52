"""The 施策効果 page under AppTest: reached directly on the sample data (the demo
campaign list), controls that change what is shown, the Hillstrom e-mail experiment
uploaded on the page, a customer-table column as the group, English, and a file
that cannot be compared.  Expected figures come from the domain package
(loyalty.campaign / loyalty.effect) run on the same files, not from the screen."""

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from loyalty import campaign as cp
from loyalty import effect as ef
from loyalty.fmt import format_int, format_pct
from loyalty.pipeline import InputFile

from tests.helpers import APP, HILLSTROM, ROOT
PAGE = "pages/effect.py"
SAMPLE = ROOT / "sample_data"
FILES = ("campaign_assignment.csv", "orders_cp932.csv", "customers.csv")


def _sample(**kw) -> cp.EffectRun:
    files = [InputFile(n, (SAMPLE / n).read_bytes()) for n in FILES]
    return cp.run(files, group="配信グループ", control="holdout", **{"outcome": "conversion", "by": "tier", **kw})


def _app(lang: str = "ja") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if lang != "ja":
        at.session_state["lang"] = lang
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metrics(at) -> dict:
    return {m.label: (m.value, m.delta) for m in at.metric}


def _table(at, column: str) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if column in df.value.columns and "uplift" in df.value.columns)


def _box(at, label: str):
    return next(s for s in at.selectbox if s.label == label)


def _pt(x: float) -> str:
    return f"{x * 100:+.1f}pt"


@pytest.mark.slow
def test_page_renders_directly_with_the_sample_campaign():
    r = _sample().effect
    mail, holdout = r.overall.iloc[0], r.overall.iloc[1]
    at = _app()
    assert at.title[0].value == "施策効果"
    assert not at.error, [e.value for e in at.error]
    assert "サンプルの施策リスト（campaign_assignment.csv）" in at.info[0].value
    m = _metrics(at)
    assert m["施策あり: mail"] == (format_pct(mail["mean"]), _pt(mail["uplift"]))
    assert m["対照群: holdout"][0] == format_pct(holdout["mean"])
    assert m["差の95%区間"][0] == f"{mail['low'] * 100:+.1f}〜{mail['high'] * 100:+.1f}pt"
    assert [_box(at, label).value for label in ("顧客IDの列", "グループの列", "対照群（施策なし）", "比べる結果",
                                                 "配信日", "内訳")] == [
        "会員番号", "配信グループ", "holdout", "line:conversion", "配信日", "tier"]
    # per tier, as of the send date: only the middle tier clearly responds
    table = _table(at, "segment")
    seg = r.segments[~r.segments["is_control"]].reset_index(drop=True)
    assert table["segment"].tolist() == ["最重要顧客", "中堅層", "低貢献層"]
    assert table["n"].tolist() == seg["n"].tolist() and table["control_n"].tolist() == seg["control_n"].tolist()
    assert table["uplift"].tolist() == [_pt(u) for u in seg["uplift"]]
    assert table["verdict"].tolist() == ["はっきりしない", "効果あり", "はっきりしない"]
    targets = next(df.value for df in at.dataframe if "extra" in df.value.columns)
    middle = seg.iloc[1]
    assert targets.values.tolist() == [["中堅層", "mail", int(middle["n"]), format_pct(middle["mean"]),
                                        format_pct(middle["control_mean"]), _pt(middle["uplift"]),
                                        f"{middle['low'] * 100:+.1f}〜{middle['high'] * 100:+.1f}pt",
                                        f"+{format_int(round(middle['extra']))}人"]]
    assert len(at.download_button) == 2
    assert any("配信日（2026/09/01）時点" in c.value for c in at.caption)


@pytest.mark.slow
def test_the_chart_draws_uplift_with_intervals_and_a_zero_line_with_horizontal_labels():
    at = _app()
    from streamlit import dataframe_util

    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    spec = json.loads(charts[0].proto.spec)
    layers = spec["layer"]
    assert [layer["mark"]["type"] for layer in layers] == ["rule", "rule", "point"]
    assert layers[1]["encoding"]["y"]["axis"]["labelAngle"] == 0
    assert layers[1]["encoding"]["x"]["title"] == "対照群との差（ポイント）"
    frames = [dataframe_util.convert_arrow_bytes_to_pandas_df(d.data.data) for d in charts[0].proto.datasets]
    data = next(f for f in frames if "uplift" in f.columns).to_dict("records")
    assert [d["segment"] for d in data] == ["全体", "最重要顧客", "中堅層", "低貢献層"]
    r = _sample().effect
    middle = r.segments[(r.segments["by"] == "middle") & ~r.segments["is_control"]].iloc[0]
    assert data[2]["uplift"] == pytest.approx(middle["uplift"] * 100)
    assert (data[2]["low"], data[2]["high"]) == pytest.approx((middle["low"] * 100, middle["high"] * 100))


@pytest.mark.slow
def test_a_shorter_window_and_another_breakdown_change_what_is_shown():
    r = _sample(days=14, by="segment").effect
    at = _app()
    before = _metrics(at)["施策あり: mail"]
    next(s for s in at.select_slider if s.label == "配信後の日数").set_value(14).run()
    _box(at, "内訳").set_value("segment").run()
    assert not at.exception, [e.value for e in at.exception]
    mail = r.overall.iloc[0]
    assert _metrics(at)["施策あり: mail"] == (format_pct(mail["mean"]), _pt(mail["uplift"]))
    assert _metrics(at)["施策あり: mail"] != before
    table = _table(at, "segment")
    assert len(table) == int((~r.segments["is_control"]).sum())
    assert "チャンピオン" in table["segment"].tolist()
    # segments with too few customers say so instead of a difference
    small = table[table["verdict"] == "人数が少なく判断できません"]
    assert len(small) and (small["uplift"] == "—").all()
    assert at.warning and "人数が少なく判断できない層があります" in at.warning[0].value


@pytest.mark.slow
@pytest.mark.skipif(not HILLSTROM.exists(), reason="../shared/datasets/hillstrom is absent")
def test_uploading_the_hillstrom_experiment_shows_the_published_figures():
    at = _app()
    at.file_uploader(key="w_eff_upload").set_value(("hillstrom.csv", HILLSTROM.read_bytes(), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert [_box(at, label).value for label in ("顧客IDの列", "グループの列", "対照群（施策なし）", "比べる結果",
                                                 "1人あたり金額の列", "内訳")] == [
        "__none__", "segment", "No E-Mail", "col:visit", "spend", "none"]
    m = _metrics(at)
    assert m["施策あり: Mens E-Mail"] == ("18.3%", "+7.7pt")
    assert m["施策あり: Womens E-Mail"] == ("15.1%", "+4.5pt")
    assert m["対照群: No E-Mail"][0] == "10.6%"
    assert [x.value for x in at.metric if x.label == "1人あたり購入金額の差"] == ["+0.77", "+0.42"]
    _box(at, "内訳").set_value("list:channel").run()
    assert not at.exception, [e.value for e in at.exception]
    data = pd.read_csv(HILLSTROM)
    expected = ef.compare(data, group="segment", control="No E-Mail", outcome="visit", by="channel").segments
    expected = expected[~expected["is_control"]]
    table = _table(at, "segment")
    assert table["segment"].tolist() == ["Multichannel"] * 2 + ["Phone"] * 2 + ["Web"] * 2
    assert table["n"].tolist() == expected["n"].tolist()
    assert table["uplift"].tolist() == [_pt(u) for u in expected["uplift"]]
    assert table["interval"].tolist() == [f"{lo * 100:+.1f}〜{hi * 100:+.1f}pt"
                                          for lo, hi in zip(expected["low"], expected["high"])]
    spend = ef.compare(data, group="segment", control="No E-Mail", outcome="spend", by="channel").segments
    assert table["spend_diff"].tolist() == [f"{u:+,.2f}" for u in spend.loc[~spend["is_control"], "uplift"]]


def test_english():
    at = _app("en")
    assert at.title[0].value == "Campaign effect"
    assert "Treated: mail" in _metrics(at)
    assert _table(at, "segment")["verdict"].tolist() == ["unclear", "worked", "unclear"]


@pytest.mark.slow
def test_a_column_of_the_customer_table_can_be_the_group():
    at = _app()
    at.radio(key="w_eff_source").set_value(1).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "顧客ID: 顧客テーブルの「会員番号」" in [c.value for c in at.caption]
    _box(at, "グループの列").set_value("性別").run()
    _box(at, "対照群（施策なし）").set_value("回答しない").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "施策あり: 女性" in _metrics(at) and "施策あり: 男性" in _metrics(at)


def test_a_table_that_cannot_be_compared_gets_a_message_not_a_traceback():
    at = _app()
    text = "会員番号,メモ\n" + "".join(f"{i:04d},note {i}\n" for i in range(50))
    at.file_uploader(key="w_eff_upload").set_value(("memo.csv", text.encode("utf-8"), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.warning and "グループの列にできる列" in at.warning[0].value
