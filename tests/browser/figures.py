"""Expected figures for the browser tests, computed through the domain package
from the input files (never read off the screen)."""

from __future__ import annotations

from functools import lru_cache

from loyalty import definition as defn
from loyalty.pipeline import InputFile, build_features, load_dataset
from loyalty.scoring import ScoreResult, score
from tests.helpers import ROOT

SAMPLE_FILES = ("orders_cp932.csv", "customers.csv")  # what the app opens with


@lru_cache(maxsize=1)
def sample_features():
    """Customer features of the built-in sample data (as-of = its latest order)."""
    files = [InputFile(name, (ROOT / "sample_data" / name).read_bytes()) for name in SAMPLE_FILES]
    return build_features(load_dataset(files))


def sample_scores(d: defn.Definition | None = None) -> ScoreResult:
    """The sample customers scored under ``d`` (default: the BtoC preset the app starts with)."""
    return score(sample_features().frame, d or defn.preset("b2c"))


def tier_counts(result: ScoreResult) -> dict[str, int]:
    """Customers per tier key (top/middle/low), zeros included."""
    counts = result.frame["tier"].astype(str).value_counts()
    return {k: int(counts.get(k, 0)) for k in ("top", "middle", "low")}
