"""The 推移 page under AppTest: reached directly on the sample data, the period choice
changes what is shown, the lists' counts equal the flows, an upload, a customer-level
upload (no history: the empty state), and English.  Expected figures come from
loyalty.movement run separately on the same files, not from the screen."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from loyalty import definition as defn
from loyalty import movement as mv
from loyalty.fmt import format_date, format_int, format_pct
from loyalty.pipeline import InputFile, load_dataset

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGE = "pages/movement.py"
SAMPLE = [ROOT / "sample_data" / "orders_cp932.csv", ROOT / "sample_data" / "customers.csv"]
# two customers over three month-ends; BtoC preset as it is (SNS and NPS are absent and drop out)
UPLOAD = """会員番号,注文日,金額
0001,2024/01/10,120000
0001,2024/02/15,5000
0002,2024/02/20,3000
0002,2024/03/30,150000
0001,2024/03/31,1000
"""


@pytest.fixture(scope="module")
def sample():
    return load_dataset([InputFile(p.name, p.read_bytes()) for p in SAMPLE])


def expected(ds, every: str = "month", count: int = 12) -> mv.Movement:
    periods = mv.data_period_ends(ds.transactions, every=every, count=count)
    return mv.compute(mv.Timeline(ds.transactions, ds.customers), defn.preset("b2c"), periods, every)


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def _lists(at) -> list[pd.DataFrame]:
    return [df.value for df in at.dataframe if "前の期末の層" in df.value.columns]


@pytest.mark.slow
def test_the_page_renders_directly_with_the_domain_figures(sample):
    m = expected(sample)
    last = len(m.periods) - 1
    at = _app()
    assert at.title[0].value == "ロイヤル層の推移"
    assert not at.error, [e.value for e in at.error]
    got = _metrics(at)
    assert got == {"人数": format_int(m.summary["top"].iloc[-1]),
                   "売上構成比": format_pct(m.summary["revenue_share_top"].iloc[-1]),
                   "新たに加わった": format_int(len(m.moved(last, "in"))),
                   "外れた": format_int(len(m.moved(last, "out")))}
    heading = f"**最重要顧客（{format_date(m.periods[-1].as_of)} 時点、前の期末 {format_date(m.periods[-2].as_of)} との比較）**"
    assert heading in [md.value for md in at.markdown]
    # the definition is named, and what has no history is said
    assert any("定義「BtoC EC（標準）」" in c.value for c in at.caption)
    assert "SNSでの反応、NPS（推奨度）" in at.info[0].value
    assert len(at.get("vega_lite_chart")) == 3
    bands = _flow_bands(at)
    assert bands["encoding"]["color"]["scale"]["domain"] == ["最重要顧客", "中堅層", "低貢献層",
                                                           "新規（前の期末は未購入）"]
    assert bands["encoding"]["x"]["axis"]["labelAngle"] == 0
    assert "'2025/11'" in bands["encoding"]["x"]["axis"]["labelExpr"]


@pytest.mark.slow
def test_the_lists_counts_equal_the_flows(sample):
    m = expected(sample)
    flows = m.flows()
    at = _app()

    def check(k: int) -> None:
        step = flows[flows["to_as_of"] == m.periods[k].as_of]
        out = int(step[(step["from"] == "top") & (step["to"] != "top")]["customers"].sum())
        new = int(step[(step["from"] != "top") & (step["to"] == "top")]["customers"].sum())
        dropped, joined = _lists(at)
        assert (len(dropped), len(joined)) == (out, new)
        assert set(dropped["前の期末の層"]) == {"最重要顧客"} and "最重要顧客" not in set(dropped["期末の層"])
        assert set(joined["期末の層"]) == {"最重要顧客"}
        titles = [md.value for md in at.markdown if md.value.startswith("**")]
        assert f"**最重要顧客から外れた顧客（{format_int(out)}人）**" in titles
        assert f"**新たに最重要顧客になった顧客（{format_int(new)}人）**" in titles

    check(len(m.periods) - 1)
    at.selectbox(key="w_mv_step").set_value(3).run()
    assert not at.exception
    check(3)
    assert len(at.download_button) == 2
    # the system form: English headers and keys, as target lists have them
    at.radio(key="w_mv_form").set_value("key").run()
    dropped, _ = _lists_key(at)
    assert dropped.columns.tolist()[:3] == ["customer_id", "previous_tier", "tier"]


def _flow_bands(at) -> dict:
    """The band layer (areas) of the flow chart's Vega-Lite spec."""
    for chart in at.get("vega_lite_chart"):
        for layer in json.loads(chart.proto.spec).get("layer", []):
            if layer["mark"]["type"] == "area":
                return layer
    raise AssertionError("no flow chart")


def _lists_key(at) -> list[pd.DataFrame]:
    return [df.value for df in at.dataframe if "previous_tier" in df.value.columns]


