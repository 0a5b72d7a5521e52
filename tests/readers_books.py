"""Small files for the reader tests, built in memory: a workbook and a CSV from rows of cells."""

from __future__ import annotations

import io

import xlsxwriter


def xlsx_book(sheets: dict[str, list[list]]) -> bytes:
    """An .xlsx whose sheets hold the given rows (strings as text cells, numbers as numbers;
    None and "" leave a cell empty)."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is None or v == "":
                    continue
                ws.write_string(r, c, v) if isinstance(v, str) else ws.write(r, c, v)
    wb.close()
    return buf.getvalue()


def csv_lines(lines: list[str]) -> bytes:
    """A UTF-8 CSV of the given lines (LF line ends, a final line break)."""
    return ("\n".join(lines) + "\n").encode("utf-8")
