"""The workshop page in a real browser: proposals loaded from definition files are
compared, and the comparison workbook downloads and reads back."""

import json

import openpyxl
import pytest
from playwright.sync_api import expect

from loyalty import definition as defn
from loyalty.compare import compare

from .figures import sample_features, sample_scores

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _proposal(name: str, top: float, middle: float) -> defn.Definition:
    d = defn.preset("b2c")
    d.name, d.tiers = name, {"top": top, "middle": middle}
    return d


def test_definition_files_become_proposals_and_the_comparison_downloads(app, tmp_path):
    sales, marketing = _proposal("営業案", 70.0, 40.0), _proposal("マーケ案", 85.0, 55.0)
    paths = []
    for stem, d in (("sales", sales), ("marketing", marketing)):
        paths.append(tmp_path / f"{stem}.json")
        paths[-1].write_text(d.to_json(), encoding="utf-8")
    frames = {d.name: sample_scores(d).frame for d in (sales, marketing)}
    ag = compare(frames, sample_features().frame["monetary"]).agreement()

    app.open("workshop")
    app.upload(app.t("ws.upload"), *paths)
    for name in ("営業案", "マーケ案"):
        expect(app.metric(name)).to_have_text(f"{ag['counts'][name]:,}")
    expect(app.metric(app.t("ws.in_all"))).to_have_text(f"{ag['in_all']:,}")
    app.expect_no_exception()

    book = openpyxl.load_workbook(app.download(app.t("ws.download"), tmp_path), read_only=True)
    assert book.sheetnames == [app.t(f"ws.sheet.{k}") for k in ("sizes", "jaccard", "migration", "disagree",
                                                                "definitions")]
    rows = [r for r in book[app.t("ws.sheet.definitions")].iter_rows(values_only=True) if any(r)]
    head = next(i for i, r in enumerate(rows) if "JSON" in r)
    saved = {r[0]: defn.from_dict(json.loads(r[1])) for r in rows[head + 1:]}
    assert set(saved) == {"営業案", "マーケ案"}
    assert saved["営業案"].to_dict() == sales.to_dict() and saved["マーケ案"].to_dict() == marketing.to_dict()
    # tier sizes are numbers (not text), in the screen's order of proposals and tiers
    rows = [r for r in book[app.t("ws.sheet.sizes")].iter_rows(values_only=True) if any(v is not None for v in r)]
    head = next(i for i, r in enumerate(rows) if app.t("ws.definition") in r)
    body = {r[0]: r[1:] for r in rows[head + 1:]}
    for name, frame in frames.items():
        counts = frame["tier"].value_counts()
        assert [body[name][0], body[name][2], body[name][4]] == [int(counts.get(k, 0)) for k in ("top", "middle", "low")]
        assert all(isinstance(v, float) and 0 <= v <= 1 for v in body[name][1::2])
    # the migration sheet says which proposal is the rows and which the columns
    lines = [r[0] for r in book[app.t("ws.sheet.migration")].iter_rows(max_row=2, values_only=True)]
    assert lines[1] == app.t("ws.migration_axes", a="営業案", b="マーケ案")
    # the first sheet says what was compared, on which data and as of when
    lines = [r[0] for r in book[app.t("ws.sheet.sizes")].iter_rows(max_row=4, values_only=True)]
    assert lines[0] == app.t("ws.sheet_title") and lines[1].startswith("基準日: 2026/10/31")
    assert lines[2] == app.t("workbook.line.source", source=app.t("personas.sample_source", files="orders_cp932.csv、customers.csv"))


def test_a_proposal_loaded_from_the_workshop_fills_the_definition_page(app):
    # the definition page was drawn earlier in the session; 編集 on the workshop then loads
    # a proposal, and the page must show that proposal's settings, not empty widgets
    app.open("definition")
    app.tab(app.t("wb.tab.rfm"))
    assert app.slider_thumbs(app.t("definition.cut.recency.0")).first.input_value() == "30"
    app.go("nav.workshop")
    app.page.get_by_role("button", name=app.t("ws.add_samples")).click()
    app.wait_idle()
    app.page.get_by_role("button", name=app.t("ws.edit")).first.click()
    app.wait_idle()
    expect(app.page.get_by_text(app.t("ws.loaded", name="営業案（売上重視）"))).to_be_visible()
    app.go("nav.definition")
    app.tab(app.t("wb.tab.rfm"))
    values = [app.slider_thumbs(app.t(f"definition.cut.recency.{i}")).first.input_value() for i in range(4)]
    assert values == ["30", "60", "90", "179"]
    m2 = app.widget("stNumberInput", app.t("definition.cut.monetary.0")).locator("input")
    expect(m2).to_have_value("10000")
    # moving one slider changes that one setting only (the other widgets had been left empty:
    # no factors, M cut points 0, and errors for both)
    assert app.move_slider(app.t("definition.cut.recency.0"), -2) == "28"
    app.settle()
    expect(m2).to_have_value("10000")
    expect(app.page.get_by_test_id("stAlertContentError")).to_have_count(0)
    expect(app.page.get_by_test_id("stAlertContentWarning")).to_have_count(0)
    app.expect_no_exception()