@pytest.mark.slow
def test_changing_the_period_changes_what_is_shown(sample):
    at = _app()
    at.segmented_control(key="w_mv_every").set_value("quarter").run()
    assert not at.exception
    m = expected(sample, "quarter", 8)
    got = _metrics(at)
    assert got["外れた"] == format_int(len(m.moved(len(m.periods) - 1, "out")))
    assert any(c.value.startswith(f"{format_date(m.periods[0].as_of)} 〜 2026/10/31 の 8 期末（四半期ごと）")
               for c in at.caption)
    at.slider(key="w_mv_periods_quarter").set_value(3).run()
    shown = next(c.value for c in at.caption if " 期末（" in c.value)
    # the sample ends on 2026-10-31, a month end but not a quarter end: the last quarter is partial
    assert shown == "2026/06/30 〜 2026/10/31 の 3 期末（四半期ごと） 最後の期間は途中です（基準日 2026/10/31 まで）。"


@pytest.mark.slow
def test_after_an_upload_the_page_shows_that_data():
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="w_upload").set_value(("mine.csv", UPLOAD.encode("cp932"), "text/csv")).run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    # month ends 2024-01-31, 02-29, 03-31: 0001 enters top (M5, R5) then stays; 0002 enters in February
    ds = load_dataset([InputFile("mine.csv", UPLOAD.encode("cp932"))])
    m = expected(ds)
    assert [p.as_of.isoformat() for p in m.periods] == ["2024-01-31", "2024-02-29", "2024-03-31"]
    got = _metrics(at)
    assert got["人数"] == format_int(m.summary["top"].iloc[-1])
    assert got["新たに加わった"] == format_int(len(m.moved(2, "in")))
    assert any(md.value.startswith("**最重要顧客（2024/03/31 時点") for md in at.markdown)
    assert not at.info  # no customer table: nothing is taken "as it is today"
    assert any("購入明細から計算する項目だけ" in c.value for c in at.caption)


@pytest.mark.slow
def test_a_customer_level_upload_shows_the_empty_state():
    text = "顧客ID,最終購入日,購入回数,購入金額\nC1,2024/06/01,5,50000\nC2,2024/05/01,1,3000\n"
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="w_upload").set_value(("summary.csv", text.encode("utf-8"), "text/csv")).run()
    at.switch_page(PAGE).run()
    assert not at.exception and not at.error
    assert at.info[0].value.startswith("推移を見るには購入明細")
    assert not at.get("vega_lite_chart") and not at.metric


@pytest.mark.slow
def test_in_english(sample):
    m = expected(sample)
    at = _app()
    at.toggle(key="w_lang_en").set_value(True).run()
    assert not at.exception
    assert at.title[0].value == "Movement over time"
    got = _metrics(at)
    assert got["Dropped out"] == format_int(len(m.moved(len(m.periods) - 1, "out")))
    assert "New (not yet a customer before)" in _flow_bands(at)["encoding"]["color"]["scale"]["domain"]


def test_the_flow_layout_fills_every_bar_exactly_with_its_bands():
    """Bars stacked top → low (gap 3% of the tallest stack), a "new" bar under the stack
    before the period end where customers enter; bands leave and reach their bars in
    order, so what leaves and what arrives fill each bar exactly."""
    from tests.test_movement import FIXTURE, TODAY, monetary_only
    from tests.helpers import csv_input
    from ui.movement import flow_layout

    ds = load_dataset([csv_input(FIXTURE)], today=TODAY)
    m = mv.compute(mv.Timeline(ds.transactions), monetary_only(), mv.data_period_ends(ds.transactions))
    bars, bands = flow_layout(m)
    gap = 0.03 * 4  # the tallest stack: March's four customers (nobody enters after it)
    assert bars[["k", "state", "customers"]].to_numpy().tolist() == [
        [0, "top", 1], [0, "new", 1], [1, "top", 1], [1, "low", 1], [1, "new", 2],
        [2, "top", 2], [2, "middle", 1], [2, "low", 1]]
    assert bars["y0"].tolist() == pytest.approx([0, 1 + gap, 0, 1 + gap, 2 + 2 * gap, 0, 2 + gap, 3 + 2 * gap])
    ends = bands.groupby("band").agg(k=("k", "first"), source=("source", "first"), target=("target", "first"),
                                     leave=("y0", "first"), arrive=("y0", "last"))
    assert ends[["k", "source", "target"]].to_numpy().tolist() == [
        [1, "top", "top"], [1, "new", "low"],                     # A stays; B enters low
        [2, "top", "middle"], [2, "low", "top"],                  # A drops to middle; B rises to top
        [2, "new", "top"], [2, "new", "low"]]                     # D enters top; C enters low
    assert ends["leave"].tolist() == pytest.approx([0, 1 + gap, 0, 1 + gap, 2 + 2 * gap, 3 + 2 * gap])
    # B reaches the top bar first (sources in tier order), D under it
    assert ends["arrive"].tolist() == pytest.approx([0, 1 + gap, 2 + gap, 0, 1, 3 + 2 * gap])
    assert (bands.groupby("band")["x"].agg(["min", "max"]).round(2).to_numpy().tolist()
            == [[0.11, 0.89], [0.11, 0.89], [1.11, 1.89], [1.11, 1.89], [1.11, 1.89], [1.11, 1.89]])
