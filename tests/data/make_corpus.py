"""Make the corpus of awkward and hostile files the reader must survive.

Run ``python tests/data/make_corpus.py`` to (re)write the small files in
``tests/data/corpus/``; they are committed.  The big ones (a zip bomb, a zip bomb
whose directory lies about its sizes, a gzip bomb, 10,000 columns, 2,000,000 rows)
are made at test time by :func:`make_big` into a temporary folder, quickly: the
bombs repeat one compressed block instead of compressing gigabytes.

What each file is, and what the reader must do with it, is listed in
``tests/test_corpus.py`` (the expected outcomes are written there by hand, not
computed by this script).

Two files need packages used only here: ``legacy.xls`` (xlwt) and
``password.xlsx`` (msoffcrypto-tool; its encryption salt is random, so that file
changes on every run).  Everything else is byte-for-byte reproducible.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import random
import struct
import sys
import zipfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
FIXED_TIME = dt.datetime(2024, 7, 1, 9, 0, 0)
ZIP_TIME = (2024, 7, 1, 9, 0, 0)

HEADER = "会員番号,購入日,金額"


# --------------------------------------------------------------------------- helpers


def _csv(lines: list[str], *, encoding: str = "utf-8", newline: str = "\r\n") -> bytes:
    return (newline.join(lines) + newline).encode(encoding)


def _xlsx(sheets: dict[str, list[list]], *, merges: dict[str, list[tuple]] | None = None,
          date_cells: bool = False) -> bytes:
    """A workbook from rows; strings are written as text, numbers as numbers,
    datetimes as date cells (yyyy/mm/dd)."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False,
                                   "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"created": FIXED_TIME})
    day = wb.add_format({"num_format": "yyyy/mm/dd"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for first, last, label in (merges or {}).get(name, []):
            ws.merge_range(first[0], first[1], last[0], last[1], label)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, str):
                    ws.write_string(r, c, v)
                elif isinstance(v, dt.datetime):
                    ws.write_datetime(r, c, v, day)
                else:
                    ws.write_number(r, c, v)
    wb.close()
    return _rezip(buf.getvalue())


def _rezip(data: bytes, replace: dict[str, bytes] | None = None) -> bytes:
    """Rewrite a zip with fixed timestamps (and some entries replaced)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = (replace or {}).get(info.filename, src.read(info))
            zi = zipfile.ZipInfo(info.filename, ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, body)
    return out.getvalue()


def _small_book() -> bytes:
    return _xlsx({"注文": [["会員番号", "購入日", "金額"], ["0001", "2024/05/01", 1000],
                          ["0002", "2024/05/02", 2000]]})


def _with_doctype(book: bytes, entry: str, doctype: str, *, pad: int = 0, body_from: str = "",
                  body_to: str = "") -> bytes:
    src = zipfile.ZipFile(io.BytesIO(book))
    xml = src.read(entry).decode("utf-8")
    decl, rest = xml.split("?>", 1)
    comment = "<!--" + " " * pad + "-->" if pad else ""
    if body_from:
        rest = rest.replace(body_from, body_to, 1)
    return _rezip(book, {entry: (decl + "?>" + comment + doctype + rest).encode("utf-8")})


# --------------------------------------------------------------------------- small files


def small_files() -> dict[str, bytes]:
    """Every committed corpus file, name -> bytes."""
    files: dict[str, bytes] = {}
    rnd = random.Random(20240701)

    # --- empty and nearly empty
    files["empty.csv"] = b""
    files["blank_lines_only.csv"] = b"\r\n  \r\n\t\r\n"
    files["bom_only.csv"] = b"\xef\xbb\xbf"
    files["header_only.csv"] = _csv([HEADER])
    files["header_only.xlsx"] = _xlsx({"注文": [["会員番号", "購入日", "金額"]]})

    # --- not a table at all
    files["binary_junk.csv"] = bytes(rnd.randrange(256) for _ in range(4096))
    files["photo.xlsx"] = b"\x89PNG\r\n\x1a\n" + bytes(rnd.randrange(256) for _ in range(2048))
    files["html_table.xls"] = (
        "<html><head><meta charset='utf-8'></head><body><table>"
        "<tr><td>会員番号</td><td>購入日</td><td>金額</td></tr>"
        "<tr><td>0001</td><td>2024/05/01</td><td>1000</td></tr></table></body></html>"
    ).encode("utf-8")
    files["xml_spreadsheet_2003.xls"] = (
        '<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="注文"><Table>'
        '<Row><Cell><Data ss:Type="String">会員番号</Data></Cell></Row></Table></Worksheet></Workbook>\n'
    ).encode("utf-8")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("orders.csv", ZIP_TIME), _csv([HEADER, "0001,2024/05/01,1000"]))
    files["orders_in_a.zip"] = archive.getvalue()

    # --- damaged and protected workbooks
    book = _small_book()
    files["truncated.xlsx"] = book[: len(book) // 2]
    damaged = bytearray(book)
    info = zipfile.ZipFile(io.BytesIO(book)).getinfo("xl/worksheets/sheet1.xml")
    n_len, x_len = struct.unpack_from("<HH", damaged, info.header_offset + 26)
    start = info.header_offset + 30 + n_len + x_len
    for k in range(start + 20, start + min(info.compress_size, 120)):
        damaged[k] ^= 0x5A
    files["corrupt_entry.xlsx"] = bytes(damaged)
    files["password.xlsx"] = _encrypted(book)
    files["billion_laughs.xlsx"] = _with_doctype(
        book, "xl/worksheets/sheet1.xml", _laughs(), body_from="<v>1000</v>", body_to="<v>&lol9;</v>")
    files["laughs_after_padding.xlsx"] = _with_doctype(
        book, "xl/worksheets/sheet1.xml", _laughs(), pad=70_000, body_from="<v>1000</v>",
        body_to="<v>&lol9;</v>")
    files["xxe_shared_strings.xlsx"] = _with_doctype(
        book, "xl/sharedStrings.xml", '<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        body_from="<t>0001</t>", body_to="<t>&xxe;</t>")

    # --- other workbook formats
    files["legacy.xls"] = _xls([["会員番号", "購入日", "金額"],
                                ["000123", dt.datetime(2024, 1, 5), 1200],
                                [17850, "2024/02/01", 99.5],
                                ["000123", "令和6年3月1日", "¥3,000"]])
    files["calc.ods"] = _ods("注文", [["会員番号", "購入日", "金額"],
                                       ["000123", "2024-01-05", 1200],
                                       ["000124", "2024-02-01", 99.5],
                                       ["000124", "2024-03-01", -20]])
    files["second_sheet_has_data.xlsx"] = _xlsx({
        "説明": [["このブックの2枚目に注文があります"]],
        "注文": [["会員番号", "購入日", "金額"], ["0001", "2024/05/01", 1000], ["0002", "2024/05/03", 500]],
    })

    # --- header layouts
    files["two_header_rows_merged.xlsx"] = _xlsx(
        {"注文": [[None, None, None, None],
                  ["会員番号", "氏名", "購入日", "金額"],
                  ["0001", "山田", "2024/05/01", 1000],
                  ["0002", "佐藤", "2024/05/02", 2000],
                  ["0001", "山田", "2024/05/20", 3000]]},
        merges={"注文": [((0, 0), (0, 1), "顧客情報"), ((0, 2), (0, 3), "購入情報")]})
    files["two_header_rows_repeated.csv"] = _csv([
        ",,今回,今回,前回,前回",
        "会員番号,氏名,購入日,金額,購入日,金額",
        "0001,山田,2024/05/01,1000,2024/04/01,800",
        "0002,佐藤,2024/05/02,2000,,",
    ])
    files["title_lines.csv"] = _csv([
        "注文明細一覧", "出力日: 2024/07/01", "", HEADER,
        "0001,2024/05/01,1000", "0002,2024/05/02,2000",
    ])
    files["no_header.csv"] = _csv(["0001,2024/05/01,1000", "0002,2024/05/02,2000"])

    # --- dates
    files["mixed_date_formats.csv"] = _csv([
        HEADER,
        "0001,2024/01/05,100",
        "0001,2024-01-06,100",
        "0001,2024年1月7日,100",
        "0001,20240108,100",
        "0001,45300,100",            # Excel serial: 2024-01-09
        "0001,R6.1.10,100",
        "0001,令和6年1月11日,100",
        "0001,2024/1/12 13:45,100",
        "0001,2024/01/13(土),100",
        "0001,２０２４／０１／１４,100",
        "0001,2024/02/30,100",       # impossible: excluded
    ])
    files["ambiguous_dates.csv"] = _csv([HEADER, "0001,01/02/2024,100", "0002,03/04/2024,200",
                                         "0003,05/05/2024,300"])
    files["day_first_dates.csv"] = _csv([HEADER, "0001,01/02/2024,100", "0002,13/04/2024,200",
                                         "0003,25/12/2023,300"])
    files["future_dates.csv"] = _csv([HEADER, "0001,2024/05/01,100", "0001,2099/01/01,100",
                                      "0002,2099/12/31,300", "0003,2024/06/30,400"])
    files["era_dates.csv"] = _csv([
        HEADER,
        "0001,平成31年4月30日,100",
        "0001,令和元年5月1日,100",
        "0002,H30.12.31,100",
        "0002,R2/3/4,100",
        "0003,昭和64年1月7日,100",
        "0003,平成元年1月7日,100",   # before 平成 began (1989-01-08): excluded
        "0003,㍻2年2月2日,100",
    ])
    files["excel_serial_dates.xlsx"] = _xlsx({"注文": [
        ["会員番号", "購入日", "金額"],
        ["0001", 45292, 1000],                     # serial number: 2024-01-01
        ["0001", dt.datetime(2024, 2, 29), 2000],  # a real date cell
        ["0002", 45292.75, 500],                    # serial with a time of day
        ["0002", "2024/03/01", 700],               # a date typed as text
    ]})

    # --- amounts
    files["amounts_japanese.csv"] = _csv([
        HEADER,
        '0001,2024/05/01,"¥1,234"',
        "0001,2024/05/02,1234円",
        "0001,2024/05/03,１，２３４",
        "0001,2024/05/04,▲500",
        "0001,2024/05/05,△300",
        "0001,2024/05/06,(1000)",
        '0001,2024/05/07,"(1,000)"',
        "0001,2024/05/08,−200",
        '0001,2024/05/09,"￥12,000"',
        "0001,2024/05/10,1000-",
        '0001,2024/05/11,"1,23,4"',  # bad: commas not in groups of three
        "0001,2024/05/12,ー100",     # bad: katakana long vowel is not a minus
        "0001,2024/05/13,-",         # empty placeholder: excluded as no amount
    ])
    files["negative_totals.csv"] = _csv([
        "注文番号,会員番号,購入日,金額",
        "A1,0001,2024/05/01,5000",
        "R1,0001,2024/05/10,-5000",
        "R2,0001,2024/05/11,-3000",
        "B1,0002,2024/05/01,2000",
    ])
    files["quantity_unit_price.csv"] = _csv([
        "注文番号,顧客ID,購入日,商品名,数量,単価,取引区分",
        "A1,0001,2024/05/01,美容液,2,3000,通常",
        "A1,0001,2024/05/01,化粧水,1,1500,通常",
        "A2,0001,2024/05/20,美容液,1,3000,返品",
        "A3,0002,2024/05/21,乳液,3,1200,通常",
    ])

    # --- duplicates, ids
    files["exact_duplicates.csv"] = _csv([
        HEADER, "0001,2024/05/01,1000", "0001,2024/05/01,1000", "0001,2024/05/01,1000",
        "0002,2024/05/02,500", "0002,2024/05/03,500",
    ])
    files["leading_zero_ids.csv"] = _csv([HEADER, "000123,2024/05/01,100", "00123,2024/05/02,200",
                                          "123,2024/05/03,300", "０００１２３,2024/05/04,400"])
    files["ids_text.csv"] = _csv([HEADER, "17850,2024/05/01,1000", "13047,2024/05/02,2000",
                                  "12583,2024/05/03,3000"])
    files["ids_numeric_customers.xlsx"] = _xlsx({"顧客": [
        ["顧客ID", "年代", "地域"], [17850, "30代", "東京都"], [13047, "40代", "大阪府"]]})
    files["ids_float_customers.csv"] = _csv(["顧客ID,性別", "17850.0,女性", "12583.0,男性", "99999.0,女性"])
    files["no_customer_id.csv"] = _csv([HEADER, "0001,2024/05/01,100", ",2024/05/02,200",
                                        "  ,2024/05/03,300", "不明,2024/05/04,400", "0002,2024/05/05,500"])

    # --- encodings and separators
    kanji = ["会員番号,購入日,金額,会社名", "0001,2024/05/01,1000,①㈱髙﨑商店", "0002,2024/05/02,2000,ﾊﾝｶｸｶﾅ商事"]
    files["cp932_kanji.csv"] = _csv(kanji, encoding="cp932")
    files["euc_jp.csv"] = _csv(["会員番号,購入日,金額,会社名", "0001,2024/05/01,1000,高崎商店",
                                "0002,2024/05/02,2000,日本橋"], encoding="euc_jp")
    files["utf16_unicode_text.txt"] = ("\ufeff" + "\r\n".join(
        ["会員番号\t購入日\t金額\t会社名", "0001\t2024/05/01\t1000\t①㈱髙﨑商店", "0002\t2024/05/02\t2000\t渋谷"])
        + "\r\n").encode("utf-16-le")
    files["utf8_bom.csv"] = b"\xef\xbb\xbf" + _csv([HEADER, "0001,2024/05/01,1000", "0002,2024/05/02,2000"])
    files["crlf_quoted.csv"] = _csv([
        '"会員番号","購入日","金額","メモ"',
        '"0001","2024/05/01","1,000","改行\r\nあり"',
        '"0002","2024/05/02","2,000","カンマ,あり"',
        '"0003","2024/05/03","3,000","""引用""あり"',
    ])
    files["cdnow_style.txt"] = (
        b" customer_id  date number_of_cds  dollar_value\r\n"
        b" 00001 19970101  1   11.77\r\n"
        b" 00002 19970112  1   12.00\r\n"
        b" 00002 19970112  5   77.00\r\n"
        b" 00003 19970102  2   20.76\r\n"
        b"\r\n"
    )
    files["tab_separated.tsv"] = _csv(["会員番号\t購入日\t金額", "0001\t2024/05/01\t1000", "0002\t2024/05/02\t"])

    # --- broken text
    files["field_count_mismatch.csv"] = _csv([
        HEADER, "0001,2024/05/01,1000", "0002,2024/05/02,2000,余分", "0003,2024/05/03",
        "0004,2024/05/04,4000",
    ])
    files["unclosed_quote.csv"] = _csv([
        HEADER + ",メモ", "0001,2024/05/01,1000,ok", '0002,2024/05/02,2000,"閉じ忘れ',
        "0003,2024/05/03,3000,ok", "0004,2024/05/04,4000,ok",
    ])
    files["nul_bytes.csv"] = _csv([HEADER, "0001,2024/05/01,1000", "0002,2024/05/02,2000"]).replace(
        b"0002", b"00\x0002")
    files["long_cell.csv"] = _csv([HEADER + ",メモ", "0001,2024/05/01,1000," + "あ" * 40_000])
    files["formula_injection.csv"] = _csv([
        "会員番号,購入日,金額,メモ",
        '0001,2024/05/01,1000,"=HYPERLINK(""http://example.invalid"",""click"")"',
        "0002,2024/05/02,2000,+81-90-1234-5678",
        "0003,2024/05/03,3000,@SUM(A1:A9)",
        "0004,2024/05/04,'-500,'=1+1",
        "0005,2024/05/05,500,'ordinary apostrophe",
    ])
    return files


