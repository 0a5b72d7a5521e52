"""App test of the measure log on the personas & measures page: record a run of a measure
(linking the campaign-effect page's latest result), see it in the action plan, remove it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from loyalty.i18n import t

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


@pytest.mark.slow
def test_a_run_is_recorded_with_its_campaign_effect_and_shown_in_the_action_plan():
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.switch_page("pages/effect.py").run()  # the sample campaign: its latest result is kept
    assert not at.exception
    at.switch_page("pages/personas.py").run()
    assert not at.exception
    at.selectbox(key="w_measure_target").set_value("tier:low").run()
    title = at.selectbox(key="w_log_measure").value
    at.date_input(key="w_log_date").set_value(date(2026, 9, 1))
    at.number_input(key="w_log_sent").set_value(1200)
    at.number_input(key="w_log_responded").set_value(84)
    at.number_input(key="w_log_revenue").set_value(352000.0)
    at.checkbox(key="w_log_effect").check()
    next(b for b in at.button if b.label == t("measure_log.add")).click().run()
    assert not at.exception and not at.error
    (entry,) = at.session_state["definition"].measure_log
    assert {k: entry[k] for k in ("target", "measure", "date", "sent", "responded", "revenue")} == {
        "target": "tier:low", "measure": title, "date": "2026-09-01", "sent": 1200, "responded": 84,
        "revenue": 352000.0}
    effect = entry["effect"]
    assert (effect["group"], effect["control"], effect["verdict"]) == ("mail", "holdout", "lift")
    assert any(m.value.startswith("- 2026/09/01") and "配信 1,200・反応 84（7.0%）・売上 ¥352,000" in m.value
               and "効果測定:" in m.value for m in at.markdown)
    plan = next(d.value for d in at.dataframe if "runs" in d.value.columns)
    row = plan[(plan["target_label"] == "低貢献層") & (plan["title"] == title)].iloc[0]
    assert (row["runs"], row["last_run"], row["sent"], row["responded"]) == (1, "2026/09/01", 1200, 84)
    # more responses than sends is refused with a message, nothing recorded
    at.number_input(key="w_log_sent").set_value(10)
    at.number_input(key="w_log_responded").set_value(11)
    next(b for b in at.button if b.label == t("measure_log.add")).click().run()
    assert any("11" in e.value and "10" in e.value for e in at.error)
    assert len(at.session_state["definition"].measure_log) == 1
    at.multiselect(key="w_log_remove_tier:low").select(0).run()
    at.button(key="w_log_remove_btn_tier:low").click().run()
    assert at.session_state["definition"].measure_log == []
