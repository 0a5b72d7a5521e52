"""The definition page in a real browser: sliders moved with the keyboard or the
mouse change the tier sizes, and the segments page's table and chart follow."""

import pytest
from playwright.sync_api import expect

from loyalty import cutpoints as cp
from loyalty import definition as defn
from loyalty.fmt import format_int
from loyalty.i18n import t

from .figures import sample_features, sample_scores, tier_counts

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _expect_tier_counts(app, counts):
    for key in ("top", "middle", "low"):
        expect(app.metric(app.t(f"tier.{key}"))).to_have_text(format_int(counts[key]))


def _expect_segment_chart_shares(app, counts):
    """The segments page's tier-share chart labels its bars with these tiers' shares."""
    total = sum(counts.values())
    app.go("nav.segments")
    chart = app.charts().first
    for key in ("top", "middle", "low"):
        expect(chart).to_contain_text(f"{counts[key] / total:.1%}")


def _shares(counts):
    total = sum(counts.values())
    return {k: f"{v / total:.1%}" for k, v in counts.items()}


def test_moving_an_rfm_cut_point_changes_the_tier_sizes(app):
    d = defn.preset("b2c")
    d.rfm.recency = [25.0, *d.rfm.recency[1:]]  # R5 = last order within 25 days instead of 30
    before, after = sample_scores(), sample_scores(d)
    moved = int((before.frame["tier"].astype(str) != after.frame["tier"].astype(str)).sum())
    assert moved > 0, "the fixture must move someone"

    app.open("definition")  # a page reached directly, as after a browser refresh
    _expect_tier_counts(app, tier_counts(before))
    app.tab(app.t("wb.tab.rfm"))
    assert app.move_slider(app.t("definition.cut.recency.0"), -5) == "25"
    _expect_tier_counts(app, tier_counts(after))
    expect(app.metric(app.t("definition.moved"))).to_have_text(format_int(moved))
    assert _shares(tier_counts(before)) != _shares(tier_counts(after))
    _expect_segment_chart_shares(app, tier_counts(after))


def test_moving_the_tier_cutoffs_changes_the_segment_table_and_charts(app):
    d = defn.preset("b2c").copy(tiers={"middle": 45.0, "top": 75.0})
    before, after = tier_counts(sample_scores()), tier_counts(sample_scores(d))
    total = sum(after.values())
    assert before != after

    app.open("segments")
    table = app.page.get_by_test_id("stDataFrame").first
    app.settle()
    table_before = table.screenshot()
    expect(app.charts().first).to_contain_text(f"{before['top'] / total:.1%}")

    app.go("nav.definition")
    app.tab(app.t("wb.tab.tiers"))
    assert float(app.move_slider(app.t("definition.tiers"), -5, thumb=0)) == 45
    assert float(app.move_slider(app.t("definition.tiers"), -5, thumb=1)) == 75
    _expect_tier_counts(app, after)

    app.go("nav.segments")
    # the tier-share chart labels its bars with the new shares
    chart = app.charts().first
    for key in ("top", "middle", "low"):
        expect(chart).to_contain_text(f"{after[key] / total:.1%}")
    # the tier table (drawn on a canvas) shows other figures
    app.expect_image_change(table, table_before)
    # the measures tab names each tier with its new size
    app.tab(app.t("segments.tab.measures"))
    expect(app.page.get_by_test_id("stMain")).to_contain_text(
        f"{app.t('tier.top')} — {app.t('segments.customers_n', n=format_int(after['top']))}")


def test_moving_a_weight_slider_rebalances_the_others_and_rescores(app):
    app.open("definition")
    app.tab(app.t("wb.tab.factors"))
    label = app.t("wb.weight", factor=app.t("factor.nps"))
    value = app.drag_slider(label, 0.6)  # NPS from 20 to about 60
    assert value > 40
    d = defn.preset("b2c")
    weights = defn.rebalance(d.weights(), "nps", value)  # the others keep their proportions
    assert sum(weights.values()) == 100
    for key, w in weights.items():
        thumb = app.slider_thumbs(app.t("wb.weight", factor=app.t(f"factor.{key}"))).first
        expect(thumb).to_have_value(f"{w:g}")
    d.factors = [defn.FactorSetting(k, w) for k, w in weights.items()]
    after = tier_counts(sample_scores(d))
    assert _shares(after) != _shares(tier_counts(sample_scores())), "the move must change the tiers"
    _expect_tier_counts(app, after)
    _expect_segment_chart_shares(app, after)


def test_arrow_keys_and_the_mouse_past_a_neighbour_push_it_along_without_an_error(app):
    app.open("definition")
    app.tab(app.t("wb.tab.rfm"))
    # keyboard: R5 from 30 to 65 days, past R4 (60 days), which moves along to 66
    assert app.move_slider(app.t("definition.cut.recency.0"), 35) == "65"
    thumbs = [app.slider_thumbs(app.t(f"definition.cut.recency.{i}")).first for i in range(4)]
    for thumb, value in zip(thumbs, ("65", "66", "90", "179")):
        expect(thumb).to_have_value(value)
    app.expect_no_exception()
    d = defn.preset("b2c")
    d.rfm.recency = [65.0, 66.0, 90.0, 179.0]
    _expect_tier_counts(app, tier_counts(sample_scores(d)))
    # the customers per score beside the R controls follow
    days = cp.AxisValues.of(sample_features().frame["recency_days"])
    counts = cp.score_counts(days, d.rfm.recency, higher_is_better=False)
    line = t("cut.counts", "ja", counts=t("cut.count_sep", "ja").join(
        t("cut.count_item", "ja", score=f"R{k}", n=format_int(counts[k - 1])) for k in range(5, 0, -1)))
    expect(app.page.get_by_test_id("stMain").get_by_text(line, exact=True)).to_be_visible()
    # mouse: R2 dragged to the far left, below R3 and R4: they are pushed down, R5 too
    value = app.drag_slider(app.t("definition.cut.recency.3"), 0.0)
    assert value == 3  # R2's range starts at 3 days: room for R5, R4 and R3 below it
    for thumb, expected in zip(thumbs, ("0", "1", "2", "3")):
        expect(thumb).to_have_value(expected)
    app.expect_no_exception()
