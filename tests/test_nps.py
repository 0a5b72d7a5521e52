"""NPS = % promoters − % detractors (seed 001: 60/20/20 → +40)."""

import math

from loyalty.nps import nps


def test_seed_nps_example():
    answers = [10] * 30 + [9] * 30 + [8] * 10 + [7] * 10 + [6] * 10 + [0] * 10
    r = nps(answers)
    assert (r.respondents, r.promoters, r.passives, r.detractors) == (100, 60, 20, 20)
    assert r.nps == 40.0
    assert r.shares() == (60.0, 20.0, 20.0)


def test_nps_boundaries_and_non_answers():
    r = nps([9, 8, 7, 6, float("nan"), 11, -1])
    assert (r.respondents, r.promoters, r.passives, r.detractors) == (4, 1, 2, 1)
    assert r.nps == 0.0
    assert math.isnan(nps([]).nps)
