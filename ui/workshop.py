"""Parts of the workshop page: the proposals on the same customers, the tables and
charts that set them side by side, and the comparison workbook's sheets.

Everything here takes its data and language as arguments (no session state), so
the page only decides what to draw where.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from loyalty import export
from loyalty.compare import Comparison, compare
from loyalty.definition import TIER_KEYS
from loyalty.fmt import format_int, format_pct
from loyalty.i18n import t
from ui.theme import tier_scale, wrapped_labels

#: The session key of the workshop's proposals (name -> Definition, in order); kept
#: in the workspace by :mod:`ui.workspace`.
K_PROPOSALS = "proposals"


def on_common_customers(results: dict, features: pd.DataFrame) -> tuple[Comparison, int, bool]:
    """The proposals compared on the customers every one of them scored.

    Args:
        results: name -> :class:`loyalty.scoring.ScoreResult`, in order.
        features: the customer features (their ``monetary`` gives revenue shares;
            without it, every customer counts as ¥0).

    Returns:
        ``(comparison, customers, narrowed)``: the comparison, how many customers it
        covers, and whether some proposal scored customers the others did not.
    """
    common = None
    for r in results.values():
        common = r.frame.index if common is None else common.intersection(r.frame.index)
    narrowed = any(len(r.frame.index) != len(common) for r in results.values())
    scores = {name: r.frame.loc[common] for name, r in results.items()}
    monetary = (features["monetary"].reindex(common).fillna(0.0) if "monetary" in features
                else pd.Series(0.0, index=common))
    return compare(scores, monetary), len(common), narrowed


def size_tables(table: pd.DataFrame, names: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers and revenue shares per definition (rows, in order) and tier (columns).

    Args:
        table: :meth:`loyalty.compare.Comparison.tier_table`.
        names: the definitions, in order.

    Returns:
        ``(customers, revenue_share)``.
    """
    wide = table.pivot(index="definition", columns="tier", values="customers")
    rev = table.pivot(index="definition", columns="tier", values="revenue_share")
    return (wide.reindex(index=names, columns=list(TIER_KEYS)), rev.reindex(index=names, columns=list(TIER_KEYS)))


def sizes_view(names: list[str], customers: pd.DataFrame, revenue_share: pd.DataFrame,
               tier_labels: dict[str, str], lang: str) -> pd.DataFrame:
    """The tier sizes as shown on screen: one row per definition, formatted text cells."""
    view = pd.DataFrame({t("ws.definition", lang): names})
    for k in TIER_KEYS:
        view[t("ws.customers_of", lang, tier=tier_labels[k])] = [format_int(v) for v in customers[k]]
        view[t("ws.revenue_of", lang, tier=tier_labels[k])] = [format_pct(v) for v in revenue_share[k]]
    return view


