"""Named RFM segments as data."""

import numpy as np

from loyalty import definition as defn
from loyalty.segments import assign, coverage, segment_labels


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


def test_labels_in_both_languages():
    rules = defn.default_segments()
    assert segment_labels(rules, "ja")["at_risk"] == "離反リスク"
    assert segment_labels(rules, "en")["cant_lose"] == "Can't lose"
    assert segment_labels(rules, "ja")["other"] == "その他"
