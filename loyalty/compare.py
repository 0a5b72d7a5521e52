"""Definitions side by side (workshop mode): the same customers under 2–4 definitions.

* tier sizes and revenue shares per definition;
* agreement on who is loyal (the top tier): counts, in all / in any, pairwise
  overlap and Jaccard index |A ∩ B| / |A ∪ B|;
* a migration matrix (tier under one × tier under another);
* the customers they disagree on most — the widest spread of loyalty scores —
  with the factor that makes the difference: the factor whose points differ most
  between the definition that scores the customer highest and the one that
  scores him lowest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from loyalty.definition import TIER_KEYS
from loyalty.summary import tier_moves


@dataclass
class Comparison:
    """Several definitions' scores on the same customers.

    Attributes:
        names: the definitions' names, in order.
        scores: name -> score frame (index customer_id; loyalty_score, tier, points_<factor>…).
        monetary: per-customer revenue used for revenue shares.
    """

    names: list[str]
    scores: dict[str, pd.DataFrame]
    monetary: pd.Series

    def tier_table(self) -> pd.DataFrame:
        """Per definition and tier: customers, customer share, revenue, revenue share.

        Returns:
            A frame with columns definition, tier, customers, customer_share, revenue,
            revenue_share (shares are fractions), rows in definition then tier order.
        """
        rows = []
        total_rev = float(self.monetary.sum())
        for name in self.names:
            tiers = self.scores[name]["tier"].astype("str")
            n = len(tiers)
            for key in TIER_KEYS:
                mask = (tiers == key).to_numpy()
                rev = float(self.monetary.to_numpy()[mask].sum())
                rows.append({"definition": name, "tier": key, "customers": int(mask.sum()),
                             "customer_share": mask.sum() / n if n else np.nan, "revenue": rev,
                             "revenue_share": rev / total_rev if total_rev else np.nan})
        return pd.DataFrame(rows)

    def loyal_sets(self, tier: str = "top") -> dict[str, set]:
        """name -> the set of customer ids in ``tier``."""
        return {n: set(self.scores[n].index[(self.scores[n]["tier"].astype("str") == tier).to_numpy()])
                for n in self.names}

    def agreement(self, tier: str = "top") -> dict:
        """How far the definitions agree on who is in ``tier``.

        Returns:
            ``{"counts": {name: n}, "in_all": n, "in_any": n, "overlap": DataFrame,
            "jaccard": DataFrame}`` — overlap and jaccard are name × name.
        """
        sets = self.loyal_sets(tier)
        names = self.names
        overlap = pd.DataFrame(0, index=names, columns=names, dtype=np.int64)
        jaccard = pd.DataFrame(np.nan, index=names, columns=names, dtype=float)
        for a in names:
            for b in names:
                inter = len(sets[a] & sets[b])
                union = len(sets[a] | sets[b])
                overlap.loc[a, b] = inter
                jaccard.loc[a, b] = inter / union if union else 1.0
        all_sets = list(sets.values())
        return {
            "counts": {n: len(s) for n, s in sets.items()},
            "in_all": len(set.intersection(*all_sets)) if all_sets else 0,
            "in_any": len(set.union(*all_sets)) if all_sets else 0,
            "overlap": overlap,
            "jaccard": jaccard,
        }

    def migration(self, a: str, b: str) -> pd.DataFrame:
        """Tier under ``a`` (rows) × tier under ``b`` (columns), customer counts."""
        return tier_moves(self.scores[a]["tier"], self.scores[b]["tier"])

    def disagreements(self, n: int = 50) -> pd.DataFrame:
        """The customers whose loyalty scores differ most between definitions.

        Args:
            n: how many customers to return.

        Returns:
            A frame (index customer_id) with score_<name> and tier_<name> per
            definition, spread (max − min score), highest and lowest (definition
            names), factor (the factor key that makes the difference) and
            factor_points (its points under the highest minus under the lowest).
            Sorted by spread, then customer id.
        """
        names = self.names
        index = self.scores[names[0]].index
        S = np.vstack([self.scores[nm]["loyalty_score"].reindex(index).to_numpy(dtype=float) for nm in names])
        hi = np.nanargmax(S, axis=0)
        lo = np.nanargmin(S, axis=0)
        spread = np.nanmax(S, axis=0) - np.nanmin(S, axis=0)
        order = np.lexsort((index.to_numpy().astype(str), -spread))[:n]
        factors = sorted({c[len("points_"):] for nm in names for c in self.scores[nm].columns
                          if c.startswith("points_")})
        # points[f][k] = points of factor f under definition k, for the selected customers
        sel = index[order]
        pts = np.zeros((len(factors), len(names), len(order)))
        for k, nm in enumerate(names):
            frame = self.scores[nm].reindex(sel)
            for j, f in enumerate(factors):
                col = f"points_{f}"
                if col in frame:
                    pts[j, k] = frame[col].to_numpy(dtype=float)
        hi_sel, lo_sel = hi[order], lo[order]
        cols = np.arange(len(order))
        diff = pts[:, hi_sel, cols] - pts[:, lo_sel, cols]  # factors × customers
        best = np.argmax(diff, axis=0) if factors else np.zeros(len(order), dtype=int)
        out = pd.DataFrame(index=sel)
        for k, nm in enumerate(names):
            out[f"score_{nm}"] = S[k, order]
            out[f"tier_{nm}"] = self.scores[nm]["tier"].astype("str").reindex(sel).to_numpy()
        out["spread"] = spread[order]
        out["highest"] = [names[i] for i in hi_sel]
        out["lowest"] = [names[i] for i in lo_sel]
        out["factor"] = [factors[i] if factors else "" for i in best]
        out["factor_points"] = diff[best, cols] if factors else 0.0
        return out


def compare(scores: dict[str, pd.DataFrame], monetary: pd.Series) -> Comparison:
    """Build a :class:`Comparison`.

    Args:
        scores: definition name -> score frame, all on the same customers.
        monetary: revenue per customer (same index).

    Returns:
        The comparison.

    Raises:
        ValueError: fewer than two definitions or different customers.
    """
    names = list(scores)
    if len(names) < 2:
        raise ValueError("need at least two definitions")
    index = scores[names[0]].index
    for nm in names[1:]:
        if not scores[nm].index.equals(index):
            raise ValueError("definitions must be scored on the same customers")
    return Comparison(names=names, scores=scores, monetary=monetary.reindex(index).fillna(0.0))