def sizes_sheet(names: list[str], customers: pd.DataFrame, revenue_share: pd.DataFrame,
                tier_labels: dict[str, str], lang: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """The tier sizes as numbers for the workbook (the screen shows them as text), and their kinds."""
    sizes = pd.DataFrame({t("ws.definition", lang): names})
    kinds: dict[str, str] = {}
    for k in TIER_KEYS:
        c, r = t("ws.customers_of", lang, tier=tier_labels[k]), t("ws.revenue_of", lang, tier=tier_labels[k])
        sizes[c], sizes[r] = customers[k].to_numpy(), revenue_share[k].to_numpy()
        kinds.update({c: "int", r: "pct"})
    return sizes, kinds


def size_chart(table: pd.DataFrame, names: list[str], tier_labels: dict[str, str], measure: str, title: str,
               lang: str) -> alt.Chart:
    """One share per definition and tier as grouped bars.

    Args:
        table: :meth:`loyalty.compare.Comparison.tier_table` with a ``tier_label`` column.
        names: the definitions, in order.
        tier_labels: tier key -> label.
        measure: "customer_share" or "revenue_share".
        title: the measure's name.
        lang: the language of the other titles.
    """
    return alt.Chart(table).mark_bar().encode(
        x=alt.X("definition:N", title=None, sort=names,
                axis=alt.Axis(labelAngle=0, labelLimit=0, labelExpr=wrapped_labels(names, 24))),
        xOffset=alt.XOffset("tier_label:N", sort=[tier_labels[k] for k in TIER_KEYS]),
        y=alt.Y(f"{measure}:Q", title=title, axis=alt.Axis(format="%")),
        color=alt.Color("tier_label:N", title=t("common.tier", lang), scale=tier_scale(tier_labels)),
        tooltip=[alt.Tooltip("definition:N", title=t("ws.definition", lang)),
                 alt.Tooltip("tier_label:N", title=t("common.tier", lang)),
                 alt.Tooltip("customers:Q", title=t("col.customers", lang), format=","),
                 alt.Tooltip(f"{measure}:Q", title=title, format=".1%")],
    ).properties(height=300)


def jaccard_long(agreement: dict) -> pd.DataFrame:
    """The pairwise Jaccard index and overlap as rows a, b, jaccard, overlap."""
    jac = agreement["jaccard"].stack().rename("jaccard").reset_index()
    jac.columns = ["a", "b", "jaccard"]
    jac["overlap"] = agreement["overlap"].stack().to_numpy()
    return jac


def jaccard_heatmap(jac: pd.DataFrame, names: list[str], lang: str) -> alt.LayerChart:
    """Definitions × definitions coloured by their Jaccard index, the index written in each cell."""
    # long names are written on several lines, so every column keeps its whole label and
    # neighbours never run into each other (a column is about 12 half-width characters wide)
    base = alt.Chart(jac).encode(
        x=alt.X("b:N", sort=names, title=None,
                axis=alt.Axis(labelAngle=0, labelLimit=0, labelOverlap=False, labelExpr=wrapped_labels(names, 12))),
        y=alt.Y("a:N", sort=names, title=None, axis=alt.Axis(labelLimit=0, labelExpr=wrapped_labels(names, 20))))
    heat = base.mark_rect().encode(
        color=alt.Color("jaccard:Q", title=t("ws.jaccard", lang), scale=alt.Scale(domain=[0, 1], scheme="reds"),
                        legend=None),
        tooltip=[alt.Tooltip("a:N", title=t("ws.definition", lang)),
                 alt.Tooltip("b:N", title=t("ws.definition", lang)),
                 alt.Tooltip("jaccard:Q", format=".2f", title=t("ws.jaccard", lang)),
                 alt.Tooltip("overlap:Q", format=",", title=t("ws.overlap", lang))])
    text = base.mark_text(fontSize=13).encode(
        text=alt.Text("jaccard:Q", format=".2f"),
        color=alt.condition(alt.datum.jaccard > 0.6, alt.value("white"), alt.value("#333")))
    return (heat + text).properties(height=56 * len(names) + 40)


def migration_view(migration: pd.DataFrame, tier_labels: dict[str, str], a: str, b: str,
                   lang: str) -> tuple[pd.DataFrame, int]:
    """The migration matrix with tier labels and axis names, and how many customers moved.

    Args:
        migration: :meth:`loyalty.compare.Comparison.migration` (tier keys × tier keys).
        tier_labels: tier key -> label.
        a, b: the definitions of the rows and of the columns.
        lang: "ja" or "en".
    """
    view = migration.rename(index=tier_labels, columns=tier_labels)
    view.index.name = t("ws.rows_under", lang, name=a)
    view.columns.name = t("ws.cols_under", lang, name=b)
    return view, int(migration.to_numpy().sum() - np.trace(migration.to_numpy()))


def disagreement_view(dis: pd.DataFrame, names: list[str], tier_labels: dict[str, str], lang: str) -> pd.DataFrame:
    """The customers the definitions disagree on most, as shown: score and tier per
    definition, the spread, the factor that makes the difference and its points.

    Args:
        dis: :meth:`loyalty.compare.Comparison.disagreements`.
        names: the definitions, in order.
        tier_labels: tier key -> label.
        lang: "ja" or "en" (「80（最重要顧客）」 / "80 (Top customers)").
    """
    view = pd.DataFrame({t("col.customer_id", lang): dis.index})
    for name in names:
        view[name] = [f"{s:.0f}（{tier_labels[k]}）" if lang == "ja" else f"{s:.0f} ({tier_labels[k]})"
                      for s, k in zip(dis[f"score_{name}"], dis[f"tier_{name}"])]
    view[t("ws.spread", lang)] = dis["spread"].round(1).to_numpy()
    view[t("ws.factor", lang)] = [t(f"factor.{f}", lang) if f else "—" for f in dis["factor"]]
    view[t("ws.factor_points", lang)] = dis["factor_points"].round(1).to_numpy()
    return view


def comparison_sheets(names: list[str], sizes: tuple[pd.DataFrame, dict[str, str]], jaccard: pd.DataFrame,
                      migration: tuple[pd.DataFrame, str, str], disagreements: pd.DataFrame,
                      definitions: dict, context: list[str], lang: str) -> list[export.Sheet]:
    """The comparison workbook's sheets: sizes, Jaccard, migration, disagreements, the definitions.

    Args:
        names: the definitions, in order.
        sizes: :func:`sizes_sheet`.
        jaccard: the name × name Jaccard indexes.
        migration: ``(view, a, b)``: :func:`migration_view`'s table and its two definitions.
        disagreements: :func:`disagreement_view`.
        definitions: name -> :class:`loyalty.definition.Definition`.
        context: the lines above the first sheet (title, as-of date, source, time).
        lang: "ja" or "en".
    """
    mig_view, a, b = migration
    return [
        export.Sheet(t("ws.sheet.sizes", lang), sizes[0], kinds=sizes[1], title=context),
        export.Sheet(t("ws.sheet.jaccard", lang), jaccard.round(3).reset_index(names=t("ws.definition", lang)),
                     kinds={}),
        export.Sheet(t("ws.sheet.migration", lang), mig_view.reset_index(), kinds={},
                     title=[t("ws.migration_title", lang), t("ws.migration_axes", lang, a=a, b=b)]),
        export.Sheet(t("ws.sheet.disagree", lang), disagreements, kinds={t("col.customer_id", lang): "text"}),
        export.Sheet(t("ws.sheet.definitions", lang), pd.DataFrame({
            t("ws.definition", lang): names, "JSON": [definitions[n].to_json() for n in names]}), kinds={}),
    ]
