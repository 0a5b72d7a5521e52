"""Named RFM segments as data."""

import numpy as np

import pytest

from loyalty import definition as defn
from loyalty.errors import LoyaltyError
from loyalty.segments import SegmentRule, assign, coverage, default_segments, parse_rules, segment_keys


def test_default_rules_cover_every_cell_and_keep_the_catch_all():
    cov = coverage(defn.default_segments())
    assert sum(cov.values()) == 125
    assert cov["other"] == 0
    assert cov["champions"] == 8 and cov["lost"] == 5


def test_first_match_wins():
    rules = defn.default_segments()
    codes, keys = assign(np.array([5, 4, 3]), np.array([5, 3, 3]), np.array([5, 3, 5]), rules)
    # (4,3,3) would also fit potential_loyalist, but loyal comes first
    assert [keys[c] for c in codes] == ["champions", "loyal", "loyal"]


def test_segment_keys_end_with_the_catch_all():
    rules = [SegmentRule("vip", "VIP", "VIP", (5, 5), (4, 5), (1, 5)),
             SegmentRule("rest", "残り", "Rest", (1, 5), (1, 5), (1, 5))]
    assert segment_keys(rules) == ["vip", "rest", "other"]
    assert segment_keys(default_segments())[:3] == ["champions", "loyal", "new"]
    assert segment_keys(default_segments())[-1] == "other"


def _bad(path, key="error.definition_field", **kw):
    from loyalty.i18n import error

    return error(key, file="rules.json", field=path, **kw)


def test_parse_rules_builds_rules_and_defaults_the_labels_to_the_key():
    rules = parse_rules([{"key": "vip", "ja": "上得意", "r": [4, 5], "f": [3, 5], "m": [1, 5]}], _bad)
    assert rules == [SegmentRule(key="vip", ja="上得意", en="vip", r=(4, 5), f=(3, 5), m=(1, 5))]


@pytest.mark.parametrize("value, field", [
    ([], "segments"),
    ([{"key": "", "r": [1, 5], "f": [1, 5], "m": [1, 5]}], "segments[0].key"),
    ([{"key": "other", "r": [1, 5], "f": [1, 5], "m": [1, 5]}], "segments[0].key"),  # the catch-all's key
    ([{"key": "a", "r": [1, 5], "f": [1, 5], "m": [1, 5]}, {"key": "a", "r": [1, 5], "f": [1, 5], "m": [1, 5]}],
     "segments[1].key"),
    ([{"key": "a", "r": [1, 5], "f": [4, 2], "m": [1, 5]}], "segments[0].f"),
    ([{"key": "a", "r": [1, 5], "f": [1, 5], "m": [True, 5]}], "segments[0].m"),
    ([{"key": "a", "ja": 3, "r": [1, 5], "f": [1, 5], "m": [1, 5]}], "segments[0].ja"),
])
def test_parse_rules_names_the_bad_field(value, field):
    with pytest.raises(LoyaltyError) as exc:
        parse_rules(value, _bad)
    assert exc.value.field == field
