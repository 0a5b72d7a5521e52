"""Definition workbench in the app: weights that sum to 100, factor choice, segment
rules as data, definition files, repeaters vs loyal, the per-customer breakdown."""

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from loyalty import definition as defn
from loyalty.i18n import t
from loyalty.pipeline import InputFile, build_features, load_dataset
from loyalty.repeaters import find_groups
from loyalty.scoring import Scorer
from tests.helpers import APP, ROOT, SAMPLE, app_test as _app, metrics as _metrics


def _features():
    ds = load_dataset([InputFile(p.name, p.read_bytes()) for p in SAMPLE])
    return build_features(ds).frame


def test_moving_a_weight_keeps_the_total_at_100_and_rescores():
    at = _app("pages/definition.py")
    at.slider(key="w_def_wt_nps").set_value(60.0).run()
    assert not at.exception, [e.value for e in at.exception]
    weights = {k: at.slider(key=f"w_def_wt_{k}").value
               for k in ("recency", "frequency", "monetary", "sns_reactions", "nps")}
    assert sum(weights.values()) == 100
    # the other four (15/25/25/15 = 80) share the remaining 40 in proportion: 7.5/12.5/12.5/7.5,
    # rounded by largest remainder (ties to the earlier factor)
    assert weights == {"recency": 8.0, "frequency": 13.0, "monetary": 12.0, "sns_reactions": 7.0, "nps": 60.0}
    d = defn.preset("b2c")
    d.factors = [defn.FactorSetting(k, w) for k, w in weights.items()]
    expected = Scorer(_features()).score(d).frame["tier"].astype(str).value_counts()
    assert _metrics(at)["最重要顧客"] == f"{expected['top']:,}"
    saved = at.session_state["definition"]
    assert saved.weights() == weights


def test_choosing_factors_gives_equal_weights_summing_to_100():
    at = _app("pages/definition.py")
    at.multiselect(key="w_def_factors").set_value(["recency", "frequency", "monetary"]).run()
    assert not at.exception
    # 15/25/25 kept in proportion and scaled to 100: 23.1/38.5/38.5 -> 23/39/38
    assert [at.slider(key=f"w_def_wt_{k}").value for k in ("recency", "frequency", "monetary")] == \
        [23.0, 39.0, 38.0]
    assert at.session_state["definition"].weights() == {"recency": 23.0, "frequency": 39.0, "monetary": 38.0}


def test_segment_rules_from_the_definition_drive_the_segments_page():
    at = _app("pages/definition.py")
    d = defn.preset("b2c")
    d.segments = d.segments[:1]  # only Champions; everyone else falls to the catch-all
    at.session_state["definition"] = d
    at.switch_page("pages/segments.py").run()
    assert not at.exception
    seg = [df.value for df in at.dataframe if "rfm_segment_label" in df.value.columns][0]
    assert set(seg["rfm_segment_label"]) == {"チャンピオン", "その他"}


def test_definition_download_loads_back_identically():
    at = _app("pages/definition.py")
    at.slider(key="w_def_tiers").set_value((45.0, 75.0)).run()
    d = at.session_state["definition"]
    again = defn.loads(d.to_json())
    assert again.to_dict() == d.to_dict()
    assert again.tiers == {"top": 75.0, "middle": 45.0}


@pytest.mark.slow
def test_repeaters_tab_counts_match_the_domain_rules():
    groups = find_groups(_features())
    at = _app("pages/segments.py")
    counts = [m.value for m in at.metric if m.label == "顧客数"]
    assert counts == [f"{len(groups.price_driven):,}", f"{len(groups.loyal_in_waiting):,}"]
    at.slider(key="rep_min_disc").set_value(0.95).run()
    tighter = find_groups(_features(), defn_rules(min_discount_share=0.95))
    counts = [m.value for m in at.metric if m.label == "顧客数"]
    assert counts[0] == f"{len(tighter.price_driven):,}"


def defn_rules(**kw):
    from loyalty.repeaters import RepeaterRules

    return RepeaterRules(**kw)