def _laughs() -> str:
    ents = "".join(f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">' for i in range(1, 10))
    return '<!DOCTYPE lolz [<!ENTITY lol0 "lol">' + ents + "]>"


def _encrypted(book: bytes) -> bytes:
    """The workbook encrypted with the password "secret" (as Excel's "Encrypt with Password")."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(book)).encrypt("secret", out)
    return out.getvalue()


def _xls(rows: list[list]) -> bytes:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("注文")
    day = xlwt.easyxf(num_format_str="yyyy/mm/dd")
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if isinstance(v, dt.datetime):
                ws.write(r, c, v, day)
            else:
                ws.write(r, c, v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _ods(sheet: str, rows: list[list]) -> bytes:
    from xml.sax.saxutils import escape

    def cell(v) -> str:
        if isinstance(v, (int, float)):
            return (f'<table:table-cell office:value-type="float" office:value="{v}">'
                    f"<text:p>{v}</text:p></table:table-cell>")
        return f'<table:table-cell office:value-type="string"><text:p>{escape(v)}</text:p></table:table-cell>'

    body = "".join("<table:table-row>" + "".join(cell(v) for v in r) + "</table:table-row>" for r in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{escape(sheet)}">{body}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype", ZIP_TIME), "application/vnd.oasis.opendocument.spreadsheet",
                   compress_type=zipfile.ZIP_STORED)
        z.writestr(zipfile.ZipInfo("META-INF/manifest.xml", ZIP_TIME), manifest, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr(zipfile.ZipInfo("content.xml", ZIP_TIME), content, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


# --------------------------------------------------------------------------- big files (test time)


_SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_SHEET_ROW = b'<row><c t="inlineStr"><is><t>0001</t></is></c><c><v>45292</v></c><c><v>1000</v></c></row>'
_SHEET_TAIL = b"</sheetData></worksheet>"


def _repeated_deflate(unit: bytes, times: int) -> tuple[bytes, int, int]:
    """A raw deflate stream of ``unit`` repeated ``times`` times, made by compressing
    one block and repeating it (a full flush resets the compressor, so every
    repetition compresses to the same bytes).

    Returns:
        ``(stream, crc32, size)`` of the decompressed data.
    """
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(unit) + c.flush(zlib.Z_FULL_FLUSH)
    c2 = zlib.compressobj(9, zlib.DEFLATED, -15)
    assert c2.compress(unit) + c2.flush(zlib.Z_FULL_FLUSH) == block
    stream = block * times + zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(times):
        crc = zlib.crc32(unit, crc)
    return stream, crc, len(unit) * times


def _zip_entry_raw(name: str, stream: bytes, crc: int, size: int, declared: int | None = None,
                   declared_crc: int | None = None) -> tuple[bytes, bytes]:
    """Local header + data, and the central directory record, for a deflated entry."""
    fname = name.encode()
    dsize = size if declared is None else declared
    dcrc = crc if declared_crc is None else declared_crc
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0x21, dcrc, len(stream), dsize,
                        len(fname), 0) + fname + stream
    central = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, dcrc, len(stream),
                          dsize, len(fname), 0, 0, 0, 0, 0, 0) + fname
    return local, central


def _bomb_book(sheet_stream: bytes, crc: int, size: int, declared: int | None = None,
               declared_crc: int | None = None) -> bytes:
    """A small workbook whose sheet1.xml is the given deflate stream."""
    base = zipfile.ZipFile(io.BytesIO(_small_book()))
    locals_, centrals = b"", b""
    for info in base.infolist():
        if info.filename == "xl/worksheets/sheet1.xml":
            local, central = _zip_entry_raw(info.filename, sheet_stream, crc, size, declared, declared_crc)
        else:
            body = base.read(info)
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            local, central = _zip_entry_raw(info.filename, c.compress(body) + c.flush(), zlib.crc32(body),
                                            len(body))
        offset = len(locals_)
        central = central[:42] + struct.pack("<I", offset) + central[46:]
        locals_ += local
        centrals += central
    n = len(base.infolist())
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, n, n, len(centrals), len(locals_), 0)
    return locals_ + centrals + end


def make_big(kind: str, folder: Path) -> Path:
    """Write one big corpus file into ``folder`` and return its path.

    Args:
        kind: "zip_bomb" (sheet1.xml inflates to ~1.1 GB, honest sizes),
            "forged_zip_bomb" (~240 MB behind a directory that says 100 kB, with a
            CRC that matches those 100 kB), "gzip_bomb" (a CSV that inflates to
            1.26 GB), "forged_gzip_bomb" (the same, its trailer claiming 1 kB),
            "columns_csv" / "columns_xlsx" (10,000 columns), "rows_csv"
            (2,000,000 order lines, 3 columns).
        folder: where to write.

    Returns:
        The file's path.
    """
    if kind == "zip_bomb":
        unit = _SHEET_ROW * 10_000
        stream, crc, size = _repeated_deflate(unit, 1_300)
        data = _bomb_book(stream, crc, size)
        path = folder / "zip_bomb.xlsx"
    elif kind == "forged_zip_bomb":
        unit = _SHEET_ROW * 10_000
        stream, crc, size = _repeated_deflate(unit, 300)
        declared = 100_000
        prefix_crc = zlib.crc32(unit[:declared])
        data = _bomb_book(stream, crc, size, declared=declared, declared_crc=prefix_crc)
        path = folder / "forged_zip_bomb.xlsx"
    elif kind in ("gzip_bomb", "forged_gzip_bomb"):
        unit = ("0001,2024/01/01,1000\n" * 50_000).encode()
        stream, crc, size = _repeated_deflate(unit, 1_200)
        header = b"\x1f\x8b\x08\x00" + struct.pack("<I", 0) + b"\x00\xff"
        # two gzip members: the header line, then the bomb (gzip readers join members);
        # the forged one's trailer claims 1,000 bytes instead of 1.26 GB
        first = gzip.compress((HEADER + "\n").encode("utf-8"), mtime=0)
        claimed = 1_000 if kind == "forged_gzip_bomb" else size & 0xFFFFFFFF
        data = first + header + stream + struct.pack("<II", crc, claimed)
        path = folder / f"orders_{'forged_' if kind.startswith('forged') else ''}bomb.csv.gz"
    elif kind == "columns_csv":
        names = ["会員番号", "購入日", "金額"] + [f"属性{i}" for i in range(9_997)]
        row = ["0001", "2024/05/01", "1000"] + ["x"] * 9_997
        data = _csv([",".join(names), ",".join(row), ",".join(row)])
        path = folder / "ten_thousand_columns.csv"
    elif kind == "columns_xlsx":
        names = ["会員番号", "購入日", "金額"] + [f"属性{i}" for i in range(9_997)]
        row = ["0001", "2024/05/01", 1000] + [1] * 9_997
        data = _xlsx({"注文": [names, row, row]})
        path = folder / "ten_thousand_columns.xlsx"
    elif kind == "rows_csv":
        path = folder / "two_million_rows.csv"
        write_rows_csv(path, 2_000_000)
        return path
    else:
        raise ValueError(kind)
    path.write_bytes(data)
    return path


ROWS_BLOCK = 50_000


def write_rows_csv(path: Path, n: int) -> None:
    """An order file of ``n`` lines (header + CRLF lines), written block by block.

    Line i (0-based) is customer ``i % 50,000`` (six digits, leading zeros),
    dated 2023-01-01 + ``i % 500`` days, amount ``100 + i // 50,000`` yen.  So
    every customer has one line per block of 50,000, always on the same day,
    and no two lines are equal.
    """
    day0 = dt.date(2023, 1, 1)
    prefixes = [f"{c:06d},{(day0 + dt.timedelta(days=c % 500)).strftime('%Y/%m/%d')}".encode()
                for c in range(ROWS_BLOCK)]
    with path.open("wb") as fh:
        fh.write((HEADER + "\r\n").encode("utf-8"))
        for k in range(0, -(-n // ROWS_BLOCK)):
            sep = f",{100 + k}\r\n".encode()
            count = min(ROWS_BLOCK, n - k * ROWS_BLOCK)
            fh.write(sep.join(prefixes[:count]) + sep)


def main() -> None:
    """Write the small corpus files (and remove stale ones)."""
    CORPUS.mkdir(exist_ok=True)
    files = small_files()
    for old in CORPUS.iterdir():
        if old.name not in files and old.name != "README.md":
            old.unlink()
    for name, data in files.items():
        (CORPUS / name).write_bytes(data)
    print(f"{len(files)} files in {CORPUS}", file=sys.stderr)


if __name__ == "__main__":
    main()
