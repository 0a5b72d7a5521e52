"""The segments page in a real browser: the customer list downloads as an Excel
workbook that reads back with Japanese headers and customer ids kept as text."""

import openpyxl
import pytest

from loyalty.columns import header

from .figures import sample_features

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_customer_list_downloads_as_excel_with_ids_as_text(app, tmp_path):
    ids = set(sample_features().frame.index)
    app.open("segments")
    app.tab(app.t("segments.tab.list"))
    path = app.download(app.t("segments.download_xlsx"), tmp_path)
    assert path.suffix == ".xlsx"

    ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    id_header = header("customer_id", "ja")
    head = next(i for i, row in enumerate(rows) if id_header in row)
    headers = list(rows[head])
    for key in ("customer_id", "recency_days", "frequency", "monetary", "loyalty_score", "tier_label"):
        assert header(key, "ja") in headers, key
    body = [row for row in rows[head + 1:] if any(v is not None for v in row)]
    shown = [row[headers.index(id_header)] for row in body]
    assert len(shown) == len(ids)
    assert all(isinstance(v, str) for v in shown), "customer ids must stay text (leading zeros)"
    assert set(shown) == ids
    assert any(v.startswith("0") for v in shown)
