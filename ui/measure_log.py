"""The measure log on the personas & measures page: record when a measure ran and what came of it.

An entry (day, customers sent to, responded, revenue, a note, and the latest campaign-effect
result when the user links it) is saved in the definition at once (``measure_log``,
:mod:`loyalty.measure_log`), so it is in the definition file, the action plan and the
workbook.  The campaign-effect page leaves its latest result in :data:`LAST_EFFECT`
(:func:`remember_effect`) for the form to link.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from loyalty import measure_log as ml
from loyalty.errors import LoyaltyError
from loyalty.fmt import format_date, format_int, format_pct, format_yen
from loyalty.measures import measure_log, measures_for
from ui import state

t = state.t
#: Session key of the latest campaign-effect result ({"summary", "source"}), set by the 施策効果 page.
LAST_EFFECT = "measure_log_last_effect"


def remember_effect(effect, *, source: str, days: int | None) -> None:
    """Keep the campaign-effect page's latest result for the measure log to link.

    Args:
        effect: the :class:`loyalty.effect.Effect` shown.
        source: where the campaign came from (file name), to name it in the form.
        days: the outcome window in days (outcomes from transactions), else None.
    """
    st.session_state[LAST_EFFECT] = {"summary": ml.effect_summary(effect, days=days), "source": source}


def _effect_text(summary: dict) -> str:
    """A linked campaign-effect result in one line (the uplift and its interval, or why none)."""
    rate = summary["kind"] == "rate"

    def shown(v):
        if v is None:
            return "—"
        return f"{v * 100:+.1f}pt" if rate else format_yen(v)

    if summary.get("uplift") is None:
        return t("measure_log.effect_none", group=summary["group"], control=summary["control"])
    outcome = summary["outcome"]
    if outcome in ("visit", "conversion", "spend"):  # outcomes counted from the transactions
        outcome = t(f"effect.outcome.{outcome}")
    return t("measure_log.effect_line", outcome=outcome, group=summary["group"],
             control=summary["control"], uplift=shown(summary["uplift"]), low=shown(summary["low"]),
             high=shown(summary["high"]))


def _add(target: str, lang: str) -> None:
    """Callback of the form: add the entry to the definition's log (or keep the error to show)."""
    s = st.session_state
    link = s.get("w_log_effect") and s.get(LAST_EFFECT)
    try:
        entry = ml.new_entry(target, s.get("w_log_measure") or "", s.get("w_log_date") or date.today(),
                             sent=s.get("w_log_sent"), responded=s.get("w_log_responded"),
                             revenue=s.get("w_log_revenue"), note=s.get("w_log_note") or "",
                             effect=link["summary"] if link else None)
    except LoyaltyError as exc:
        s["measure_log_error"] = exc
        return
    d = state.definition()
    state.set_definition(d.copy(measure_log=ml.add_entry(d.measure_log, entry)))
    s.pop("measure_log_error", None)


def _shown(value, fmt) -> str:
    """A recorded number formatted, or "—" when it was not recorded."""
    return "—" if value is None or pd.isna(value) else fmt(value)


def _remove(positions: list[int]) -> None:
    d = state.definition()
    state.set_definition(d.copy(measure_log=ml.remove_entries(d.measure_log, positions)))


def _form(target: str, lang: str) -> None:
    """The form that records a run of one of the target's measures."""
    titles = [m["title"] for m in measures_for(state.definition().measures, target, lang) if m.get("title")]
    with st.form("measure_log_form", clear_on_submit=True, border=True):
        c1, c2 = st.columns([3, 1])
        if titles:
            c1.selectbox(t("measure_log.measure"), titles, key="w_log_measure")
        else:
            c1.text_input(t("measure_log.measure"), key="w_log_measure")
        c2.date_input(t("measure_log.date"), value=date.today(), format="YYYY/MM/DD", key="w_log_date")
        c3, c4, c5 = st.columns(3)
        c3.number_input(t("measure_log.sent"), min_value=0, value=None, step=1, key="w_log_sent",
                        help=t("measure_log.sent_help"))
        c4.number_input(t("measure_log.responded"), min_value=0, value=None, step=1, key="w_log_responded",
                        help=t("measure_log.responded_help"))
        c5.number_input(t("measure_log.revenue"), min_value=0.0, value=None, step=1000.0, key="w_log_revenue",
                        help=t("measure_log.revenue_help"))
        st.text_input(t("measure_log.note"), key="w_log_note")
        last = st.session_state.get(LAST_EFFECT)
        if last:
            st.checkbox(t("measure_log.link_effect", source=last["source"], result=_effect_text(last["summary"])),
                        key="w_log_effect")
        st.form_submit_button(t("measure_log.add"), on_click=_add, args=(target, lang), icon=":material/add:")


def log_section(target: str) -> None:
    """The measure log of one target: the form, its entries, removing entries.

    Args:
        target: "tier:<key>" or "segment:<key>".
    """
    lang = state.lang()
    st.markdown(f"**{t('measure_log.title')}**")
    st.caption(t("measure_log.help"))
    _form(target, lang)
    err = st.session_state.get("measure_log_error")
    if err is not None:
        state.show_error(err)
    d = state.definition()
    table = measure_log(d, lang)
    mine = table[table["target"] == target]
    if mine.empty:
        st.caption(t("measure_log.empty"))
        return
    positions = [i for i, e in enumerate(d.measure_log) if e["target"] == target]
    for (_, row), pos in zip(mine.iterrows(), positions):
        line = t("measure_log.entry", date=format_date(row["date"]), measure=row["measure"],
                 sent=_shown(row["sent"], format_int), responded=_shown(row["responded"], format_int),
                 rate=_shown(row["response_rate"], format_pct), revenue=_shown(row["revenue"], format_yen))
        effect = d.measure_log[pos].get("effect")
        st.markdown("- " + line + (f"  \n  {_effect_text(effect)}" if effect else "")
                    + (f"  \n  {row['note']}" if row["note"] else ""))
    labels = {pos: f"{format_date(row['date'])} {row['measure']}" for (_, row), pos in zip(mine.iterrows(), positions)}
    c1, c2 = st.columns([3, 1])
    chosen = c1.multiselect(t("measure_log.remove_pick"), list(labels), format_func=labels.__getitem__,
                            key=f"w_log_remove_{target}")
    c2.button(t("measure_log.remove"), on_click=_remove, args=(chosen,), disabled=not chosen,
              key=f"w_log_remove_btn_{target}", icon=":material/delete:")