def test_breakdown_points_add_up_to_the_score():
    at = _app("pages/segments.py")
    table = [df.value for df in at.dataframe if "点" in df.value.columns][0]
    score = float(next(m.value for m in at.metric if m.label == "ロイヤルティスコア"))
    assert abs(table["点"].astype(float).sum() - score) < 0.3


@pytest.mark.slow
def test_the_segment_rule_editor_updates_the_definition():
    at = _app("pages/definition.py")
    n = len(defn.default_segments())
    # what a user does in the table: tighten Champions to R5 only and delete the other rules
    at.session_state["w_def_segments"] = {"edited_rows": {0: {"r_min": 5}}, "added_rows": [],
                                          "deleted_rows": list(range(1, n))}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    rules = at.session_state["definition"].segments
    assert [(r.key, r.r, r.f, r.m) for r in rules] == [("champions", (5, 5), (4, 5), (4, 5))]
    assert any("その他" in i.value for i in at.info)  # the uncovered cells are announced


def test_a_definition_file_loaded_in_the_app_rescores_and_a_bad_one_names_the_field():
    d = defn.preset("b2c")
    d.tiers = {"top": 60.0, "middle": 30.0}
    at = _app("pages/definition.py")
    at.file_uploader(key="w_def_upload").set_value(("mine.json", d.to_json().encode(), "application/json")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["definition"].tiers == {"top": 60.0, "middle": 30.0}
    assert at.slider(key="w_def_tiers").value == (30.0, 60.0)
    expected = Scorer(_features()).score(d).frame["tier"].astype(str).value_counts()
    assert _metrics(at)["最重要顧客"] == f"{expected['top']:,}"
    bad = json.loads(d.to_json())
    bad["tiers"]["top"] = 20  # below the middle cut-off
    at.file_uploader(key="w_def_upload").set_value(("bad.json", json.dumps(bad).encode(), "application/json")).run()
    assert not at.exception
    assert any("bad.json" in e.value and "tiers" in e.value for e in at.error), [e.value for e in at.error]
    assert at.session_state["definition"].tiers == {"top": 60.0, "middle": 30.0}  # the good one stays


@pytest.mark.slow
def test_the_command_line_scores_every_customer_as_the_app_does(tmp_path):
    import subprocess
    import sys

    at = _app("pages/definition.py")
    at.slider(key="w_def_wt_nps").set_value(40.0).run()
    at.slider(key="w_def_tiers").set_value((45.0, 70.0)).run()
    assert not at.exception, [e.value for e in at.exception]
    path = tmp_path / "workshop.json"
    path.write_text(at.session_state["definition"].to_json(), encoding="utf-8")
    at.switch_page("pages/segments.py").run()
    shown = next(df.value for df in at.dataframe if "loyalty_score" in df.value.columns)
    out = tmp_path / "scores.csv"
    res = subprocess.run([sys.executable, "-m", "loyalty", "score", *map(str, SAMPLE), "--definition", str(path),
                          "--output", str(out)], cwd=ROOT, capture_output=True, timeout=120)
    assert res.returncode == 0, res.stderr.decode()
    cli = pd.read_csv(out, encoding="utf-8-sig", dtype={"customer_id": "str"}).set_index("customer_id")
    app = shown.set_index("customer_id")
    assert len(app) == len(cli) == 2_090
    assert app["tier_label"].to_dict() == cli.loc[app.index, "tier_label"].to_dict()
    assert app["rfm_segment_label"].to_dict() == cli.loc[app.index, "rfm_segment_label"].to_dict()
    assert (app["loyalty_score"] - cli.loc[app.index, "loyalty_score"]).abs().max() < 1e-9


def test_the_sidebar_shows_a_new_window_at_once():
    at = _app("pages/definition.py")
    at.number_input(key="w_def_window").set_value(180).run()
    assert not at.exception, [e.value for e in at.exception]
    side = " ".join(c.value for c in at.sidebar.caption)
    assert "（180 日間）" in side and "365 日間" not in side


def test_a_btob_account_list_suggests_the_btob_preset_and_one_click_applies_it():
    at = _app("pages/data.py")
    path = ROOT / "sample_data" / "b2b_accounts.csv"
    at.file_uploader(key="w_upload").set_value((path.name, path.read_bytes(), "text/csv")).run()
    at.switch_page("pages/home.py").run()
    assert not at.exception, [e.value for e in at.exception]
    hint = [i.value for i in at.info if "BtoB" in i.value]
    assert len(hint) == 1 and "5/5" in hint[0], [i.value for i in at.info]
    next(b for b in at.button if b.key == "w_preset_hint").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["definition"].preset == "b2b"
    assert not [i.value for i in at.info if "BtoB" in i.value and "5/5" in i.value]  # no hint once it fits
    d = defn.preset("b2b")
    ds = load_dataset([InputFile(path.name, path.read_bytes())])
    expected = Scorer(build_features(ds).frame).score(d).frame["tier"].astype(str).value_counts()
    assert _metrics(at)["最重要顧客"] == f"{expected.get('top', 0):,}"


def test_the_sample_data_gets_no_preset_hint():
    at = _app("pages/home.py")
    assert not any(b.key == "w_preset_hint" for b in at.button)


def test_a_cut_point_dragged_past_its_neighbour_pushes_it_along():
    at = _app("pages/definition.py")
    at.slider(key="w_def_recency_0").set_value(80).run()  # R5 past R4 (60 days)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert [at.slider(key=f"w_def_recency_{i}").value for i in range(4)] == [80, 81, 90, 179]
    assert at.session_state["definition"].rfm.recency == [80.0, 81.0, 90.0, 179.0]


def test_the_sidebar_marks_a_definition_changed_since_it_was_saved():
    def unsaved(at) -> bool:
        return any(t("polish.sidebar.unsaved") in m.value for m in at.sidebar.markdown)

    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not unsaved(at)
    at.switch_page("pages/definition.py").run()
    at.slider(key="w_def_recency_0").set_value(7).run()
    assert unsaved(at)  # in the same run as the slider move, not one later
    at.switch_page("pages/home.py").run()
    assert unsaved(at)
    at.switch_page("pages/definition.py").run()
    next(b for b in at.button if b.label == t("wb.revert")).click().run()
    assert not unsaved(at)
    assert at.session_state["definition"].rfm.recency == defn.preset("b2c").rfm.recency
    # a persona note is part of the definition; a note typed and then erased changes nothing
    at.switch_page("pages/personas.py").run()
    at.text_area(key="w_note_tier:top").set_value("春の新作を先行案内").run()
    assert unsaved(at)
    at.text_area(key="w_note_tier:top").set_value("").run()
    assert not unsaved(at)


def test_a_longer_window_keeps_the_recency_cut_points():
    # the R sliders reach as far as the window: a longer window widens them, values kept
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/definition.py").run()
    at.number_input(key="w_def_window").set_value(500).run()
    assert not at.exception and not at.error
    assert [at.slider(key=f"w_def_recency_{i}").value for i in range(4)] == [30, 60, 90, 179]
    assert at.slider(key="w_def_recency_3").max == 500
    assert at.session_state["definition"].window_days == 500


def test_cut_points_moved_down_into_their_neighbours_push_them_down():
    at = _app("pages/definition.py")
    at.slider(key="w_def_recency_2").set_value(50).run()  # R3 below R4 (60 days)
    at.number_input(key="w_def_fcut_nps_1").set_value(3.0).run()  # NPS cuts 3, 3, 7, 9
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert [at.slider(key=f"w_def_recency_{i}").value for i in range(4)] == [30, 49, 50, 179]
    assert [at.number_input(key=f"w_def_fcut_nps_{j}").value for j in range(4)] == [2.0, 3.0, 7.0, 9.0]
    d = at.session_state["definition"]
    assert d.rfm.recency == [30.0, 49.0, 50.0, 179.0]
    assert d.factor("nps").effective_cuts() == [2.0, 3.0, 7.0, 9.0]
