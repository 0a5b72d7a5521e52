"""What the movement gives people: the lists of customers who left or entered a tier
(ready to import, as target lists), and the command line's text table.
"""

from __future__ import annotations

import pandas as pd

from loyalty.columns import header
from loyalty.definition import PRESETS, TIER_KEYS, Definition, preset
from loyalty.features import Features
from loyalty.fmt import format_date, format_int, format_pct
from loyalty.i18n import t
from loyalty.movement.tiers import NOT_YET, Movement
from loyalty.labels import tier_label
from loyalty.scoring import ScoreResult
from loyalty.targets import target_list


def change_list(movement: Movement, k: int, direction: str, features: Features, scored: ScoreResult,
                definition: Definition, lang: str = "ja", *, form: str = "label", tier: str = "top") -> pd.DataFrame:
    """Who dropped out of (``"out"``) or is new in (``"in"``) a tier at period end ``k``, as a target list.

    The columns of :func:`loyalty.targets.target_list` at period end ``k`` (tier,
    segment, score and last order there), plus the state at the previous period end
    (``previous_tier``: a tier or not yet a customer) before the tier, and the
    monetary value in the window at the end.

    Args:
        movement: from :func:`compute`.
        k: the period end (1 … len(periods) − 1).
        direction: "out" or "in" (see :meth:`Movement.moved`).
        features, scored: the features and scores at period end ``k`` (:func:`scores_at`).
        definition: the definition (tier and segment names).
        lang: language of headers and names in the ``"label"`` form.
        form: ``"label"`` or ``"key"`` (as for target lists).
        tier: the tier (default: the top tier).

    Returns:
        The list, sorted as target lists are (score, then id).
    """
    ids = movement.moved(k, direction, tier)
    inside = features.frame.index.isin(ids)
    out = target_list(features.frame[inside], scored.frame[inside], definition, lang, form=form)
    shown = pd.Index(out.iloc[:, 0].astype("str"))
    before = pd.Series(movement.states(k - 1), index=movement.customer_ids).reindex(shown).to_numpy()
    tier_col = "tier" if form == "key" else t("common.tier", lang)
    if form == "label":
        names = {key: tier_label(key, definition, lang) for key in TIER_KEYS}
        names[NOT_YET] = t("movement.state.not_yet", lang)
        before = [names[b] for b in before]
        out = out.rename(columns={tier_col: t("movement.col.tier_now", lang)})
    out.insert(1 + ("customer_name" in features.frame), _list_header("previous_tier", form, lang),
               pd.array(list(before), dtype="str"))
    out[_list_header("monetary", form, lang)] = features.frame["monetary"].reindex(shown).to_numpy()
    return out


def _list_header(key: str, form: str, lang: str) -> str:
    if form == "key":
        return key
    return t("movement.col.previous_tier", lang) if key == "previous_tier" else header(key, lang)


def text_report(movement: Movement, definition: Definition, lang: str = "ja") -> str:
    """``movement`` without ``--json``: a table of the period ends and the moves between them.

    Args:
        movement: from :func:`compute`.
        definition: the definition (its name and tier names).
        lang: the language.

    Returns:
        The text (lines ending with a newline).
    """
    names = {k: tier_label(k, definition, lang) for k in TIER_KEYS}
    names[NOT_YET] = t("movement.state.not_yet", lang)
    out = [t("movement.cli.title", lang, every=t(f"movement.every.{movement.every}", lang),
             name=_definition_name(definition, lang), days=movement.window_days), ""]
    head = [t("movement.cli.as_of", lang), t("movement.cli.customers", lang), *(names[k] for k in TIER_KEYS),
            t("movement.cli.top_share", lang, tier=names["top"])]
    rows = [[format_date(r.as_of) + ("*" if r.partial else ""), format_int(r.customers),
             *(format_int(getattr(r, k)) for k in TIER_KEYS), format_pct(r.revenue_share_top)]
            for r in movement.summary.itertuples(index=False)]
    out += _aligned([head, *rows])
    if movement.periods[-1].partial:
        out.append(t("movement.cli.partial", lang, as_of=format_date(movement.periods[-1].as_of)))
    out += ["", t("movement.cli.moves", lang)]
    moves = movement.flows()
    moves = moves[moves["from"] != moves["to"]]
    out += _aligned([[f"{format_date(m['from_as_of'])} → {format_date(m['to_as_of'])}",
                      f"{names[m['from']]} → {names[m['to']]}", format_int(m["customers"])]
                     for m in moves.to_dict("records")], left=2) or [t("movement.cli.no_moves", lang)]
    return "\n".join(out) + "\n"


def _definition_name(definition: Definition, lang: str) -> str:
    """The definition's name as the app shows it: a preset left under its own (Japanese)
    name is named in ``lang``; a name the user gave stays as it is."""
    if lang != "ja" and definition.preset in PRESETS and definition.name == preset(definition.preset).name:
        return t(f"preset.{definition.preset}", lang)
    return definition.name


def _width(text: str) -> int:
    """Columns a text takes in a terminal (East Asian wide characters take two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _aligned(table: list[list[str]], left: int = 1) -> list[str]:
    """Rows of cells as lines: the first ``left`` columns left-aligned, the others right-aligned."""
    if not table:
        return []
    widths = [max(_width(row[i]) for row in table) for i in range(len(table[0]))]
    out = []
    for row in table:
        cells = [c + " " * (w - _width(c)) if i < left else " " * (w - _width(c)) + c
                 for i, (c, w) in enumerate(zip(row, widths))]
        out.append("  ".join(cells).rstrip())
    return out
