"""Switching the UI language in a real browser: English everywhere, then back."""

import pytest
from playwright.sync_api import expect

from loyalty.i18n import t

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_switching_to_english_and_back(app):
    app.open()
    expect(app.heading).to_have_text(t("home.title", "ja"))
    app.set_language("en")
    expect(app.heading).to_have_text(t("home.title", "en"))
    expect(app.metric(t("home.kpi.customers", "en"))).to_be_visible()
    expect(app.sidebar).to_contain_text(t("sidebar.as_of", "en"))
    # the choice holds on the next page
    app.go("nav.data")
    expect(app.heading).to_have_text(t("data.title", "en"))
    expect(app.metric(t("data.q.read", "en"))).to_be_visible()
    app.set_language("ja")
    expect(app.heading).to_have_text(t("data.title", "ja"))
    expect(app.nav_link("nav.home")).to_be_visible()
    expect(app.sidebar).to_contain_text(t("sidebar.as_of", "ja"))
