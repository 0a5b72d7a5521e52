"""Retention and churn (seed 001: 100 → 90 gives 90% / 10%)."""

import pytest

from loyalty.retention import retention


def test_seed_retention_example():
    r = retention(100, 90)
    assert r.retention_rate == pytest.approx(0.9)
    assert r.churn_rate == pytest.approx(0.1)


def test_retention_rejects_impossible_counts():
    with pytest.raises(ValueError):
        retention(10, 11)
