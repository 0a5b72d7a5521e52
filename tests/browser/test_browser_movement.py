"""The 推移 page in a real browser: the flow chart draws with Japanese tier names and
period labels, the headline figures are the domain's, and the "dropped out of the top
tier" list downloads as a CSV that reads back with its customers (ids as text).

Expected figures come from loyalty.movement run on the sample files (the app opens
with them, under the BtoC preset, monthly, 12 period ends)."""

from functools import lru_cache

import pandas as pd
import pytest
from playwright.sync_api import expect

from loyalty import definition as defn
from loyalty import movement as mv
from loyalty.fmt import format_date, format_int
from loyalty.pipeline import InputFile, load_dataset

from .figures import ROOT, SAMPLE_FILES

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@lru_cache(maxsize=1)
def sample_movement() -> mv.Movement:
    ds = load_dataset([InputFile(name, (ROOT / "sample_data" / name).read_bytes()) for name in SAMPLE_FILES])
    periods = mv.data_period_ends(ds.transactions, every="month", count=12)
    return mv.compute(mv.Timeline(ds.transactions, ds.customers), defn.preset("b2c"), periods)


def test_the_flow_chart_draws_with_japanese_labels_and_the_list_downloads(app, tmp_path):
    m = sample_movement()
    last = len(m.periods) - 1
    app.open("movement")
    expect(app.heading).to_have_text(app.t("movement.title"))
    top = app.t("tier.top")
    expect(app.page.get_by_text(app.t("movement.kpi.heading", tier=top, as_of=format_date(m.periods[-1].as_of),
                                      before=format_date(m.periods[-2].as_of)))).to_be_visible()
    expect(app.metric(app.t("movement.kpi.top"))).to_have_text(format_int(m.summary["top"].iloc[-1]))
    expect(app.metric(app.t("movement.kpi.out"))).to_have_text(format_int(len(m.moved(last, "out"))))

    # the chart is drawn when it comes into view
    app.page.get_by_role("heading", name=app.t("movement.flow")).scroll_into_view_if_needed()
    app.settle()
    flow = app.charts().filter(has_text=app.t("movement.flow.new"))
    expect(flow).to_have_count(1)
    for text in (top, app.t("tier.middle"), app.t("tier.low"), "2025/11", "2026/10"):
        expect(flow).to_contain_text(text)
    # the top tier's count is written above each stack: the last one is the headline figure
    expect(flow).to_contain_text(format_int(m.summary["top"].iloc[-1]))
    app.expect_no_exception()
    shot = app.screenshot("movement-ja")
    assert shot.stat().st_size > 10_000

    path = app.download(app.t("movement.download_out"), tmp_path)
    got = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    assert sorted(got["顧客ID"]) == m.moved(last, "out").tolist()
    assert set(got["前の期末の層"]) == {top}
    assert not (got["期末の層"] == top).any()
