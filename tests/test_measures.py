"""Measures: the catalogue covers every target in both languages; editing one target
keeps the others; the action plan; the edited list travels in the definition file."""

import json

import numpy as np
import pandas as pd
import pytest

from loyalty import definition as defn
from loyalty.errors import LoyaltyError
from loyalty.measures import (ACTION_PLAN_COLUMNS, MEASURE_FIELDS, action_plan, default_measures, measures_for,
                              measures_table, replace_target, rows_from_table, target_label, target_of, targets)

CATALOGUE = json.loads((defn._DATA / "measures.json").read_text(encoding="utf-8"))["measures"]


def test_every_tier_and_segment_has_measures_in_both_languages():
    d = defn.preset("b2c")
    for target, _ in targets(d, "ja"):
        for lang in ("ja", "en"):
            rows = measures_for(None, target, lang)
            assert rows, (target, lang)
            assert all(r["title"] and r["detail"] and r["channel"] and r["timing"] and r["kpi"] for r in rows)
    assert [m["target"] for m in default_measures("ja")] == [m["target"] for m in default_measures("en")]


def test_catalogue_follows_the_seeds_three_tier_policy():
    top = [m["en"]["title"] for m in CATALOGUE if m["target"] == "tier:top"]
    middle = [m["en"]["title"] for m in CATALOGUE if m["target"] == "tier:middle"]
    low = [m["en"]["title"] for m in CATALOGUE if m["target"] == "tier:low"]
    assert top == ["Personal follow-up by a named contact", "Exclusive perks and invitation-only events",
                   "Upsell and cross-sell proposals"]
    assert middle == ["Stronger nurturing e-mails", "Participation programmes", "Nudges towards more frequent use"]
    assert low == ["Win-back campaign", "Exclude or monitor when there is no response"]
    assert measures_for(None, "segment:at_risk", "ja")[0]["title"] == "離反防止の個別連絡"


def test_targets_in_display_order_with_names():
    d = defn.preset("b2c").copy(tier_labels={"top": "VIP"})
    got = targets(d, "ja")
    assert got[:3] == [("tier:top", "VIP"), ("tier:middle", "中堅層"), ("tier:low", "低貢献層")]
    assert got[3] == ("segment:champions", "セグメント: チャンピオン")
    assert got[-1] == ("segment:other", "セグメント: その他")
    assert len(got) == 3 + len(d.segments) + 1
    assert target_label("segment:at_risk", d, "en") == "Segment: At risk"
    assert target_label("segment:gone", d, "en") == "segment:gone"
    assert target_of("tier", "low") == "tier:low" and target_of("segment", "new") == "segment:new"


def test_rows_from_an_edited_table_strip_text_and_drop_blank_rows():
    table = pd.DataFrame({
        "title": ["  電話でフォロー ", None, "", np.nan],
        "detail": ["", None, "  ", "内容だけ"],
        "channel": ["電話", None, None, None],
        "timing": ["月1", None, None, None],
        "kpi": [pd.NA, None, None, None],
    })
    assert rows_from_table(table, "tier:top") == [
        {"target": "tier:top", "title": "電話でフォロー", "detail": "", "channel": "電話", "timing": "月1", "kpi": ""},
        {"target": "tier:top", "title": "", "detail": "内容だけ", "channel": "", "timing": "", "kpi": ""},
    ]
    assert rows_from_table(pd.DataFrame(columns=["title"]), "tier:top") == []


