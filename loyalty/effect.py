"""Campaign effect (施策効果): did a measure change what its customers did?

Input: one row per customer with the group it was in (one or more treated groups
and one held-out control value), an outcome, and optionally a "by" value (tier,
RFM segment, an attribute).  Output, overall and per "by" value: customers and
outcome rate or mean per group, and for each treated group the uplift
(treated − control) with a 95% interval.

* **Rates** (a 0/1 outcome: visit, conversion): the interval for a difference of
  two independent proportions is Newcombe's hybrid score interval (Newcombe 1998,
  "Interval estimation for the difference between independent proportions:
  comparison of eleven methods", Stat Med 17:873–890, method 10): each rate gets
  its Wilson score interval (l₁, u₁), (l₂, u₂), and with d = p₁ − p₂

      low  = d − √((p₁ − l₁)² + (u₂ − p₂)²)
      high = d + √((u₁ − p₁)² + (p₂ − l₂)²)

  Chosen over Miettinen–Nurminen because it is closed-form (no root search per
  segment, so a whole table is one vectorised step), stays inside [−1, 1], is
  defined with zero events, and Newcombe found its coverage close to nominal; it
  reuses the Wilson interval the golden-route page already uses
  (:func:`loyalty.golden_route.wilson_interval`, one rule in one place).
* **Means** (an amount such as spend): Welch's interval,
  d ± t(0.975, ν)·√(s₁²/n₁ + s₂²/n₂) with the Welch–Satterthwaite ν.  A group
  of fewer than two customers, or both groups without any spread (s₁ = s₂ = 0),
  has no interval (NaN).
* **Large enough to tell** (:data:`MIN_CUSTOMERS`, :data:`MIN_EVENTS`): a treated
  group and the control each have at least 30 customers, and the two together at
  least 10 customers with the outcome (a visit, an order, any spend).  Smaller
  comparisons are computed but marked ``too_small``; the app and the command line
  show no uplift for them and say why.
* **Verdict**: ``lift`` when the interval lies above 0, ``drop`` when below 0,
  ``unclear`` when it contains 0, ``too_small`` (see above), ``control`` for the
  control's own row.  :func:`targets` lists the segments worth targeting next
  time: enough customers and an interval above 0, largest uplift first (or
  largest expected extra outcome = uplift × treated customers).
* Rows without a group, an outcome or a "by" value are left out of what needs
  them and counted (:attr:`Effect.dropped`); nothing is dropped silently.

Who got the measure and outcomes counted from transactions are in
:mod:`loyalty.campaign`.  Pure pandas/numpy (scipy for the quantiles); no Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from loyalty.golden_route import wilson_interval
from loyalty.i18n import error
from loyalty.mapping import normalise_header

#: Confidence of every interval.
CONFIDENCE = 0.95
#: The rule "large enough to tell", in one place: customers in each compared group …
MIN_CUSTOMERS = 30
#: … and customers with the outcome (a visit, an order, any spend) in the two together.
MIN_EVENTS = 10
#: Days after the send date over which outcomes from transactions are counted (default).
DEFAULT_DAYS = 30
#: Outcomes computed from transaction lines, and whether each is a 0/1 rate or a mean.
LINE_OUTCOMES = {"visit": "rate", "conversion": "rate", "spend": "mean"}
KINDS = ("rate", "mean")
VERDICTS = ("lift", "drop", "unclear", "too_small", "control")
#: Header names (normalised as :func:`loyalty.mapping.normalise_header` does) that suggest
#: the group, send-date, outcome and spend columns, and control-group values.
GROUP_HEADERS = ("group", "グループ", "配信グループ", "施策グループ", "群", "区分", "segment", "treatment",
                 "arm", "variant", "テスト区分", "配信区分", "対象区分")
SEND_DATE_HEADERS = ("senddate", "sentdate", "send", "配信日", "送信日", "実施日", "配信日時", "送信日時",
                     "施策実施日", "date", "日付")
OUTCOME_HEADERS = ("visit", "conversion", "cv", "来店", "購入", "来訪", "反応", "response", "click", "クリック",
                   "開封", "open", "成約", "申込")
SPEND_HEADERS = ("spend", "購入金額", "売上", "売上金額", "金額", "revenue", "sales", "amount")
CONTROL_WORDS = ("control", "holdout", "hold out", "no email", "no e-mail", "対照群", "対照", "非配信",
                 "配信なし", "未配信", "コントロール", "ホールドアウト")
#: The columns of :attr:`Effect.overall` and :attr:`Effect.segments` (``by`` only in the latter).
COLUMNS = ("by", "group", "is_control", "n", "events", "mean", "control_n", "control_mean", "uplift", "low",
           "high", "extra", "enough", "verdict")
#: The keys of one group in the command line's JSON (DESIGN §5).
JSON_KEYS = ("group", "n", "mean", "uplift", "low", "high")


# --------------------------------------------------------------------------- intervals


def newcombe_interval(x1, n1, x2, n2, confidence: float = CONFIDENCE):
    """Difference of two independent proportions x1/n1 − x2/n2 with Newcombe's hybrid
    score interval (1998, method 10), vectorised.

    Args:
        x1, n1: events and customers of the treated group (array-like).
        x2, n2: the same for the control group.
        confidence: the interval's confidence (0.95).

    Returns:
        ``(difference, low, high)`` arrays; NaN where a group has no customer.
    """
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + confidence / 2))
    x1, n1, x2, n2 = (np.asarray(v, dtype=float) for v in (x1, n1, x2, n2))
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, z)
    l2, u2 = wilson_interval(x2, n2, z)
    d = np.where((n1 > 0) & (n2 > 0), p1 - p2, np.nan)
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, low, high


def welch_interval(mean1, var1, n1, mean2, var2, n2, confidence: float = CONFIDENCE):
    """Difference of two means with Welch's interval, vectorised.

    Args:
        mean1, var1, n1: mean, sample variance (ddof 1) and size of the treated group.
        mean2, var2, n2: the same for the control group.
        confidence: the interval's confidence (0.95).

    Returns:
        ``(difference, low, high)`` arrays; low/high are NaN where a group has fewer
        than two customers or neither group has any spread.
    """
    from scipy.stats import t as student_t

    m1, v1, n1, m2, v2, n2 = (np.asarray(v, dtype=float) for v in (mean1, var1, n1, mean2, var2, n2))
    with np.errstate(invalid="ignore", divide="ignore"):
        a, b = v1 / n1, v2 / n2
        se = np.sqrt(a + b)
        df = (a + b) ** 2 / (a ** 2 / (n1 - 1) + b ** 2 / (n2 - 1))
        q = student_t.ppf(0.5 + confidence / 2, df)
    ok = (n1 >= 2) & (n2 >= 2) & (se > 0)
    d = m1 - m2
    return d, np.where(ok, d - q * se, np.nan), np.where(ok, d + q * se, np.nan)


# --------------------------------------------------------------------------- the comparison


@dataclass
class Effect:
    """Treated against control, overall and per "by" value.

    Attributes:
        outcome: the outcome's name (a column or ``visit``/``conversion``/``spend``).
        kind: ``"rate"`` (0/1 outcome, Newcombe) or ``"mean"`` (Welch).
        control: the control group's value.
        groups: every group, treated ones first (in natural order), the control last.
        overall: one row per group (:data:`COLUMNS` without ``by``).
        by: the name of the "by" column, or None.
        segments: one row per ("by" value, group), "by" values in order, or None.
        dropped: rows left out and why: ``no_group``, ``no_outcome``, ``no_by``.
    """

    outcome: str
    kind: str
    control: str
    groups: list[str]
    overall: pd.DataFrame
    by: str | None = None
    segments: pd.DataFrame | None = None
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def treated(self) -> list[str]:
        """The treated groups, in order."""
        return [g for g in self.groups if g != self.control]

    def to_dict(self, digits: int = 6) -> dict:
        """The command line's JSON (DESIGN §5): ``{"overall": [...], "by": {value: [...]}}``.

        Each group is ``{"group", "n", "mean", "uplift", "low", "high"}``; ``uplift``,
        ``low`` and ``high`` are null for the control's own row and where the
        comparison is too small to tell (or has no interval).

        Args:
            digits: decimals kept for fractions and amounts.

        Returns:
            A dict ready for ``json.dumps``.
        """
        by = {}
        if self.segments is not None:
            for value, rows in self.segments.groupby("by", sort=False):
                by[str(value)] = _json_rows(rows, digits)
        return {"overall": _json_rows(self.overall, digits), "by": by}


def _json_rows(frame: pd.DataFrame, digits: int) -> list[dict]:
    out = []
    for row in frame.itertuples(index=False):
        shown = row.enough and not row.is_control

        def num(x):
            return round(float(x), digits) if shown and np.isfinite(x) else None

        out.append({"group": row.group, "n": int(row.n), "mean": round(float(row.mean), digits)
                    if np.isfinite(row.mean) else None,
                    "uplift": num(row.uplift), "low": num(row.low), "high": num(row.high)})
    return out


def compare(frame: pd.DataFrame, *, group: str, control: str, outcome: str, by: str | None = None,
            kind: str | None = None, by_order: list | None = None, name: str | None = None,
            confidence: float = CONFIDENCE) -> Effect:
    """Compare each treated group with the control, overall and per ``by`` value.

    Args:
        frame: one row per customer.
        group: the group column (text; empty = left out and counted).
        control: the control group's value.
        outcome: the outcome column (numbers; empty = left out and counted).
        by: a column to break the comparison down by (empty values are left out of
            the breakdown and counted), or None.
        kind: ``"rate"`` or ``"mean"``; None = ``"rate"`` when every outcome is 0 or 1.
        by_order: the order of ``by`` values (others follow in natural order).
        name: the outcome's name in the result (default: ``outcome``).
        confidence: the intervals' confidence.

    Returns:
        :class:`Effect`.

    Raises:
        LoyaltyError: no such column, the control value is absent, no treated group,
            or a rate outcome that is not 0/1.
    """
    for col in (group, outcome, by):
        if col is not None and col not in frame.columns:
            raise error("error.effect_no_column", column=col)
    groups_text = frame[group].astype("str").str.strip().where(frame[group].notna())
    groups_text = groups_text.where(groups_text != "")
    y = pd.to_numeric(frame[outcome], errors="coerce").astype(float)
    have = groups_text.notna() & y.notna()
    dropped = {"no_group": int(groups_text.isna().sum()), "no_outcome": int((groups_text.notna() & y.isna()).sum())}
    data = pd.DataFrame({"group": groups_text[have], "y": y[have]})
    present = natural_order(data["group"].unique())
    if control not in present:
        raise error("error.effect_no_control", control=control, groups=", ".join(map(str, present[:10])))
    if len(present) < 2:
        raise error("error.effect_no_treated", control=control)
    kind = kind or ("rate" if data["y"].isin([0.0, 1.0]).all() else "mean")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if kind == "rate" and not data["y"].isin([0.0, 1.0]).all():
        raise error("error.effect_not_binary", column=outcome)
    order = [g for g in present if g != control] + [control]
    overall = _table(data.assign(by=""), order, control, kind, confidence).drop(columns="by")
    segments = None
    if by is not None:
        by_text = frame.loc[have, by].astype("str").str.strip().where(frame.loc[have, by].notna())
        by_text = by_text.where(by_text != "")
        dropped["no_by"] = int(by_text.isna().sum())
        keep = by_text.notna()
        seg_data = data[keep].assign(by=by_text[keep])
        seg_order = _by_order(seg_data["by"].unique(), by_order)
        segments = _table(seg_data, order, control, kind, confidence)
        segments["by"] = pd.Categorical(segments["by"], categories=seg_order, ordered=True)
        segments = segments.sort_values(["by", "_order"], kind="stable").reset_index(drop=True)
        segments["by"] = segments["by"].astype("str")
        segments = segments.drop(columns="_order")
    overall = overall.drop(columns="_order")
    return Effect(outcome=name or outcome, kind=kind, control=control, groups=order, overall=overall, by=by,
                  segments=segments, dropped=dropped)


def _table(data: pd.DataFrame, order: list[str], control: str, kind: str, confidence: float) -> pd.DataFrame:
    """Per (by, group): n, events, mean, and the comparison with the same by value's control."""
    data = data.assign(event=(data["y"] != 0).astype(np.int64))
    stats = data.groupby(["by", "group"], observed=True, sort=False).agg(
        n=("y", "size"), events=("event", "sum"), mean=("y", "mean"), var=("y", "var"), total=("y", "sum"))
    stats = stats.reset_index()
    ctl = stats[stats["group"] == control].set_index("by")
    stats = stats[stats["group"].isin(order)]
    # a "by" value without any control customer still shows its treated rows (n control = 0)
    c = ctl.reindex(stats["by"])
    cn = c["n"].fillna(0).to_numpy(dtype=float)
    if kind == "rate":
        d, low, high = newcombe_interval(stats["total"], stats["n"], c["total"].fillna(0), cn, confidence)
    else:
        d, low, high = welch_interval(stats["mean"], stats["var"], stats["n"], c["mean"], c["var"], cn, confidence)
    out = pd.DataFrame({
        "by": stats["by"].to_numpy(), "group": stats["group"].to_numpy(),
        "is_control": (stats["group"] == control).to_numpy(),
        "n": stats["n"].to_numpy(dtype=np.int64), "events": stats["events"].to_numpy(dtype=np.int64),
        "mean": stats["mean"].to_numpy(dtype=float), "control_n": cn.astype(np.int64),
        "control_mean": c["mean"].to_numpy(dtype=float), "uplift": d, "low": low, "high": high,
    })
    out["extra"] = out["uplift"] * out["n"]
    # the rule: each side ≥ MIN_CUSTOMERS, both sides together ≥ MIN_EVENTS (the control's
    # own row only needs its customers)
    mine = out["is_control"]
    events = out["events"] + c["events"].fillna(0).to_numpy()
    out["enough"] = ((out["n"] >= MIN_CUSTOMERS) & (out["control_n"] >= MIN_CUSTOMERS)
                     & (mine | (events >= MIN_EVENTS)))
    for col in ("uplift", "low", "high", "extra"):
        out.loc[mine, col] = np.nan
    out["verdict"] = np.select(
        [mine, ~out["enough"], out["low"] > 0, out["high"] < 0],
        ["control", "too_small", "lift", "drop"], default="unclear")
    out["_order"] = out["group"].map({g: i for i, g in enumerate(order)})
    return out.sort_values(["by", "_order"], kind="stable").reset_index(drop=True)[list(COLUMNS) + ["_order"]]


