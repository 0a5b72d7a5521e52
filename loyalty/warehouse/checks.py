"""The quality counts of the SQL path (no customer id, unreadable date or amount,
future date, lines after the as-of date), in the quality report's order, and the
distinct text values the line rules judge in Python, in one scan."""

from __future__ import annotations

from datetime import date

from loyalty.mapping import ColumnMapping
import loyalty.warehouse.typed as typed
from loyalty.warehouse.source import _ibis
from loyalty.warehouse.typed import TextRules, rules_from_values, text_rules, typed_lines


#: The quality report's checks the SQL makes (the others need the text as read), with
#: their place in :data:`loyalty.quality.EXCLUSION_ORDER`.
_WHEN_REASON = {"missing_customer_id": 0, "bad_date": 1, "bad_amount": 2, "future_date": 4}


def quality_expr(lines, today: date, as_of: date | None = None):
    """One-row table of the quality counts (quality report order), the latest
    usable date (``latest``) and the usable lines after ``as_of``."""
    return lines.aggregate(**_quality_metrics(lines, today, as_of))


def _quality_metrics(lines, today: date, as_of: date | None) -> dict:
    """The aggregates of :func:`quality_expr` by name."""
    ibis = _ibis()
    missing = lines.cid.isnull()
    bad_date = ~missing & lines.day.isnull()
    bad_amount = ~missing & lines.day.notnull() & lines.amount.isnull()
    ok = ~missing & lines.day.notnull() & lines.amount.notnull()
    future = ok & (lines.day > ibis.literal(today))
    used = ok & (lines.day <= ibis.literal(today))
    after = used & (lines.day > ibis.literal(as_of if as_of is not None else today))
    return dict(
        rows_read=lines.count(),
        missing_customer_id=missing.sum(),
        bad_date=bad_date.sum(),
        bad_amount=bad_amount.sum(),
        future_date=future.sum(),
        rows_after_as_of=after.sum(),
        latest=lines.day.max(where=used),
    )


#: The roles whose distinct values :func:`run_checks` judges in Python (see :class:`TextRules`).
RULE_ROLES = ("transaction_type", "coupon", "product_code")


#: :func:`check_expr` returns at most this many value combinations; past it the checks
#: fall back to one query per column (:func:`text_rules`) plus :func:`quality_expr`.
CHECK_GROUPS_MAX = 1_000_000


def check_expr(t, mapping: ColumnMapping, *, clean_ids: bool, today: date, as_of: date | None = None):
    """The quality counts of :func:`quality_expr` per combination of the 取引区分,
    coupon and product-code values, so one scan gives both the counts and the
    distinct values :func:`rules_from_values` judges.

    Args:
        t: the Ibis table of raw lines.
        mapping: the column mapping.
        clean_ids: see :func:`typed_lines`.
        today: lines after it are future dates.
        as_of: the as-of date, when given.

    Returns:
        A table with ``raw_<role>`` for the mapped roles of :data:`RULE_ROLES`
        and the columns of :func:`quality_expr`, one row per combination.
    """
    raw = tuple(r for r in RULE_ROLES if mapping.has(r))
    # the sign of an amount does not matter to the counts: no return marker is needed here
    lines = typed_lines(t, mapping, clean_ids=clean_ids, rules=TextRules((), (), ()),
                        fields=("cid", "day", "amount"), raw=raw)
    if not raw:
        return quality_expr(lines, today, as_of)
    return lines.group_by([f"raw_{r}" for r in raw]).aggregate(**_quality_metrics(lines, today, as_of))


def run_checks(t, mapping: ColumnMapping, *, clean_ids: bool, today: date,
               as_of: date | None = None) -> tuple[dict, TextRules]:
    """The quality row and the text rules, in one scan when the value combinations are few.

    Args:
        t, mapping, clean_ids, today, as_of: as for :func:`check_expr`.

    Returns:
        ``(quality row as a dict, TextRules)``; the dict has the keys of :func:`quality_expr`.
    """
    import pyarrow.compute as pc

    raw = [r for r in RULE_ROLES if mapping.has(r)]
    tab = check_expr(t, mapping, clean_ids=clean_ids, today=today, as_of=as_of)
    tab = tab.limit(CHECK_GROUPS_MAX + 1).to_pyarrow()
    if tab.num_rows > CHECK_GROUPS_MAX:
        rules = text_rules(t, mapping)
        lines = typed_lines(t, mapping, clean_ids=clean_ids, rules=TextRules((), (), ()),
                            fields=("cid", "day", "amount"))
        return quality_expr(lines, today, as_of).to_pyarrow().to_pylist()[0], rules
    q = {}
    for name in tab.column_names:
        if name.startswith("raw_"):
            continue
        col = tab[name]
        q[name] = pc.max(col).as_py() if name == "latest" else int(pc.sum(col).as_py() or 0)

    def values(role: str) -> list[str] | None:
        if role not in raw:
            return None
        v = pc.unique(tab[f"raw_{role}"]).drop_null().to_pylist()
        return None if len(v) > typed.DISTINCT_IN_PYTHON else v

    return q, rules_from_values(values("transaction_type"), values("coupon"), values("product_code"))
