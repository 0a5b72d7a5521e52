"""Shared fixtures of the CLV tests (tests/test_clv_*.py): the CDNOW sample and hand-made lines.

The CDNOW sample is in tests/data (see CDNOW_SOURCE.md).  Import the fixtures a test
module uses (``from tests.fixtures_clv import cdnow_tx, ...``): pytest finds them there.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from loyalty import clv

DATA = Path(__file__).parent / "data"
SAMPLE_ORDERS = Path(__file__).parent.parent / "sample_data" / "orders_cp932.csv"
CAL_END = "1997-09-30"
HOLDOUT_END = "1998-06-30"


def read_cdnow_sample() -> pd.DataFrame:
    """tests/data/cdnow_sample.txt -> clean transaction frame."""
    raw = pd.read_csv(
        DATA / "cdnow_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "sample_id", "date", "cds", "dollars"],
        dtype={"master_id": str, "sample_id": str, "date": str},
    )
    return pd.DataFrame(
        {
            "customer_id": raw["master_id"].astype(str),
            "order_date": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "amount": raw["dollars"].astype(float),
        }
    )

@pytest.fixture(scope="module")
def cdnow_tx() -> pd.DataFrame:
    return read_cdnow_sample()

@pytest.fixture(scope="module")
def cdnow_summary(cdnow_tx: pd.DataFrame) -> pd.DataFrame:
    return clv.summary_from_transactions(cdnow_tx, calibration_end=CAL_END, time_unit="weeks")

@pytest.fixture(scope="module")
def cdnow_bg(cdnow_summary: pd.DataFrame) -> clv.BGNBDFit:
    return clv.fit_bgnbd(cdnow_summary)

@pytest.fixture(scope="module")
def cdnow_gg(cdnow_summary: pd.DataFrame) -> clv.GammaGammaFit:
    return clv.fit_gamma_gamma(cdnow_summary)

def tx_frame(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "order_date": pd.to_datetime([r[1] for r in rows]),
            "amount": [float(r[2]) for r in rows],
        }
    )

HAND_ROWS = [
    # A: two lines on one day, a repeat, a return day, a zero-value day, a cancelled day
    ("A", "2024-01-01", 100.0),
    ("A", "2024-01-01", 50.0),
    ("A", "2024-01-08", 80.0),
    ("A", "2024-01-15", -30.0),
    ("A", "2024-01-22", 0.0),
    ("A", "2024-01-29", 40.0),
    ("A", "2024-01-29", -40.0),
    ("A", "2024-02-12", 60.0),  # holdout
    # B: one purchase, then a return in the holdout
    ("B", "2024-02-01", 20.0),
    ("B", "2024-02-15", -20.0),
    # C: only a return
    ("C", "2024-01-10", -10.0),
    # D: first purchase after the calibration end
    ("D", "2024-02-10", 35.0),
]


@pytest.fixture(scope="module")
def sample_tx() -> pd.DataFrame:
    """The app's sample orders, typed by the quality step (a fit there needs a penalizer)."""
    from loyalty.pipeline import InputFile, load_dataset

    return load_dataset([InputFile(SAMPLE_ORDERS.name, SAMPLE_ORDERS.read_bytes())]).transactions.frame
