"""Workshop page: proposals side by side on the same customers."""

from functools import partial

import pytest
from streamlit.testing.v1 import AppTest

from loyalty import definition as defn
from loyalty.compare import compare
from loyalty.pipeline import InputFile, build_features, load_dataset
from loyalty.scoring import Scorer
from tests.helpers import APP, ROOT, app_test

_app = partial(app_test, "pages/workshop.py")
SAMPLES = sorted((ROOT / "loyalty" / "data" / "proposals").glob("*.json"))


def test_empty_state_says_what_to_do():
    at = _app()
    assert any("2つ以上" in i.value for i in at.info)


def test_sample_proposals_are_compared_with_independent_figures():
    at = _app()
    next(b for b in at.button if b.label == "サンプルの3案を追加").click().run()
    assert not at.exception, [e.value for e in at.exception]
    # in the order the caption names them (営業・マーケ・CS)
    assert [n[:2] for n in at.session_state["proposals"]] == ["営業", "マー", "CS"]
    # expected: the same three definitions scored directly on the sample data
    ds = load_dataset([InputFile(p.name, p.read_bytes()) for p in
                       (ROOT / "sample_data" / "orders_cp932.csv", ROOT / "sample_data" / "customers.csv")])
    f = build_features(ds).frame
    scorer = Scorer(f)
    defs = [defn.load(p) for p in SAMPLES]
    cmp = compare({d.name: scorer.score(d).frame for d in defs}, f["monetary"])
    ag = cmp.agreement()
    metrics = {m.label: m.value for m in at.metric}
    for d in defs:
        assert metrics[d.name] == f"{ag['counts'][d.name]:,}"
    assert metrics["すべての案で一致"] == f"{ag['in_all']:,}"
    assert metrics["いずれかの案で該当"] == f"{ag['in_any']:,}"
    dis = cmp.disagreements(50)
    table = [df.value for df in at.dataframe if "スコアの差" in df.value.columns][0]
    assert table["顧客ID"].tolist() == dis.index.tolist()


def test_adding_the_current_definition_and_removing_a_proposal():
    at = _app()
    at.text_input(key="w_ws_name").set_value("営業案").run()
    next(b for b in at.button if b.label == "いまの定義を案として追加").click().run()
    next(b for b in at.button if b.label == "いまの定義を案として追加").click().run()
    assert [m.value for m in at.markdown if m.value.startswith("**営業案")] == ["**営業案**", "**営業案 (2)**"]
    assert at.session_state["proposals"].keys() == {"営業案", "営業案 (2)"}
    assert not at.exception
    next(b for b in at.button if b.key == "ws_remove_営業案 (2)").click().run()
    assert list(at.session_state["proposals"]) == ["営業案"]


def test_adding_the_samples_twice_adds_no_copies():
    at = _app()
    for _ in range(2):
        next(b for b in at.button if b.label == "サンプルの3案を追加").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert sorted(at.session_state["proposals"]) == sorted(defn.load(p).name for p in SAMPLES)


def test_a_proposal_using_factors_the_data_lacks_is_flagged_with_the_weight_left_out():
    from loyalty.i18n import t

    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/data.py").run()
    orders = (ROOT / "sample_data" / "orders_cp932.csv").read_bytes()  # no customer table: no NPS, no survey
    at.file_uploader(key="w_upload").set_value(("orders_cp932.csv", orders, "text/csv")).run()
    at.switch_page("pages/workshop.py").run()
    next(b for b in at.button if b.label == "サンプルの3案を追加").click().run()
    assert not at.exception, [e.value for e in at.exception]
    f = build_features(load_dataset([InputFile("orders_cp932.csv", orders)])).frame
    expected = []
    for d in sorted((defn.load(p) for p in SAMPLES), key=lambda d: list(at.session_state["proposals"]).index(d.name)):
        gone = Scorer(f).score(d).dropped
        if gone:
            w = d.weights()
            expected.append(t("ws.dropped", name=d.name, lost=f"{sum(w[k] for k in gone):g}",
                              factors="、".join(t("ws.factor_weight", factor=t(f"factor.{k}"), weight=f"{w[k]:g}")
                                                for k in gone)))
    shown = [w.value for w in at.warning if w.value.startswith("「")]
    assert shown == expected
    # the CS proposal rests on NPS 35, satisfaction 15 and inquiries 10: all absent from an order file
    assert any("「CS案" in s and "NPS（推奨度）（重み35）" in s and "合わせて 60" in s for s in shown)


@pytest.mark.slow
def test_edit_loads_a_proposal_and_asks_first_when_unsaved_work_would_be_lost():
    from loyalty.i18n import t

    def edit(at, word):
        key = next(b.key for b in at.button if b.key and b.key.startswith("ws_edit_") and word in b.key)
        at.button(key=key).click().run()
        assert not at.exception, [e.value for e in at.exception]

    at = _app()
    next(b for b in at.button if b.label == "サンプルの3案を追加").click().run()
    edit(at, "営業案")  # nothing unsaved: loaded at once, and the page says so
    assert at.session_state["definition"].name == "営業案（売上重視）"
    assert [s.value for s in at.success] == [t("ws.loaded", name="営業案（売上重視）")]
    # a persona note typed since: the next 編集 asks first, and やめる keeps the work
    at.switch_page("pages/personas.py").run()
    at.text_area(key="w_note_tier:top").set_value("店頭イベントに招待").run()
    at.switch_page("pages/workshop.py").run()
    edit(at, "マーケ案")
    assert at.session_state["definition"].name == "営業案（売上重視）"
    assert at.button(key="ws_confirm_yes") and at.button(key="ws_confirm_no")
    at.button(key="ws_confirm_no").click().run()
    assert at.session_state["definition"].persona_notes == {"tier:top": "店頭イベントに招待"}
    assert not any(b.key == "ws_confirm_yes" for b in at.button)
    edit(at, "マーケ案")
    at.button(key="ws_confirm_yes").click().run()
    assert at.session_state["definition"].name == "マーケ案（関与重視）"
    assert at.session_state["definition"].persona_notes == {}
    assert not any(b.key == "ws_confirm_yes" for b in at.button)
