"""Movement over time: the tiers at every period end, from the same lines, under the same definition.

Semantics (DESIGN §3 "Over time", README "What the numbers mean"):

* A tier *at* a period end is the score computed with that day as the as-of date,
  from the lines dated up to it, with the same definition (window, cut points,
  factors, tiers); *movement* is a customer's tier at one period end against the next.
* Period ends (:func:`period_ends`): the last day of each calendar month, ISO week
  (Sunday) or quarter, up to the as-of date; when the as-of date is not itself a
  period end, the last period ends there and is *partial*.
* The customers at a period end are exactly those :func:`loyalty.pipeline.build_features`
  finds at that as-of date (everyone with a line dated up to it).  A customer with no
  line yet is *not yet* a customer there (state ``not_yet``): new customers enter from it.
* Customer-table columns (NPS, engagement…) have no history: they are taken as they
  are today at every period end.
* Revenue is monetary value (net amount in the window), as the overview shows it.

Modules:

* :mod:`~loyalty.movement.timeline`: :class:`Timeline`, the lines arranged once for
  features at many as-of dates (equal to ``build_features`` at each).
* :mod:`~loyalty.movement.tiers`: :func:`period_ends`, :func:`compute` (tiers at every
  period end) and :class:`Movement` (counts, revenue shares, flows, the JSON contract).
* :mod:`~loyalty.movement.report`: the lists of customers who left or entered a tier,
  and the command line's text table.
"""

from loyalty.movement.report import change_list, text_report
from loyalty.movement.tiers import (EVERY, NOT_YET, STATES, Movement, PeriodEnd, compute, data_period_ends, period_ends,
                                    scores_at)
from loyalty.movement.timeline import Timeline

__all__ = ["EVERY", "NOT_YET", "STATES", "Movement", "PeriodEnd", "Timeline", "change_list", "compute",
           "data_period_ends", "period_ends", "scores_at", "text_report"]
