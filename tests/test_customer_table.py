"""The customer table (loyalty.customer_table): recency units, bad figures, tables split across files."""

import numpy as np
import pytest

from loyalty.customer_table import recency_unit
from loyalty.errors import LoyaltyError
from tests.helpers import csv_input


@pytest.mark.parametrize("top, unit, asked", [(1, "months", True), (12, "months", True), (12.5, "weeks", True),
                                              (52, "weeks", True), (53, "days", False), (400, "days", False)])
def test_a_recency_without_a_unit_is_guessed_from_its_largest_value(top, unit, asked):
    u = recency_unit("recency", np.array([0.0, top, np.nan]))
    assert (u.unit, u.guess, u.source, u.asked, u.max_value) == (unit, unit, "values", asked, top)


def test_the_header_then_the_user_decide_before_the_values():
    assert recency_unit("経過日数", np.array([3.0, 5.0])).unit == "days"  # small values, but the header says days
    assert recency_unit("経過月数", np.array([3.0, 40.0])).unit == "months"
    chosen = recency_unit("recency", np.array([3.0, 5.0]), "days")
    assert (chosen.unit, chosen.guess, chosen.source) == ("days", "months", "user")
    with pytest.raises(LoyaltyError) as exc:
        recency_unit("recency", np.array([3.0]), "years")
    assert "years" in exc.value.message("ja")


def test_recency_is_converted_to_days_a_month_being_30():
    from loyalty.pipeline import build_features, load_dataset

    text = "顧客ID,recency,frequency,monetary\nA,1,2,1000\nB,6,2,1000\nC,12,2,1000\n"
    f = build_features(load_dataset([csv_input(text, name="r.csv")])).frame
    assert f["recency_days"].tolist() == [30.0, 180.0, 360.0]
    w = build_features(load_dataset([csv_input(text, name="r.csv", recency_unit="weeks")])).frame
    assert w["recency_days"].tolist() == [7.0, 42.0, 84.0]


def test_a_bad_figure_excludes_the_customer_and_a_bad_survey_answer_is_left_blank():
    from loyalty.pipeline import load_dataset

    text = "顧客ID,購入回数,購入金額,NPS\nA,2,1000,9\nB,x,1000,8\nC,3,1e400,7\nD,4,2000,未回答\n,1,1,1\nA,9,9,9\n"
    c = load_dataset([csv_input(text, name="c.csv")]).customers
    assert c.excluded[["row", "reason"]].values.tolist() == [[3, "bad_value"], [4, "bad_value"],
                                                             [6, "missing_customer_id"], [7, "duplicate_customer_id"]]
    assert c.frame.index.tolist() == ["A", "D"] and np.isnan(c.frame.loc["D", "nps"])
    assert c.notes == [("note.customer_cells_blank", {"file": "c.csv", "column": "NPS", "count": 1, "rows": "5"})]
    assert c.rows_read == c.rows_used + len(c.excluded) == 6
