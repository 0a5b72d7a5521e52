"""Repeaters versus truly loyal customers, as the seeds tell them apart.

* **価格目的のリピーター** (price-driven repeaters): they buy often, but mostly with a
  discount or coupon, and they neither recommend the brand nor engage with it.
  Rule: orders in the window ≥ ``min_orders`` and discount share ≥
  ``min_discount_share`` and (NPS ≤ ``max_nps`` or, without an answer, engagement
  index ≤ ``low_engagement``).
* **ロイヤル予備軍** (loyal-in-waiting): they engage — open and click mails, log in,
  come to events, react on social media, write reviews — but have bought little
  so far.  Rule: engagement index ≥ ``high_engagement`` and orders in the window ≤
  ``max_orders`` and NPS, when answered, ≥ ``min_nps``.

The **engagement index** (0–1) is the mean of the customer's percentile ranks on
the engagement columns the data has (e-mail open and click rates, logins, events,
social-media reactions, reviews, inquiries); NaN when none is available.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

ENGAGEMENT_COLUMNS = ("email_open_rate", "email_click_rate", "logins", "events", "sns_reactions",
                      "reviews", "inquiries")


@dataclass(frozen=True)
class RepeaterRules:
    """Thresholds of the two groups (defaults chosen for a BtoC shop; all editable)."""

    min_orders: int = 4
    min_discount_share: float = 0.5
    max_nps: float = 6
    low_engagement: float = 0.34
    high_engagement: float = 0.67
    max_orders: int = 2
    min_nps: float = 7

    def to_dict(self) -> dict:
        """The thresholds as a dict."""
        return asdict(self)


def engagement_index(features: pd.DataFrame) -> pd.Series:
    """Mean percentile rank (0–1) over the available engagement columns.

    Args:
        features: customer features.

    Returns:
        A float Series named "engagement_index" (NaN when a customer has none of the columns).
    """
    cols = [c for c in ENGAGEMENT_COLUMNS if c in features and features[c].notna().any()]
    if not cols:
        return pd.Series(np.nan, index=features.index, name="engagement_index")
    ranks = pd.DataFrame({c: features[c].astype(float).rank(pct=True, method="average") for c in cols})
    return ranks.mean(axis=1, skipna=True).rename("engagement_index")


@dataclass
class RepeaterGroups:
    """The two groups and the figures used to find them.

    Attributes:
        frame: per customer: frequency, discount_share, nps, engagement_index,
            price_driven (bool), loyal_in_waiting (bool).
        available: which inputs the data had ("discount", "nps", "engagement").
    """

    frame: pd.DataFrame
    available: dict[str, bool]

    @property
    def price_driven(self) -> pd.DataFrame:
        """The price-driven repeaters."""
        return self.frame[self.frame["price_driven"]]

    @property
    def loyal_in_waiting(self) -> pd.DataFrame:
        """The loyal-in-waiting."""
        return self.frame[self.frame["loyal_in_waiting"]]


def find_groups(features: pd.DataFrame, rules: RepeaterRules = RepeaterRules()) -> RepeaterGroups:
    """Flag price-driven repeaters and loyal-in-waiting customers.

    Args:
        features: customer features (frequency, discount_share, nps and engagement columns when present).
        rules: the thresholds.

    Returns:
        :class:`RepeaterGroups`.  Without discount data nobody is flagged price-driven;
        without engagement data nobody is flagged loyal-in-waiting.
    """
    idx = features.index
    freq = features["frequency"].astype(float) if "frequency" in features else pd.Series(np.nan, index=idx)
    disc = features["discount_share"].astype(float) if "discount_share" in features else pd.Series(np.nan, index=idx)
    nps = features["nps"].astype(float) if "nps" in features else pd.Series(np.nan, index=idx)
    eng = engagement_index(features)
    has_disc = bool(disc.notna().any())
    has_eng = bool(eng.notna().any())
    unhappy = (nps <= rules.max_nps) | (nps.isna() & (eng <= rules.low_engagement))
    price = (freq >= rules.min_orders) & (disc >= rules.min_discount_share) & unhappy
    waiting = (eng >= rules.high_engagement) & (freq <= rules.max_orders) & (nps.isna() | (nps >= rules.min_nps))
    frame = pd.DataFrame({
        "frequency": freq, "discount_share": disc, "nps": nps, "engagement_index": eng,
        "price_driven": price.fillna(False).astype(bool) & has_disc,
        "loyal_in_waiting": waiting.fillna(False).astype(bool) & has_eng,
    }, index=idx)
    return RepeaterGroups(frame=frame, available={"discount": has_disc, "nps": bool(nps.notna().any()),
                                                  "engagement": has_eng})
