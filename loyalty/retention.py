"""Retention and churn over a period.

Retention = customers still active at the end of a period ÷ customers at its
start; churn = 1 − retention.  The seeds' example: 100 at the start of the
month, 90 still there a month later → 90% retention, 10% churn.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Retention:
    """Retention over one period."""

    start: int
    retained: int

    @property
    def retention_rate(self) -> float:
        """retained ÷ start (NaN when start is 0)."""
        return self.retained / self.start if self.start else float("nan")

    @property
    def churn_rate(self) -> float:
        """1 − retention."""
        return 1.0 - self.retention_rate if self.start else float("nan")


def retention(start: int, retained: int) -> Retention:
    """Retention of ``retained`` out of ``start`` customers.

    Raises:
        ValueError: negative counts or more retained than at the start.
    """
    if start < 0 or retained < 0 or retained > start:
        raise ValueError("retained must be between 0 and start")
    return Retention(start=start, retained=retained)
