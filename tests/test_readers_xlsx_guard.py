"""loyalty.readers.xlsx_guard: damaged workbooks are refused before any native reader sees them."""

import pytest

from loyalty.errors import LoyaltyError
from loyalty.readers import read_table
from tests.readers_books import xlsx_book


def test_truncated_xlsx_is_refused_clearly():
    data = xlsx_book({"s": [["a", "b"], ["1", "2"]]})
    with pytest.raises(LoyaltyError) as exc:
        read_table(data[: len(data) // 2], "cut.xlsx")
    assert "cut.xlsx" in str(exc.value)
