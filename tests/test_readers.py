"""loyalty.readers: the public API and the format -> reader registry."""

import numpy as np
import pandas as pd
import pytest

import loyalty.readers as readers
from loyalty.errors import LoyaltyError
from loyalty.readers import READERS, RawTable, read_path, read_table
from loyalty.readers.parquet import read_parquet
from loyalty.readers.text import read_text
from loyalty.readers.xlsx import read_workbook


def test_every_kind_of_file_has_its_reader():
    assert READERS == {"text": read_text, "excel": read_workbook, "parquet": read_parquet}


def test_a_new_format_is_one_reader_and_one_registry_line(monkeypatch):
    """A reader registered for a kind is what read_table calls for it, and the checks every
    reader shares (no data rows, cell length) still apply to what it returns."""
    seen = []

    def read_fixed(data, name, *, sheet=None, limits):
        seen.append((data, name, sheet))
        cells = data.decode().split()
        frame = pd.DataFrame({"会員番号": pd.Series(cells, dtype="str")})
        return RawTable(name=name, frame=frame, row_numbers=np.arange(2, 2 + len(cells)),
                        field_count_ok=np.ones(len(cells), dtype=bool))

    monkeypatch.setitem(READERS, "text", read_fixed)
    table = read_table(b"0001 0002", "fixed.txt")
    assert seen == [(b"0001 0002", "fixed.txt", None)]
    assert table.frame["会員番号"].tolist() == ["0001", "0002"]
    with pytest.raises(LoyaltyError) as exc:
        read_table(b" ", "blank.txt")
    assert "blank.txt" in str(exc.value) and "データの行がありません" in str(exc.value)


def test_read_path_names_the_file_and_refuses_a_missing_one(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes("会員番号,金額\n0001,100\n".encode("cp932"))
    table = read_path(path)
    assert (table.name, table.encoding) == ("orders.csv", "cp932")
    assert table.frame.to_dict("list") == {"会員番号": ["0001"], "金額": ["100"]}
    with pytest.raises(LoyaltyError) as exc:
        read_path(tmp_path / "none.csv")
    assert "none.csv" in str(exc.value)


def test_the_public_names_callers_use():
    assert {"read_table", "read_path", "list_sheets", "decode_text", "RawTable", "values_text",
            "READERS"} <= set(readers.__all__)