def targets(effect: Effect, *, order: str = "uplift") -> pd.DataFrame:
    """The segments worth targeting next time: large enough to tell and an uplift
    interval above 0.

    Args:
        effect: a comparison with a breakdown (:func:`compare` with ``by``).
        order: ``"uplift"`` (largest uplift per customer first) or ``"extra"``
            (largest expected extra outcome, uplift × treated customers, first).

    Returns:
        The rows of ``effect.segments`` with verdict ``lift``, sorted; empty without a breakdown.
    """
    if effect.segments is None:
        return pd.DataFrame(columns=list(COLUMNS))
    key = {"uplift": "uplift", "extra": "extra"}[order]
    rows = effect.segments[effect.segments["verdict"] == "lift"]
    return rows.sort_values([key, "low"], ascending=False, kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- ordering and detection


def _sort_key(values_) -> tuple[bool, list]:
    nums = pd.to_numeric(pd.Series(list(values_), dtype="object"), errors="coerce")
    return bool(nums.notna().all()), nums.tolist()


def natural_order(items) -> list[str]:
    """Values sorted as a person expects: numerically when every value is a number
    ("2" before "10"), else as text."""
    items = [str(v) for v in items]
    numeric, nums = _sort_key(items)
    if numeric:
        return [v for _, v in sorted(zip(nums, items))]
    return sorted(items)


def _by_order(present, by_order: list | None) -> list[str]:
    present = [str(v) for v in present]
    first = [str(v) for v in (by_order or []) if str(v) in present]
    return first + natural_order(v for v in present if v not in first)


def _find(columns: list[str], names: tuple[str, ...]) -> str | None:
    norm = {c: normalise_header(c) for c in columns}
    wanted = [normalise_header(n) for n in names]
    for w in wanted:  # exact names first, in the order listed
        hit = next((c for c in columns if norm[c] == w), None)
        if hit is not None:
            return hit
    return None


def detect_group_column(columns: list[str]) -> str | None:
    """The column whose header suggests the group (:data:`GROUP_HEADERS`), or None."""
    return _find(columns, GROUP_HEADERS)


def detect_send_date_column(columns: list[str]) -> str | None:
    """The column whose header suggests the send date (:data:`SEND_DATE_HEADERS`), or None."""
    return _find(columns, SEND_DATE_HEADERS)


def detect_control(groups) -> str | None:
    """The group value that reads as the control (:data:`CONTROL_WORDS`), or None."""
    words = [normalise_header(w) for w in CONTROL_WORDS]
    for g in groups:
        n = normalise_header(g)
        if any(w and w in n for w in words):
            return str(g)
    return None


def detect_outcome_column(columns: list[str]) -> str | None:
    """The column whose header suggests a 0/1 outcome (:data:`OUTCOME_HEADERS`), or None."""
    return _find(columns, OUTCOME_HEADERS)


def detect_spend_column(columns: list[str]) -> str | None:
    """The column whose header suggests spend (:data:`SPEND_HEADERS`), or None."""
    return _find(columns, SPEND_HEADERS)
