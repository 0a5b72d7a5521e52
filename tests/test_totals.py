"""Totals rows (loyalty.totals): which cells label a 合計 / 小計 / Total line, and which rows are one."""

import numpy as np
import pandas as pd
import pytest

from loyalty.totals import is_totals_label, totals_rows

LABELS = ["合計", "小計", "総計", "計", "総合計", "Total", "TOTAL", "ＴＯＴＡＬ", "Subtotal", "Grand total", "Grand Total:",
          "合 計", "合　計", " 合計 ", "【合計】", "(合計)", "＜小計＞", "合計:", "合計：", "＊合計＊", "== 合計 ==",
          "合計 3件", "合計（12名）", "Total (12)", "売上合計", "東日本 小計", "関東地区総計", "East subtotal", "Sum"]
NOT_LABELS = ["設計", "会計事務所", "計画", "計算", "TotalEnergies", "Total care set", "Totally", "C001", "山田太郎",
              "2024/06/01", "1000", "合計特殊出生率研究所", "", "   ", None, float("nan")]


@pytest.mark.parametrize("text", LABELS)
def test_totals_labels_in_any_width_spacing_and_bracket(text):
    assert is_totals_label(text)


@pytest.mark.parametrize("text", NOT_LABELS)
def test_names_and_words_that_merely_contain_a_label_are_not_one(text):
    assert not is_totals_label(text)


def test_a_row_is_a_totals_row_by_its_id_or_by_a_label_when_its_id_is_empty():
    frame = pd.DataFrame({"id": ["C1", "合計", None, None, "C2", None],
                          "name": ["Total care", None, "小計", "山田", "合計", None],
                          "amount": ["1", "2", "3", "4", "5", "Grand Total"]}, dtype="str")
    missing = frame["id"].isna().to_numpy()
    # C2's 合計 in the name column does not count: a row with an id is a customer's row
    assert totals_rows(frame, "id", missing).tolist() == [False, True, True, False, False, True]
    assert totals_rows(frame.iloc[:0], "id", np.zeros(0, bool)).tolist() == []
