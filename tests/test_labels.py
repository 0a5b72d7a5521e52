"""Tier and segment labels in the UI language (loyalty.labels)."""

from loyalty import definition as defn
from loyalty.labels import segment_labels, tier_label, tier_labels, tier_ranges
from loyalty.segments import SegmentRule


def test_tier_label_is_the_definitions_own_name_else_the_catalogues():
    d = defn.preset("b2c").copy(tier_labels={"top": "VIP会員"})
    assert tier_label("top", d, "ja") == "VIP会員"
    assert tier_label("top", d, "en") == "VIP会員"  # an own name is the user's text, in any language
    assert tier_label("middle", d, "ja") == "中堅層"
    assert tier_label("low", d, "en") == "Low contributors"
    assert tier_label("top", None, "ja") == "最重要顧客"


def test_tier_labels_are_in_tier_order():
    d = defn.preset("b2c").copy(tier_labels={"low": "休眠予備軍"})
    assert list(tier_labels(d, "ja").items()) == [("top", "最重要顧客"), ("middle", "中堅層"), ("low", "休眠予備軍")]
    assert tier_labels(None, "en") == {"top": "Top customers", "middle": "Middle tier", "low": "Low contributors"}


def test_segment_labels_in_both_languages():
    rules = defn.default_segments()
    assert segment_labels(rules, "ja")["at_risk"] == "離反リスク"
    assert segment_labels(rules, "en")["cant_lose"] == "Can't lose"
    assert segment_labels(rules, "ja")["other"] == "その他"


def test_segment_labels_of_own_rules_end_with_the_catch_all():
    rules = [SegmentRule("vip", "上得意", "Best", (5, 5), (4, 5), (1, 5))]
    assert list(segment_labels(rules, "ja").items()) == [("vip", "上得意"), ("other", "その他")]
    assert segment_labels(rules, "en") == {"vip": "Best", "other": "Other"}


def test_tier_ranges_do_not_overlap_at_the_cut_offs():
    d = defn.preset("b2c").copy(tiers={"top": 75.0, "middle": 45.5})
    assert tier_ranges(d, "ja") == {"top": "75以上", "middle": "45.5以上75未満", "low": "45.5未満"}
    assert tier_ranges(d, "en") == {"top": "75 and over", "middle": "45.5 to under 75", "low": "under 45.5"}
