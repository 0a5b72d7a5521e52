"""The 施策効果 page in a real browser: the Hillstrom e-mail experiment uploaded through
the real file input, broken down by channel, shown with Japanese labels (the uplift
chart included) and saved as ``artifacts/screenshots/effect-ja.png``."""

from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect

from loyalty import effect as ef

pytestmark = pytest.mark.browser

HILLSTROM = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "hillstrom" / "hillstrom.csv"


@pytest.mark.skipif(not HILLSTROM.exists(), reason="../shared/datasets/hillstrom is absent")
def test_hillstrom_uploaded_on_the_campaign_page_shows_the_effect_per_channel(app):
    overall = ef.compare(pd.read_csv(HILLSTROM), group="segment", control="No E-Mail",
                         outcome="visit").overall.set_index("group")
    mens = overall.loc["Mens E-Mail"]
    app.open("effect")
    expect(app.heading).to_have_text(app.t("effect.title"))
    app.upload(app.t("effect.upload_label"), HILLSTROM)
    expect(app.metric(app.t("effect.kpi.treated", group="Mens E-Mail"))).to_contain_text(f"{mens['mean']:.1%}")
    expect(app.metric(app.t("effect.kpi.control", group="No E-Mail")).first).to_have_text(
        f"{overall.loc['No E-Mail', 'mean']:.1%}")
    expect(app.metric(app.t("effect.kpi.interval")).first).to_have_text(
        f"{mens['low'] * 100:+.1f}〜{mens['high'] * 100:+.1f}pt")
    app.select(app.t("effect.ctl.by"), app.t("effect.by.column", column="channel"))
    chart = app.charts().first
    expect(chart).to_contain_text(app.t("effect.chart.x_rate"))
    for label in (app.t("effect.overall"), "Multichannel", "Phone", "Web"):
        expect(chart).to_contain_text(label)
    main = app.page.get_by_test_id("stMain")
    expect(main).to_contain_text(app.t("effect.targets.title"))
    expect(main).to_contain_text(app.t("effect.verdict_line.lift", group="Mens E-Mail", control="No E-Mail"))
    app.expect_no_exception()
    shot = app.screenshot("effect-ja")
    assert shot.stat().st_size > 50_000
