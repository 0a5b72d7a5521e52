"""The measure log (施策ログ): entries checked, kept in the definition file (schema version 2,
version-1 files migrated), the table with dates the movement page can draw, the totals the
action plan shows, a linked campaign-effect result, and the workbook's log sheet."""

from __future__ import annotations

import io
import json
from datetime import date

import numpy as np
import openpyxl
import pandas as pd
import pytest

from loyalty import definition as defn
from loyalty import effect as ef
from loyalty import measure_log as ml
from loyalty.errors import LoyaltyError
from loyalty.measures import action_plan, measure_log

LOW = "休眠掘り起こしキャンペーン"


def _log() -> list[dict]:
    log = ml.add_entry(None, ml.new_entry("tier:low", LOW, date(2026, 9, 1), sent=1200, responded=84,
                                          revenue=352_000, note="件名A"))
    log = ml.add_entry(log, ml.new_entry("tier:low", LOW, date(2026, 6, 1), sent=800, responded=40))
    return ml.add_entry(log, ml.new_entry("segment:at_risk", "離反防止の個別連絡", date(2026, 7, 15), note="電話"))


def test_entries_are_checked_and_kept_in_date_order():
    log = _log()
    assert [e["date"] for e in log] == ["2026-06-01", "2026-07-15", "2026-09-01"]
    assert log[2] == {"target": "tier:low", "measure": LOW, "date": "2026-09-01", "sent": 1200, "responded": 84,
                      "revenue": 352000.0, "note": "件名A", "effect": None}
    assert [e["date"] for e in ml.remove_entries(log, [0, 2])] == ["2026-07-15"]
    with pytest.raises(LoyaltyError) as err:
        ml.new_entry("tier:low", LOW, date(2026, 9, 1), sent=10, responded=11)
    assert err.value.en == "More customers responded (11) than were sent to (10); check the numbers."
    with pytest.raises(LoyaltyError) as err:
        ml.new_entry("tier:low", "  ", date(2026, 9, 1))
    assert err.value.field == "measure"
    with pytest.raises(LoyaltyError):
        ml.new_entry("tier:low", LOW, date(2026, 9, 1), revenue=-1)


def test_the_log_travels_in_the_definition_file_as_version_2():
    d = defn.preset("b2c").copy(measure_log=_log())
    data = json.loads(d.to_json())
    assert data["version"] == 2 and len(data["measure_log"]) == 3
    back = defn.loads(d.to_json())
    assert back.measure_log == d.measure_log and back.to_dict() == d.to_dict()
    assert "measure_log" not in defn.preset("b2c").to_dict()  # an empty log is not written


def test_a_version_1_file_is_migrated_with_an_empty_log():
    data = defn.preset("b2c").to_dict()
    data["version"] = 1
    d = defn.from_dict(data)
    assert d.measure_log == [] and d.to_dict()["version"] == 2
    assert defn.migrate({"version": 1, "name": "x"}) == {"version": 2, "name": "x"}


@pytest.mark.parametrize(("entry", "field"), [
    ({"target": "vip", "measure": "x", "date": "2026-01-01"}, "measure_log[0].target"),
    ({"target": "tier:top", "measure": "", "date": "2026-01-01"}, "measure_log[0].measure"),
    ({"target": "tier:top", "measure": "x", "date": "2026/01/01"}, "measure_log[0].date"),
    ({"target": "tier:top", "measure": "x", "date": "2026-01-01", "sent": 1.5}, "measure_log[0].sent"),
    ({"target": "tier:top", "measure": "x", "date": "2026-01-01", "revenue": -3}, "measure_log[0].revenue"),
    ({"target": "tier:top", "measure": "x", "date": "2026-01-01", "effect": {"p": 1}}, "measure_log[0].effect"),
    ({"target": "tier:top", "measure": "x", "date": "2026-01-01", "cost": 5}, "measure_log[0]"),
])
def test_a_bad_log_entry_names_its_field(entry, field):
    data = defn.preset("b2c").to_dict()
    data["measure_log"] = [entry]
    with pytest.raises(LoyaltyError) as err:
        defn.from_dict(data)
    assert err.value.field == field