def test_replace_target_keeps_other_rows_in_place():
    current = [
        {"target": "tier:top", "title": "A", "detail": "", "channel": "", "timing": "", "kpi": ""},
        {"target": "tier:middle", "title": "B", "detail": "", "channel": "", "timing": "", "kpi": ""},
        {"target": "tier:top", "title": "C", "detail": "", "channel": "", "timing": "", "kpi": ""},
        {"target": "tier:low", "title": "D", "detail": "", "channel": "", "timing": "", "kpi": ""},
    ]
    new = [{"title": "X", "channel": "電話"}, {"title": "Y"}]
    out = replace_target(current, "tier:top", new)
    assert [(r["target"], r["title"]) for r in out] == [("tier:top", "X"), ("tier:top", "Y"), ("tier:middle", "B"),
                                                        ("tier:low", "D")]
    assert out[0] == {"target": "tier:top", "title": "X", "detail": "", "channel": "電話", "timing": "", "kpi": ""}
    assert [r["title"] for r in current] == ["A", "B", "C", "D"]  # not modified
    assert [r["title"] for r in replace_target(current, "segment:new", [{"title": "Z"}])] == ["A", "B", "C", "D", "Z"]
    assert [r["title"] for r in replace_target(current, "tier:top", [])] == ["B", "D"]


def test_replace_target_starts_from_the_catalogue_in_the_ui_language():
    out = replace_target(None, "tier:low", [{"title": "Call"}], "en")
    assert len(out) == len(default_measures("en")) - 2 + 1
    assert out[0]["title"] == "Personal follow-up by a named contact"
    assert [r["title"] for r in out if r["target"] == "tier:low"] == ["Call"]


def test_action_plan_orders_by_target_and_adds_counts_and_empty_owner_columns():
    d = defn.preset("b2c")
    rows = [
        {"target": "segment:gone", "title": "?", "detail": "", "channel": "", "timing": "", "kpi": ""},
        {"target": "segment:at_risk", "title": "電話", "detail": "d", "channel": "電話", "timing": "すぐ", "kpi": "復帰率"},
        {"target": "tier:low", "title": "DM", "detail": "", "channel": "DM", "timing": "90日", "kpi": "復帰率"},
        {"target": "tier:top", "title": "招待", "detail": "", "channel": "招待状", "timing": "年2回", "kpi": "参加率"},
    ]
    plan = action_plan(rows, d, "ja", {"tier:top": 12, "segment:at_risk": 3})
    assert list(plan.columns) == list(ACTION_PLAN_COLUMNS)
    assert plan["title"].tolist() == ["招待", "DM", "電話", "?"]
    assert plan["target_label"].tolist() == ["最重要顧客", "低貢献層", "セグメント: 離反リスク", "segment:gone"]
    # tier:low has nobody in the counts: 0; the unknown target has no count at all
    assert plan["customers"].tolist() == [12, 0, 3, pd.NA]
    assert action_plan(rows, d, "ja")["customers"].isna().all()  # no counts given: all empty
    assert (plan["owner"] == "").all() and (plan["due"] == "").all()
    catalogue_plan = action_plan(None, d, "en")
    assert len(catalogue_plan) == len(default_measures("en"))
    assert catalogue_plan["target_label"].iloc[0] == "Top customers"


def test_measures_table_keeps_the_field_order():
    table = measures_table(None, "ja")
    assert list(table.columns) == list(MEASURE_FIELDS)
    assert len(table) == len(CATALOGUE)


def test_edited_measures_travel_in_the_definition_file():
    d = defn.preset("b2c")
    d.measures = replace_target(None, "segment:at_risk", [{"title": "=HYPERLINK(\"x\")", "kpi": "復帰率"}], "ja")
    back = defn.loads(d.to_json())
    assert back.measures == d.measures
    assert measures_for(back.measures, "segment:at_risk")[0]["title"] == "=HYPERLINK(\"x\")"


@pytest.mark.parametrize("bad, field", [
    ([{"target": "vip", "title": "x"}], "measures[0].target"),
    ([{"target": "tier:top", "title": 3}], "measures[0].title"),
    ({"tier:top": []}, "measures"),
])
def test_invalid_measures_name_the_field(bad, field):
    data = defn.preset("b2c").to_dict()
    data["measures"] = bad
    with pytest.raises(LoyaltyError) as info:
        defn.from_dict(data)
    assert info.value.field == field
