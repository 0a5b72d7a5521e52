"""loyalty.readers.parquet: every column as text, names cleaned, data from row 2."""

import io

import pyarrow as pa
import pyarrow.parquet as pq

from loyalty.readers import read_table


def test_parquet_columns_come_back_as_text_with_clean_names():
    table = pa.table({"会員番号": ["0001", "0002"], " 金額 ": [1200, 99], "金額": [1.5, None]})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    raw = read_table(buf.getvalue(), "orders.parquet")
    assert raw.frame.to_dict("list") == {"会員番号": ["0001", "0002"], "金額": ["1200", "99"],
                                         "金額 (2)": ["1.5", None]}
    assert raw.row_numbers.tolist() == [2, 3]
    assert raw.field_count_ok.tolist() == [True, True]
    assert (raw.header_row, raw.encoding, raw.delimiter, raw.notes) == (1, None, None, [])
