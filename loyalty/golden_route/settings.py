"""The golden route's vocabulary and settings: the attributes of a first purchase,
the band edges, the output columns and every limit the user tunes (with its
default), see :mod:`loyalty.golden_route`."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

from loyalty.i18n import error


#: The shortest minimum history: the first 90 days must be fully observed for everyone compared.
MIN_HISTORY_FLOOR = 90

#: The longest minimum history, F2 window or new-customer window (ten years).
MAX_DAYS = 3650

#: Band edges (days) of "days to the second order".
SECOND_ORDER_EDGES = (14, 30, 45, 90, 180, 365)

#: Band edges of item counts: 1, 2, 3–4, 5–9, 10–19, 20–49, 50+.
ITEM_EDGES = (2, 3, 5, 10, 20, 50)

#: Band edges of order counts in the first 30/90 days: 1, 2, 3–4, 5+.
ORDER_EDGES = (2, 3, 5)

#: Quantiles that cut money amounts into four bands (cohort quartiles, rounded).
MONEY_QUANTILES = (0.25, 0.5, 0.75)

#: Quantiles that cut engagement figures into three bands (low / middle / high).
ENGAGEMENT_QUANTILES = (1 / 3, 2 / 3)
#: Customer-table columns used as attributes (profile) and engagement (reference).
PROFILE_COLUMNS = ("age_band", "gender", "region", "industry", "company_size")
ENGAGEMENT_COLUMNS = ("email_open_rate", "email_click_rate", "logins", "events", "sns_reactions")
#: The score's product attribute falls back to this one when its pattern is hidden.
FALLBACK = {"first_product": "first_category"}

GROUPS = ("first_order", "acquisition", "early", "profile", "engagement")


@dataclass(frozen=True)
class AttributeSpec:
    """One attribute of the first-order profile.

    Attributes:
        key: attribute key (also the catalogue key ``golden.attr.<key>``).
        group: one of :data:`GROUPS`.
        horizon: days after the first order before the value is known (0 = at once).
    """

    key: str
    group: str
    horizon: int = 0


ATTRIBUTES: tuple[AttributeSpec, ...] = (
    AttributeSpec("first_product", "first_order"),
    AttributeSpec("first_category", "first_order"),
    AttributeSpec("first_items", "first_order"),
    AttributeSpec("first_lines", "first_order"),
    AttributeSpec("first_value", "first_order"),
    AttributeSpec("first_price", "first_order"),
    AttributeSpec("first_coupon", "first_order"),
    AttributeSpec("first_channel", "first_order"),
    AttributeSpec("acquisition_channel", "acquisition"),
    AttributeSpec("signup_lead", "acquisition"),
    AttributeSpec("second_order", "early"),  # known as soon as it happens (see module doc)
    AttributeSpec("orders_30", "early", 30),
    AttributeSpec("spend_30", "early", 30),
    AttributeSpec("orders_90", "early", 90),
    AttributeSpec("spend_90", "early", 90),
    *(AttributeSpec(c, "profile") for c in PROFILE_COLUMNS),
    *(AttributeSpec(c, "engagement") for c in ENGAGEMENT_COLUMNS),
)
_SPEC = {a.key: a for a in ATTRIBUTES}
_ORDER = {a.key: i for i, a in enumerate(ATTRIBUTES)}


#: Attributes the route score adds up by default: early *behaviour* only (the
#: first category stands in for a product whose pattern is hidden).
SCORE_ATTRIBUTES = ("first_product", "first_items", "first_value", "first_price", "first_channel",
                    "acquisition_channel", "second_order")

#: Attributes the one-glance summary of the route picks from (things a shop acts on).
SUMMARY_ATTRIBUTES = (*SCORE_ATTRIBUTES, "first_category", "first_coupon", "signup_lead")

#: Output column key -> display kind (see :class:`loyalty.export.Sheet`).
COLUMN_KINDS: dict[str, str] = {
    "attribute_label": "text", "value_label": "text", "verdict_label": "text", "lift_interval": "text",
    "loyal_rate_interval": "text",
    "customers": "int", "loyal": "int", "rest": "int",
    "share_loyal": "pct", "share_loyal_low": "pct", "share_loyal_high": "pct",
    "share_rest": "pct", "share_rest_low": "pct", "share_rest_high": "pct",
    "lift": "float", "lift_low": "float", "lift_high": "float",
    "loyal_rate": "pct", "loyal_rate_low": "pct", "loyal_rate_high": "pct",
    "entry": "text", "f2": "int", "f2_rate": "pct", "f2_rate_low": "pct", "f2_rate_high": "pct",
    "loyal_rate_f2": "pct",
    "customer_id": "text", "first_order": "date", "days_since_first": "int", "orders_so_far": "int",
    "first_product": "text", "first_category": "text", "first_items": "int", "first_value": "yen",
    "first_price": "text", "first_channel": "text", "acquisition_channel": "text",
    "second_order_days": "int", "route_score": "score", "matched": "text",
    "unknown": "int",
}


@dataclass(frozen=True)
class GoldenRouteSettings:
    """What the user tunes on the golden-route page (every limit named, with its default).

    Attributes:
        min_history_days: a customer is compared only when his first order is at least
            this many days before the as-of date (:data:`MIN_HISTORY_FLOOR` …
            :data:`MAX_DAYS`; default 180).
        loyal_tiers: tiers that count as loyal: ``("top",)`` (default) or
            ``("top", "middle")``.
        min_customers: a pattern is shown only when at least this many cohort
            customers have it (default 30).
        min_loyal: …and at least this many of them are loyal (default 5, at least 1).
        f2_days: F2 conversion = a second order within this many days of the first
            (default 90; at most ``min_history_days`` so everyone compared is observed).
        new_days: new customers = first order within this many days before the as-of
            date (default 90; at most ``min_history_days``).
        confidence: level of every interval (default 0.95).
        score_attributes: attributes the route score adds up (see :data:`SCORE_ATTRIBUTES`).
    """

    min_history_days: int = 180
    loyal_tiers: tuple[str, ...] = ("top",)
    min_customers: int = 30
    min_loyal: int = 5
    f2_days: int = 90
    new_days: int = 90
    confidence: float = 0.95
    score_attributes: tuple[str, ...] = SCORE_ATTRIBUTES

    def validate(self) -> "GoldenRouteSettings":
        """Check every setting.

        Returns:
            The settings themselves.

        Raises:
            LoyaltyError: a setting is out of range (the message names it and the range).
        """
        h = self.min_history_days
        if not (MIN_HISTORY_FLOOR <= int(h) <= MAX_DAYS):
            raise error("error.golden_setting", field="min_history_days", value=h,
                        low=MIN_HISTORY_FLOOR, high=MAX_DAYS)
        for name in ("f2_days", "new_days"):
            v = getattr(self, name)
            if not (1 <= int(v) <= int(h)):
                raise error("error.golden_setting", field=name, value=v, low=1, high=h)
        for name in ("min_customers", "min_loyal"):
            v = getattr(self, name)
            if not (1 <= int(v) <= 1_000_000):
                raise error("error.golden_setting", field=name, value=v, low=1, high=1_000_000)
        if not (0.5 <= float(self.confidence) < 1.0):
            raise error("error.golden_setting", field="confidence", value=self.confidence, low=0.5, high=0.999)
        if not self.loyal_tiers or not set(self.loyal_tiers) <= {"top", "middle", "low"} \
                or set(self.loyal_tiers) == {"top", "middle", "low"}:
            raise error("error.golden_setting", field="loyal_tiers", value="/".join(self.loyal_tiers),
                        low="top", high="top+middle")
        unknown = [a for a in self.score_attributes if a not in _SPEC]
        if unknown:
            raise error("error.golden_setting", field="score_attributes", value=", ".join(unknown),
                        low="first_product", high="second_order")
        return self

    @property
    def z(self) -> float:
        """The normal quantile of the interval level (1.96 for 95 %)."""
        return NormalDist().inv_cdf(0.5 + float(self.confidence) / 2.0)

    @property
    def second_order_cap(self) -> int:
        """H: the longest band edge of "days to the second order" within the minimum history."""
        fits = [e for e in SECOND_ORDER_EDGES if e <= int(self.min_history_days)]
        return fits[-1]
