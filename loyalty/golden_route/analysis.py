"""The whole golden-route analysis the page shows, and the display names of
attributes and patterns (see :mod:`loyalty.golden_route`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from loyalty.golden_route.attributes import attribute_values
from loyalty.golden_route.entries import entry_table
from loyalty.golden_route.first_orders import first_purchases
from loyalty.golden_route.patterns import PatternTable, pattern_table, route_summary
from loyalty.golden_route.scores import auc, route_scores
from loyalty.golden_route.settings import GoldenRouteSettings
from loyalty.i18n import error, t
from loyalty.quality import Transactions


@dataclass
class GoldenRoute:
    """Everything the golden-route page shows.

    Attributes:
        settings: the settings used.
        as_of: the as-of date.
        cohort: customers with enough history; loyal: of them, loyal now.
        patterns: :class:`PatternTable`.
        summary: :func:`route_summary`.
        entries: "product"/"category" -> (:func:`entry_table` table, totals).
        new_customers: the on-route list (see :func:`analyse`), best match first.
        auc: how well the route score separates loyal from the rest in the cohort.
        labels: (attribute, code) -> display label.
        notes: catalogue keys (with values) worth telling the user.
    """

    settings: GoldenRouteSettings
    as_of: date
    cohort: int
    loyal: int
    patterns: PatternTable
    summary: pd.DataFrame
    entries: dict[str, tuple[pd.DataFrame, dict]]
    new_customers: pd.DataFrame
    auc: float
    labels: dict[tuple[str, str], str]
    notes: list[tuple[str, dict]] = field(default_factory=list)


def analyse(tx: Transactions | None, features: pd.DataFrame, tiers: pd.Series, as_of: date,
            settings: GoldenRouteSettings | None = None, lang: str = "ja", *,
            first: pd.DataFrame | None = None) -> GoldenRoute:
    """Run the whole golden-route analysis.

    Args:
        tx: clean transactions (None for a customer-level dataset: an error).
        features: the feature frame (index customer_id) with customer-table columns.
        tiers: tier key per customer (index customer_id), under the working definition.
        as_of: the as-of date.
        settings: the settings (defaults when None).
        lang: language of labels.
        first: :func:`first_purchases` of ``tx`` at ``as_of`` when already computed.

    Returns:
        :class:`GoldenRoute`.  new_customers columns: customer_id, route_score,
        matched, unknown, first_order, days_since_first, orders_so_far,
        second_order_days, first_product, first_category, first_items, first_value,
        first_price, first_channel, acquisition_channel (absent inputs leave their
        columns out).

    Raises:
        LoyaltyError: no transaction table, or a setting out of range.
    """
    settings = (settings or GoldenRouteSettings()).validate()
    if tx is None:
        raise error("error.golden_needs_transactions")
    fp = first if first is not None else first_purchases(tx, as_of)
    elapsed = fp["days_since_first"]
    cohort = elapsed >= settings.min_history_days
    tier = tiers.astype("str").reindex(fp.index)
    loyal = tier.isin(list(settings.loyal_tiers)) & cohort
    values, labels, _ = attribute_values(fp, features, cohort, settings, lang)
    notes: list[tuple[str, dict]] = []
    n_cohort, n_loyal = int(cohort.sum()), int(loyal.sum())
    if n_cohort == 0:
        notes.append(("golden.note.no_cohort", {"days": settings.min_history_days}))
    elif n_loyal == 0:
        notes.append(("golden.note.no_loyal", {}))
    elif n_loyal == n_cohort:
        notes.append(("golden.note.all_loyal", {}))
    patterns = pattern_table(values, loyal, cohort, settings)
    entries = {by: entry_table(fp, loyal, cohort, by, settings) for by in ("product", "category")}

    golden = patterns.shown[patterns.shown["verdict"] == "golden"]
    short = {(a, c): t("golden.short", lang, attribute=t(f"golden.short.{a}", lang), value=labels.get((a, c), c))
             for a, c in zip(golden["attribute"], golden["value"])}  # the labels "matched" can show
    fit = route_scores(values, patterns.shown, cohort, settings, short)
    quality = auc(fit["route_score"], loyal.reindex(fit.index).to_numpy(dtype=bool)) if len(fit) else float("nan")

    new = elapsed < settings.new_days
    scored = route_scores(values, patterns.shown, new, settings, short)
    sub = fp.loc[scored.index]
    table = pd.DataFrame({"first_order": sub["first_order"], "days_since_first": sub["days_since_first"],
                          "orders_so_far": sub["orders_so_far"]}, index=scored.index)
    for col in ("first_product", "first_category"):
        if col in sub:
            table[col] = sub[col]
    table["first_items"] = sub["first_items"].round(0).astype(np.int64)
    table["first_value"] = sub["first_value"]
    if "first_price" in values:
        price = {c: lab for (a, c), lab in labels.items() if a == "first_price"}
        table["first_price"] = values.loc[scored.index, "first_price"].map(price)
    if "first_channel" in sub:
        table["first_channel"] = sub["first_channel"]
    if "acquisition_channel" in features:
        table["acquisition_channel"] = features["acquisition_channel"].reindex(scored.index).astype("str")
    table["second_order_days"] = sub["second_order_days"].astype("Int64")
    table = scored.join(table)
    order = ["route_score", "matched", "unknown", "first_order", "days_since_first", "orders_so_far",
             "second_order_days", "first_product", "first_category", "first_items", "first_value", "first_price",
             "first_channel", "acquisition_channel"]
    table = table[[c for c in order if c in table]].rename_axis("customer_id").reset_index()
    table = table.sort_values(["route_score", "first_order", "customer_id"], ascending=[False, False, True],
                              kind="stable").reset_index(drop=True)
    if not len(table):
        notes.append(("golden.note.no_new", {"days": settings.new_days}))
    return GoldenRoute(settings=settings, as_of=as_of, cohort=n_cohort, loyal=n_loyal, patterns=patterns,
                       summary=route_summary(patterns.shown), entries=entries, new_customers=table,
                       auc=quality, labels=labels, notes=notes)


def attribute_label(key: str, lang: str = "ja") -> str:
    """The display name of an attribute (``golden.attr.<key>``)."""
    return t(f"golden.attr.{key}", lang)


def pattern_label(attribute: str, value: str, labels: dict[tuple[str, str], str], lang: str = "ja") -> str:
    """ "attribute: value" as the page and charts show it."""
    return t("golden.pattern", lang, attribute=attribute_label(attribute, lang),
             value=labels.get((attribute, value), value))
