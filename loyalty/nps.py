"""NPS: % promoters (9–10) − % detractors (0–6) among those who answered.

The seeds' example: 60 promoters, 20 passives, 20 detractors of 100 → +40.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class NPSResult:
    """NPS and its parts.

    Attributes:
        respondents: answers counted (0–10; others ignored).
        promoters, passives, detractors: counts.
        nps: % promoters − % detractors (NaN with no respondent).
    """

    respondents: int
    promoters: int
    passives: int
    detractors: int
    nps: float

    def shares(self) -> tuple[float, float, float]:
        """(promoter %, passive %, detractor %)."""
        n = self.respondents or np.nan
        return (100 * self.promoters / n, 100 * self.passives / n, 100 * self.detractors / n)


def nps(scores) -> NPSResult:
    """Compute NPS from 0–10 answers.

    Args:
        scores: answers; NaN and values outside 0–10 are not counted.

    Returns:
        :class:`NPSResult`.
    """
    s = np.asarray(scores, dtype=float)
    s = s[~np.isnan(s) & (s >= 0) & (s <= 10)]
    s = np.floor(s)
    n = int(s.size)
    pro = int((s >= 9).sum())
    det = int((s <= 6).sum())
    pas = n - pro - det
    value = (100.0 * pro / n - 100.0 * det / n) if n else float("nan")
    return NPSResult(respondents=n, promoters=pro, passives=pas, detractors=det, nps=value)