def test_measure_log_is_a_table_with_dates_for_the_movement_page():
    d = defn.preset("b2c").copy(measure_log=_log())
    table = measure_log(d, "ja")
    assert list(table.columns) == list(ml.LOG_COLUMNS)
    assert pd.api.types.is_datetime64_any_dtype(table["date"])
    assert table["date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-06-01", "2026-07-15", "2026-09-01"]
    assert table["target_label"].tolist() == ["低貢献層", "セグメント: 離反リスク", "低貢献層"]
    assert table["sent"].tolist() == [800, pd.NA, 1200]
    np.testing.assert_allclose(table["response_rate"].to_numpy(dtype=float), [0.05, np.nan, 0.07])
    assert table["revenue"].isna().tolist() == [True, True, False]
    empty = measure_log(defn.preset("b2c"), "en")
    assert list(empty.columns) == list(ml.LOG_COLUMNS) and empty.empty


def test_the_action_plan_shows_how_often_each_measure_ran_and_the_totals():
    rows = [{"target": "tier:low", "title": LOW, "detail": "", "channel": "DM", "timing": "", "kpi": ""},
            {"target": "tier:low", "title": "何もしない", "detail": "", "channel": "", "timing": "", "kpi": ""},
            {"target": "segment:at_risk", "title": "離反防止の個別連絡", "detail": "", "channel": "", "timing": "",
             "kpi": ""}]
    d = defn.preset("b2c").copy(measure_log=_log())
    plan = action_plan(rows, d, "ja")
    assert plan["runs"].tolist() == [2, 0, 1]
    assert plan["last_run"].tolist() == ["2026/09/01", "", "2026/07/15"]
    assert plan["sent"].tolist() == [2000, pd.NA, pd.NA]
    assert plan["responded"].tolist() == [124, pd.NA, pd.NA]
    assert plan["revenue"].isna().tolist() == [False, True, True] and plan["revenue"].iloc[0] == 352_000


def test_a_campaign_effect_result_is_linked_to_an_entry():
    # 40 treated (10 visited) against 40 held out (4 visited): a rate outcome
    frame = pd.DataFrame({"group": ["mail"] * 40 + ["holdout"] * 40,
                          "visit": [1] * 10 + [0] * 30 + [1] * 4 + [0] * 36})
    effect = ef.compare(frame, group="group", control="holdout", outcome="visit")
    summary = ml.effect_summary(effect, days=14)
    assert set(summary) == set(ml.EFFECT_FIELDS)
    assert (summary["group"], summary["control"], summary["n"], summary["control_n"]) == ("mail", "holdout", 40, 40)
    assert (summary["mean"], summary["control_mean"], summary["uplift"]) == (0.25, 0.1, pytest.approx(0.15))
    low, high = ef.newcombe_interval(10, 40, 4, 40)[1:]
    assert (summary["low"], summary["high"]) == (pytest.approx(float(low)), pytest.approx(float(high)))
    assert summary["days"] == 14 and summary["kind"] == "rate"
    d = defn.preset("b2c").copy(measure_log=[ml.new_entry("tier:low", LOW, date(2026, 9, 1), effect=summary)])
    back = defn.loads(d.to_json())
    assert back.measure_log[0]["effect"] == summary
    assert measure_log(back)["uplift"].iloc[0] == pytest.approx(0.15)
    # too small to tell: the numbers are kept, the uplift is not
    small = ml.effect_summary(ef.compare(frame.iloc[30:50], group="group", control="holdout", outcome="visit"))
    assert small["uplift"] is None and small["verdict"] == "too_small"


def test_the_workbook_has_a_measure_log_sheet_when_there_is_a_log():
    from loyalty.pipeline import InputFile, build_features, load_dataset
    from loyalty.scoring import Scorer
    from loyalty.workbook import workbook_bytes

    orders = "会員番号,注文日,金額\n0001,2026/08/01,12000\n0001,2026/09/01,3000\n0002,2026/05/05,8000\n"
    ds = load_dataset([InputFile("o.csv", orders.encode("utf-8"))])
    feats = build_features(ds)
    d = defn.preset("b2c").copy(measure_log=_log())
    scored = Scorer(feats.frame).score(d).frame
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(feats, scored, d, "ja")))
    assert "施策ログ" in book.sheetnames
    ws = book["施策ログ"]
    rows = [[c.value for c in r] for r in ws.iter_rows() if any(c.value is not None for c in r)]
    header = next(i for i, r in enumerate(rows) if r[0] == "実施日")
    assert rows[header][:7] == ["実施日", "対象", "施策", "配信数", "反応数", "反応率", "売上"]
    assert rows[header + 3][1:5] == ["低貢献層", LOW, 1200, 84]
    plain = defn.preset("b2c")
    assert "施策ログ" not in openpyxl.load_workbook(io.BytesIO(workbook_bytes(feats, scored, plain, "ja"))).sheetnames
