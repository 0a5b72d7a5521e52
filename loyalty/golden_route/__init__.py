"""The golden route (ゴールデンルート): how today's loyal customers behaved when they were new.

Seed 002 describes a cycle: define the loyal customers, learn what their first
purchase and first weeks looked like, then acquire and nurture new customers who
behave the same way, measuring F2 conversion on *loyal* customers rather than on
any repeat buyer.  This package does the arithmetic; pure pandas/numpy, no
Streamlit, no loop per customer: ``settings`` (attributes, limits), ``first_orders``
(the profile of first orders), ``attributes`` (values and labels), ``patterns``
(shares, lift, intervals), ``entries`` (F2 by entry product), ``scores`` (route
score, AUC), ``analysis`` (all of it for the page).

Definitions
-----------
* **Purchase order**: the order lines (``is_order_line`` of the typed lines: a
  positive amount, not a return, not a fee line; :mod:`loyalty.lines`) of one
  ``order_key``, dated on or before the as-of date.  Without an order id, all order
  lines of one customer on one day form one order (a one-day basket): otherwise a
  first purchase of three lines would look like one item followed by two "second
  orders" on day 0.
* **First order**: the customer's earliest order (same day: the one whose first line
  comes first in the data).  Its **main line** is the line with the highest amount
  (ties: the earlier line); the first product, category and channel are those of the
  main line.  Items = the sum of quantities of the first order's lines (a line
  without a quantity counts 1; without a quantity column, the number of lines).
  Value = the sum of its line amounts.  **Full price** = no line of it has a discount
  > 0 and none carries a coupon code.  Returns are ignored in the first-order
  profile; they count in the 30/90-day spend (net).
* **Days to the second order** = date of the second purchase − date of the first
  order, where the second purchase is the first order on a *later calendar day*
  (orders on the first day belong to the first purchase): the F2 rule of
  :func:`loyalty.cohorts.second_purchase`, the same as on the metrics page.  The
  bands stop at the longest band edge (14, 30, 45, 90, 180, 365 days) that fits in
  the minimum history, after which a customer is "no second order within H days".
* **First N days** = days 0…N after the first order (inclusive).
* **Cohort** (customers with enough history): first order at least
  ``min_history_days`` before the as-of date.  **Loyal** = the cohort customers whose
  tier under the working definition is in ``loyal_tiers`` (``top`` by default, or
  ``top`` and ``middle``); **rest** = the other cohort customers.
* **New customers**: first order within the last ``new_days`` days, i.e. on
  (as-of − new_days, as-of].

Patterns and lift
-----------------
A pattern is one value of one attribute ("first_price = full price").  For each
attribute only customers with a known value count (a customer missing from the
customer table has no acquisition channel).  With a = loyal customers with the
pattern, n1 = loyal customers with a known value, c = the rest with the pattern,
n2 = the rest with a known value:

* share_loyal = a / n1, share_rest = c / n2, each with a Wilson score interval;
* **lift** = share_loyal / share_rest (a risk ratio: "how many times more common is
  the pattern among loyal customers").  It is also the naive-Bayes likelihood ratio
  used by the route score below.  Interval: Katz's log method,
  exp(ln(lift) ± z·√(1/a − 1/n1 + 1/c − 1/n2)).  When a or c is 0, 0.5 is added to
  a and c and 1 to n1 and n2 (Haldane–Anscombe) for the lift and its interval;
* loyal_rate = a / (a + c): the share of customers with the pattern who are loyal
  now (Wilson interval);
* **verdict**: ``golden`` when the interval's lower end is above 1, ``avoid`` when
  its upper end is below 1, otherwise ``neutral``;
* patterns with fewer than ``min_customers`` customers (a + c) or fewer than
  ``min_loyal`` loyal customers (a) are hidden: with few customers a large lift
  happens by chance;
* order: golden patterns first, the surest first (lower end of the lift interval
  descending); then neutral ones by lift descending; then ``avoid`` ones, the surest
  first (upper end ascending); ties: more customers first.

Route score
-----------
For a new customer, route_score = Σ log2(lift) over the scored attributes whose
value is already known and whose pattern is shown (two times more common among
loyal customers = +1 point, half as common = −1).  The first product falls back to
the first category when the product's pattern is hidden.  Attributes that need
time (the second order) count only once they are known: a second order already
made, or "no second order within H days" once H days have passed.  Under the
naive-Bayes assumption (attributes independent within each group) 2 ** route_score
is how many times more common this combination is among loyal customers than
among the rest; correlated attributes make it overstate, so it is used to rank.
``auc`` measures how well the score separates loyal from the rest inside the
cohort (in-sample, so optimistic).

This shows association, not cause: a pattern common among loyal customers does not
make a customer loyal by itself.

Limits (named, in :class:`GoldenRouteSettings`): ``min_history_days``
(:data:`MIN_HISTORY_FLOOR` … :data:`MAX_DAYS`), ``min_customers``, ``min_loyal``,
``f2_days``, ``new_days``, ``confidence``.
"""

from loyalty.golden_route.analysis import GoldenRoute, analyse, attribute_label, pattern_label
from loyalty.golden_route.attributes import attribute_values
from loyalty.golden_route.entries import entry_table
from loyalty.golden_route.first_orders import first_purchases
from loyalty.golden_route.patterns import PatternTable, katz_interval, pattern_table, route_summary, wilson_interval
from loyalty.golden_route.scores import auc, route_scores
from loyalty.golden_route.settings import (ATTRIBUTES, COLUMN_KINDS, FALLBACK, GROUPS, MAX_DAYS,
                                           MIN_HISTORY_FLOOR, SCORE_ATTRIBUTES, SECOND_ORDER_EDGES,
                                           SUMMARY_ATTRIBUTES, AttributeSpec, GoldenRouteSettings)

__all__ = [
    "ATTRIBUTES",
    "COLUMN_KINDS",
    "FALLBACK",
    "SCORE_ATTRIBUTES",
    "SUMMARY_ATTRIBUTES",
    "GROUPS",
    "MAX_DAYS",
    "MIN_HISTORY_FLOOR",
    "SECOND_ORDER_EDGES",
    "AttributeSpec",
    "GoldenRoute",
    "GoldenRouteSettings",
    "PatternTable",
    "analyse",
    "attribute_label",
    "attribute_values",
    "auc",
    "entry_table",
    "first_purchases",
    "katz_interval",
    "pattern_label",
    "pattern_table",
    "route_scores",
    "route_summary",
    "wilson_interval",
]
