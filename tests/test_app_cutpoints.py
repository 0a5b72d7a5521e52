"""The definition page's R/F/M cut points in the app: customers per score beside the
controls, the suggestion from the data (one click on Online Retail in pounds), and
the data page's currency reaching the amount steps."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from loyalty import cutpoints as cp
from loyalty import definition as defn
from loyalty.fmt import format_int, format_pct
from loyalty.i18n import t
from loyalty.pipeline import InputFile, build_features, load_dataset
from loyalty.scoring import Scorer

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
SAMPLE = [ROOT / "sample_data" / "orders_cp932.csv", ROOT / "sample_data" / "customers.csv"]
RETAIL = ROOT.parent / "shared" / "datasets" / "online_retail" / "online_retail.csv.gz"

pytestmark = pytest.mark.slow  # each drives the app (several seconds)


def _definition_page():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/definition.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _counts_line(axis: str, counts) -> str:
    letter = axis[0].upper()
    items = [t("cut.count_item", "ja", score=f"{letter}{k}", n=format_int(counts[k - 1])) for k in range(5, 0, -1)]
    return t("cut.counts", "ja", counts=t("cut.count_sep", "ja").join(items))


def _expected_counts(d: defn.Definition) -> dict[str, tuple]:
    ds = load_dataset([InputFile(p.name, p.read_bytes()) for p in SAMPLE])
    rfm, _ = Scorer(build_features(ds).frame).rfm_scores(d)
    return {axis: tuple(int((rfm[axis] == k).sum()) for k in range(1, 6)) for axis in rfm}


def test_customers_per_score_beside_each_axis_follow_the_slider():
    at = _definition_page()
    captions = [c.value for c in at.caption]
    d = defn.preset("b2c")
    for axis, counts in _expected_counts(d).items():
        assert _counts_line(axis, counts) in captions, axis
    at.slider(key="w_def_recency_0").set_value(7).run()  # R5 = within a week
    d.rfm.recency = [7.0, 60.0, 90.0, 179.0]
    after = _expected_counts(d)
    assert _counts_line("recency", after["recency"]) in [c.value for c in at.caption]
    assert sum(after["recency"]) == 2090


def test_the_suggestion_on_request_shows_what_it_changes_and_applies_in_one_click():
    at = _definition_page()
    assert not at.warning or all("提案" not in w.value for w in at.warning)  # the sample's top tier is not flagged
    at.toggle(key="w_cut_show").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.table[0].value
    assert list(table.columns) == [t("cut.col.what", "ja"), t("cut.col.now", "ja"), t("cut.col.suggested", "ja")]
    ds = load_dataset([InputFile(p.name, p.read_bytes()) for p in SAMPLE])
    s = cp.suggest(Scorer(build_features(ds).frame), defn.preset("b2c"), "JPY")
    top_row = table[table.iloc[:, 0] == t("cut.row.top", "ja", tier=t("tier.top", "ja"))].iloc[0]
    assert top_row.iloc[2] == t("cut.top_value", "ja", n=format_int(s.after.top), share=format_pct(s.after.top_share))
    at.button(key="w_cut_apply_open").click().run()
    rfm = at.session_state["definition"].rfm
    assert {"recency": rfm.recency, "frequency": rfm.frequency, "monetary": rfm.monetary} == s.cuts
    assert [at.slider(key=f"w_def_recency_{i}").value for i in range(4)] == [int(x) for x in s.cuts["recency"]]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[t("tier.top", "ja")] == format_int(s.after.top)
    assert len(at.success) == 1 and format_pct(s.after.top_share) in at.success[0].value


def test_amount_cut_points_step_in_the_datas_currency():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/data.py").run()
    at.selectbox(key="w_currency").set_value("GBP").run()
    at.switch_page("pages/definition.py").run()
    assert at.number_input(key="w_def_monetary_0").step == cp.AMOUNT_MIN_STEP["GBP"]
    assert at.caption and "£10,000" in [c.value for c in at.caption]  # M2 shown in pounds


@pytest.mark.slow
@pytest.mark.skipif(not RETAIL.exists(), reason=f"{RETAIL} (the shared real datasets) is absent")
def test_online_retail_in_pounds_one_click_gives_a_top_tier_between_5_and_25_percent():
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="w_upload").set_value((RETAIL.name, RETAIL.read_bytes(), "application/gzip")).run()
    at.selectbox(key="w_currency").set_value("GBP").run()
    at.switch_page("pages/definition.py").run()
    assert not at.exception, [e.value for e in at.exception]
    top = t("tier.top", "ja")
    assert {m.label: m.value for m in at.metric}[top] == "26"
    # the tiny top tier is flagged above the tabs, with the suggestion and its button
    flag = t("cut.flag.small", "ja", tier=top, top=t("cut.top_value", "ja", n="26", share="0.6%"),
             small="5%", large="40%")
    assert flag in [w.value for w in at.warning]
    at.button(key="w_cut_apply_flag").click().run()  # one click
    assert not at.exception, [e.value for e in at.exception]
    rfm = at.session_state["definition"].rfm
    assert (rfm.recency, rfm.frequency, rfm.monetary) == ([3, 21, 45, 120], [2, 3, 4, 8], [300, 600, 1200, 3500])
    assert {m.label: m.value for m in at.metric}[top] == "793"
    # ... and says so: 793 of 4,372 customers = 18.1%, inside the 5%-25% aimed at
    said = t("cut.applied", "ja", tier=top, before=t("cut.top_value", "ja", n="26", share="0.6%"),
             after=t("cut.top_value", "ja", n="793", share="18.1%"), low="5%", high="25%",
             rev_before="25.0%", rev_after="67.7%")
    assert [s.value for s in at.success] == [said]
    assert not [w.value for w in at.warning if w.value.startswith(top)]  # no longer flagged
