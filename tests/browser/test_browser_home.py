"""The overview page in a real browser: the app opens on the sample data."""

import pytest
from playwright.sync_api import expect

from loyalty.fmt import format_date, format_int, format_yen

from .figures import sample_features, sample_scores, tier_counts

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_app_opens_on_the_sample_data_with_its_figures(app):
    feats = sample_features()
    counts = tier_counts(sample_scores())
    customers = sum(counts.values())
    app.open()
    expect(app.heading).to_have_text(app.t("home.title"))
    expect(app.metric(app.t("home.kpi.customers"))).to_have_text(format_int(customers))
    expect(app.metric(app.t("home.kpi.top_customers", tier=app.t("tier.top")))).to_have_text(
        format_int(counts["top"]))
    expect(app.metric(app.t("home.kpi.revenue"))).to_have_text(format_yen(feats.frame["monetary"].sum()))
    # the chart labels each bar with its share: the top tier's share of customers
    expect(app.charts().first).to_contain_text(f"{counts['top'] / customers:.1%}")
    # the sidebar says where the figures come from and as of when
    expect(app.sidebar).to_contain_text(app.t("polish.sidebar.sample_badge"))
    expect(app.sidebar).to_contain_text(format_date(feats.as_of))
    app.expect_no_exception()
