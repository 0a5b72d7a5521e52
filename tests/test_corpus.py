"""The corpus of awkward and hostile files (tests/data/corpus, made by
tests/data/make_corpus.py): every file gets either a correct read, with a quality
report that accounts for every row, or a clear message naming the file (and the
row/column where there is one) and saying what to do — never a traceback.  The
big files (bombs, 10,000 columns, 2,000,000 rows) are made at test time and read
in a child process whose peak memory is measured.

Expected outcomes are written here by hand from the files' contents."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loyalty import cli
from loyalty.errors import LoyaltyError
from loyalty.pipeline import InputFile, build_features, load_dataset
from loyalty.readers import read_table
from tests.helpers import ROOT, app_test

CORPUS = ROOT / "tests" / "data" / "corpus"
TODAY = dt.date(2024, 12, 31)

_spec = importlib.util.spec_from_file_location("make_corpus", ROOT / "tests" / "data" / "make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_corpus)


@dataclass
class Read:
    """A file that must be read: rows read/used, exclusions by reason (the
    others are zero), the excluded rows' line numbers, and any extra checks."""

    read: int
    used: int
    excluded: dict[str, int] = field(default_factory=dict)
    excluded_rows: list[int] = field(default_factory=list)


@dataclass
class Refused:
    """A file that must be refused with a message that names it."""

    ja: str
    en: str
    row: int | None = None
    column: str | None = None


EXPECTED: dict[str, Read | Refused] = {
    # empty and nearly empty
    "empty.csv": Refused("ファイルが空です", "The file is empty"),
    "blank_lines_only.csv": Refused("ファイルが空です", "The file is empty"),
    "bom_only.csv": Refused("ファイルが空です", "The file is empty"),
    "header_only.csv": Refused("データの行がありません", "no data rows"),
    "header_only.xlsx": Refused("データの行がありません", "no data rows"),
    # not a table
    "binary_junk.csv": Refused("バイナリ", "binary"),
    "photo.xlsx": Refused("Excel ファイルとして読めません", "cannot be read as an Excel file"),
    "html_table.xls": Refused("Web ページ（HTML）", "web page (HTML)"),
    "xml_spreadsheet_2003.xls": Refused("XML スプレッドシート 2003", "XML Spreadsheet 2003"),
    "orders_in_a.zip": Refused("ZIP を展開", "Unzip it"),
    # damaged, protected, hostile workbooks
    "truncated.xlsx": Refused("Excel ファイルとして読めません", "cannot be read as an Excel file"),
    "corrupt_entry.xlsx": Refused("Excel ファイルとして読めません", "cannot be read as an Excel file"),
    "password.xlsx": Refused("パスワードで保護", "password-protected"),
    "billion_laughs.xlsx": Refused("不正な XML 定義（xl/worksheets/sheet1.xml）", "forbidden XML"),
    "laughs_after_padding.xlsx": Refused("不正な XML 定義（xl/worksheets/sheet1.xml）", "forbidden XML"),
    "xxe_shared_strings.xlsx": Refused("不正な XML 定義（xl/sharedStrings.xml）", "forbidden XML"),
    # other workbook formats and layouts
    "legacy.xls": Read(3, 3),
    "calc.ods": Read(3, 3),
    "second_sheet_has_data.xlsx": Read(2, 2),
    "two_header_rows_merged.xlsx": Read(3, 3),
    "two_header_rows_repeated.csv": Read(2, 2),
    "title_lines.csv": Read(2, 2),
    # dates
    "mixed_date_formats.csv": Read(11, 10, {"bad_date": 1}, [12]),
    "ambiguous_dates.csv": Read(3, 3),
    "day_first_dates.csv": Read(3, 3),
    "future_dates.csv": Read(4, 2, {"future_date": 2}, [3, 4]),
    "era_dates.csv": Read(7, 6, {"bad_date": 1}, [7]),
    "excel_serial_dates.xlsx": Read(4, 4),
    # amounts
    "amounts_japanese.csv": Read(13, 10, {"bad_amount": 3}, [12, 13, 14]),
    "negative_totals.csv": Read(4, 4),
    "quantity_unit_price.csv": Read(4, 4),
    # duplicates and ids
    "exact_duplicates.csv": Read(5, 5),
    "leading_zero_ids.csv": Read(4, 4),
    "ids_text.csv": Read(3, 3),
    "ids_numeric_customers.xlsx": Read(2, 2),
    "ids_float_customers.csv": Read(3, 3),
    "no_customer_id.csv": Read(5, 2, {"missing_customer_id": 3}, [3, 4, 5]),
    # encodings and separators
    "cp932_kanji.csv": Read(2, 2),
    "euc_jp.csv": Read(2, 2),
    "utf16_unicode_text.txt": Read(2, 2),
    "utf8_bom.csv": Read(2, 2),
    "crlf_quoted.csv": Read(3, 3),
    "cdnow_style.txt": Read(4, 4),
    "tab_separated.tsv": Read(2, 1, {"bad_amount": 1}, [3]),
    # broken text
    "field_count_mismatch.csv": Read(4, 2, {"field_count": 1, "bad_amount": 1}, [3, 4]),
    "unclosed_quote.csv": Refused("引用符（\"）が最後まで閉じられていない", "never closed", row=3),
    "nul_bytes.csv": Read(2, 2),
    "long_cell.csv": Refused("セルの文字数が多すぎます（40,000文字", "too long (40,000", row=2, column="メモ"),
    "formula_injection.csv": Read(5, 5),
    "no_header.csv": Refused("顧客IDの列が見つかりません", "--map customer_id"),
}

READ = sorted(k for k, v in EXPECTED.items() if isinstance(v, Read))
REFUSED = sorted(k for k, v in EXPECTED.items() if isinstance(v, Refused))


def _bytes(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def _load(*names: str, **kw):
    return load_dataset([InputFile(n, _bytes(n)) for n in names], today=TODAY, **kw)


# ----------------------------------------------------------------------------- the corpus itself


@pytest.mark.slow
def test_the_corpus_is_complete_and_matches_its_generator():
    on_disk = {p.name for p in CORPUS.iterdir()}
    assert on_disk == set(EXPECTED), "run: python tests/data/make_corpus.py"
    assert len(EXPECTED) >= 30
    made = make_corpus.small_files()
    for name, data in made.items():
        if name != "password.xlsx":  # the encryption salt is random
            assert _bytes(name) == data, f"{name} differs from make_corpus.py's output"


# ----------------------------------------------------------------------------- reads


@pytest.mark.parametrize("name", READ)
def test_readable_files_account_for_every_row(name):
    exp = EXPECTED[name]
    ds = _load(name)
    if ds.transactions is not None:
        r = ds.transactions.report
        assert (r.rows_read, r.rows_used, r.rows_excluded) == (exp.read, exp.used, exp.read - exp.used)
        assert r.balanced()
        assert {k: v for k, v in r.excluded_by_reason.items() if v} == exp.excluded
        assert sorted(r.excluded["row"].tolist()) == exp.excluded_rows
        assert (r.excluded["file"] == name).all()
    else:
        c = ds.customers
        assert (c.rows_read, c.rows_used) == (exp.read, exp.used)


@pytest.mark.parametrize("name", REFUSED)
def test_refused_files_get_a_clear_message_naming_the_file(name):
    exp = EXPECTED[name]
    with pytest.raises(LoyaltyError) as info:
        _load(name)
    err = info.value
    assert err.file == name
    ja, en = err.message("ja"), err.message("en")
    assert f"ファイル「{name}」" in ja and exp.ja in ja
    assert f"file '{name}'" in en and exp.en in en
    assert err.row == exp.row
    if exp.column:
        assert err.column == exp.column and f"列「{exp.column}」" in ja
    assert "Traceback" not in ja and "Error" not in ja


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_command_line_reports_or_refuses_every_file(name, capsys):
    status = cli.main(["quality", "--json", str(CORPUS / name)])
    out, err = capsys.readouterr()
    if isinstance(EXPECTED[name], Refused):
        assert status == 2
        assert name in err and EXPECTED[name].ja in err and "Traceback" not in err
        assert out == ""
    else:
        assert status == 0, err
        report = json.loads(out)
        part = report.get("transactions") or report["customers"]
        assert part["rows_read"] == part["rows_used"] + part["rows_excluded"] == EXPECTED[name].read


# ----------------------------------------------------------------------------- what was read


def _tx(name: str, **kw) -> pd.DataFrame:
    return _load(name, **kw).transactions.frame


def _days(frame: pd.DataFrame) -> list[str]:
    return frame["order_date"].dt.strftime("%Y-%m-%d").tolist()


def test_xls_and_ods_are_read_with_text_ids_dates_and_amounts():
    f = _tx("legacy.xls")
    assert f["customer_id"].tolist() == ["000123", "17850", "000123"]
    assert _days(f) == ["2024-01-05", "2024-02-01", "2024-03-01"]  # date cell, text date, 令和
    assert f["amount"].tolist() == [1200, 99.5, 3000]
    g = _tx("calc.ods")
    assert g["customer_id"].tolist() == ["000123", "000124", "000124"]
    assert g["amount"].tolist() == [1200, 99.5, -20] and g["is_return"].tolist() == [False, False, True]


def test_merged_group_header_above_the_real_header_takes_the_lower_row():
    raw = read_table(_bytes("two_header_rows_merged.xlsx"), "two_header_rows_merged.xlsx")
    assert list(raw.frame.columns) == ["会員番号", "氏名", "購入日", "金額"]
    assert raw.header_row == 2 and raw.row_numbers.tolist() == [3, 4, 5]
    assert ("note.rel_two_header_rows", {"upper": 1, "lower": 2}) in raw.notes
    assert _tx("two_header_rows_merged.xlsx")["amount"].tolist() == [1000, 2000, 3000]


def test_repeated_lower_names_get_the_group_label_in_front():
    raw = read_table(_bytes("two_header_rows_repeated.csv"), "two_header_rows_repeated.csv")
    assert list(raw.frame.columns) == ["会員番号", "氏名", "今回 購入日", "今回 金額", "前回 購入日", "前回 金額"]
    assert raw.row_numbers.tolist() == [3, 4]
    f = _tx("two_header_rows_repeated.csv")
    assert _days(f) == ["2024-05-01", "2024-05-02"] and f["amount"].tolist() == [1000, 2000]


def test_title_lines_are_skipped_and_counted():
    raw = read_table(_bytes("title_lines.csv"), "title_lines.csv")
    assert raw.header_row == 4 and raw.row_numbers.tolist() == [5, 6]
    assert ("note.skipped_title_lines", {"lines": 3}) in raw.notes


def test_second_sheet_is_read_when_the_first_has_no_table():
    raw = read_table(_bytes("second_sheet_has_data.xlsx"), "second_sheet_has_data.xlsx")
    assert (raw.sheet, raw.sheets) == ("注文", ["説明", "注文"])


def test_one_column_with_mixed_date_formats():
    f = _tx("mixed_date_formats.csv")
    assert _days(f) == [f"2024-01-{d:02d}" for d in range(5, 15)]
    note = _load("mixed_date_formats.csv").transactions.report.files[0]["date_format"]
    assert note.startswith("YYYY/MM/DD") and "more forms" in note


def test_day_month_order_is_decided_per_column_or_flagged():
    amb = _load("ambiguous_dates.csv").transactions
    assert _days(amb.frame) == ["2024-01-02", "2024-03-04", "2024-05-05"]  # month first
    assert amb.report.files[0]["dates_ambiguous"] is True
    assert ("note.dates_ambiguous", {"file": "ambiguous_dates.csv", "column": "購入日"}) in amb.report.notes
    first = _load("day_first_dates.csv").transactions
    assert _days(first.frame) == ["2024-02-01", "2024-04-13", "2023-12-25"]  # 13/04 decides day first
    assert first.report.files[0]["dates_ambiguous"] is False


def test_future_dates_are_excluded_not_used_as_the_as_of_date():
    ds = _load("future_dates.csv")
    assert _days(ds.transactions.frame) == ["2024-05-01", "2024-06-30"]
    assert build_features(ds).as_of == dt.date(2024, 6, 30)


def test_japanese_era_dates():
    assert _days(_tx("era_dates.csv")) == ["2019-04-30", "2019-05-01", "2018-12-31", "2020-03-04",
                                           "1989-01-07", "1990-02-02"]


def test_excel_serial_numbers_date_cells_and_text_dates():
    assert _days(_tx("excel_serial_dates.xlsx")) == ["2024-01-01", "2024-02-29", "2024-01-01", "2024-03-01"]


def test_japanese_amount_notations():
    f = _tx("amounts_japanese.csv")
    assert f["amount"].tolist() == [1234, 1234, 1234, -500, -300, -1000, -1000, -200, 12000, -1000]
    r = _load("amounts_japanese.csv").transactions.report
    assert r.returns == 6 and r.returns_amount == -4000
    bad = r.excluded.set_index("row")["金額"].to_dict()
    assert bad == {12: "1,23,4", 13: "ー100", 14: "-"}


def test_negative_totals_score_the_lowest_m_without_failing():
    from loyalty import definition as defn
    from loyalty.scoring import score

    f = build_features(_load("negative_totals.csv"))
    assert f.frame.loc["0001", ["frequency", "monetary"]].tolist() == [1, -3000]
    assert f.frame.loc["0002", "monetary"] == 2000
    res = score(f.frame, defn.preset("b2c")).frame
    assert res.loc["0001", "m_score"] == 1 and res.loc["0002", "m_score"] == 1


def test_quantity_times_unit_price_and_returns_marked_by_type():
    ds = _load("quantity_unit_price.csv")
    assert ds.transactions.frame["amount"].tolist() == [6000, 1500, -3000, 3600]
    assert ds.transactions.report.sign_flipped == 1
    f = build_features(ds).frame
    assert f.loc["0001", ["frequency", "monetary"]].tolist() == [1, 4500]


def test_exact_duplicates_are_counted_and_kept_or_dropped_on_request():
    kept = _load("exact_duplicates.csv").transactions.report
    assert (kept.duplicates, kept.rows_used, kept.duplicates_dropped) == (2, 5, False)
    dropped = _load("exact_duplicates.csv", drop_duplicates=True).transactions.report
    assert (dropped.rows_used, dropped.excluded_by_reason["duplicate"]) == (3, 2)
    assert sorted(dropped.excluded["row"].tolist()) == [3, 4]


def test_leading_zeros_make_different_customers_and_full_width_digits_do_not():
    f = build_features(_load("leading_zero_ids.csv")).frame
    assert f.index.tolist() == ["000123", "00123", "123"]
    assert f.loc["000123", "frequency"] == 2  # ０００１２３ is 000123


def test_ids_that_are_numbers_in_one_file_and_text_in_another_still_join():
    ds = _load("ids_text.csv", "ids_numeric_customers.xlsx", "ids_float_customers.csv")
    assert ds.customers.frame.index.tolist() == ["12583", "13047", "17850", "99999"]
    f = build_features(ds).frame
    assert f.loc["17850", ["age_band", "gender"]].tolist() == ["30代", "女性"]
    assert f.loc["13047", "age_band"] == "40代" and pd.isna(f.loc["13047", "gender"])
    assert f.loc["12583", "gender"] == "男性"


def test_rows_without_a_customer_id_are_listed_with_their_row_numbers():
    r = _load("no_customer_id.csv").transactions.report
    assert r.excluded[["row", "reason"]].values.tolist() == [[3, "missing_customer_id"],
                                                             [4, "missing_customer_id"],
                                                             [5, "missing_customer_id"]]


@pytest.mark.parametrize("name, encoding, delimiter, text", [
    ("cp932_kanji.csv", "cp932", ",", ["①㈱髙﨑商店", "ﾊﾝｶｸｶﾅ商事"]),
    ("euc_jp.csv", "euc_jp", ",", ["高崎商店", "日本橋"]),
    ("utf16_unicode_text.txt", "utf-16", "\t", ["①㈱髙﨑商店", "渋谷"]),
])
def test_japanese_encodings_keep_the_text(name, encoding, delimiter, text):
    raw = read_table(_bytes(name), name)
    assert (raw.encoding, raw.delimiter) == (encoding, delimiter)
    assert raw.frame["会社名"].tolist() == text
    assert raw.frame["会員番号"].tolist() == ["0001", "0002"]


def test_utf8_bom_does_not_stick_to_the_first_header():
    raw = read_table(_bytes("utf8_bom.csv"), "utf8_bom.csv")
    assert raw.encoding == "utf-8-sig" and list(raw.frame.columns)[0] == "会員番号"


def test_crlf_quoted_cells_keep_commas_quotes_and_line_breaks():
    raw = read_table(_bytes("crlf_quoted.csv"), "crlf_quoted.csv")
    assert raw.frame["メモ"].tolist() == ["改行\nあり", "カンマ,あり", '"引用"あり']
    assert raw.row_numbers.tolist() == [2, 4, 5]  # the first record spans lines 2-3
    assert _tx("crlf_quoted.csv")["amount"].tolist() == [1000, 2000, 3000]


def test_cdnow_style_whitespace_separated_text():
    raw = read_table(_bytes("cdnow_style.txt"), "cdnow_style.txt")
    assert raw.delimiter == "whitespace"
    assert raw.frame["customer_id"].tolist() == ["00001", "00002", "00002", "00003"]
    assert _tx("cdnow_style.txt")["amount"].tolist() == [11.77, 12.00, 77.00, 20.76]


def test_rows_with_the_wrong_number_of_fields_are_kept_flagged_and_excluded():
    raw = read_table(_bytes("field_count_mismatch.csv"), "field_count_mismatch.csv")
    assert raw.field_count_ok.tolist() == [True, False, False, True]
    r = _load("field_count_mismatch.csv").transactions.report
    assert r.excluded.set_index("row")["reason"].to_dict() == {3: "field_count", 4: "bad_amount"}


def test_a_few_nul_characters_are_removed_and_reported():
    raw = read_table(_bytes("nul_bytes.csv"), "nul_bytes.csv")
    assert raw.frame["会員番号"].tolist() == ["0001", "0002"]
    assert ("note.rel_nul_removed", {"count": 1}) in raw.notes


def test_formula_like_cells_are_read_as_text_and_export_apostrophes_removed():
    raw = read_table(_bytes("formula_injection.csv"), "formula_injection.csv")
    assert raw.frame["メモ"].tolist() == ['=HYPERLINK("http://example.invalid","click")', "+81-90-1234-5678",
                                        "@SUM(A1:A9)", "=1+1", "'ordinary apostrophe"]
    assert raw.frame["金額"].tolist() == ["1000", "2000", "3000", "-500", "500"]
    assert ("note.rel_apostrophes_removed", {"count": 2}) in raw.notes


def test_a_file_without_header_works_once_columns_are_mapped():
    raw = read_table(_bytes("no_header.csv"), "no_header.csv")
    assert raw.header_row is None and list(raw.frame.columns) == ["列1", "列2", "列3"]
    ds = load_dataset([InputFile("no_header.csv", _bytes("no_header.csv"), kind="transactions",
                                 overrides={"customer_id": "列1", "order_date": "列2", "amount": "列3"})],
                      today=TODAY)
    assert ds.transactions.report.rows_used == 2


# ----------------------------------------------------------------------------- the app


_app_on_data_page = partial(app_test, "pages/data.py")


def test_the_app_names_each_refused_upload_in_an_error_box():
    names = ["password.xlsx", "billion_laughs.xlsx", "html_table.xls", "unclosed_quote.csv",
             "binary_junk.csv", "truncated.xlsx", "header_only.csv"]
    at = _app_on_data_page()
    at.file_uploader(key="w_upload").set_value([(n, _bytes(n), "application/octet-stream") for n in names]).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    for n in names:
        assert any(f"ファイル「{n}」" in e and EXPECTED[n].ja in e for e in errors), n
    assert not any("Traceback" in e for e in errors)


def test_the_app_reads_awkward_but_valid_uploads():
    names = ["cp932_kanji.csv", "two_header_rows_merged.xlsx", "utf16_unicode_text.txt", "legacy.xls"]
    at = _app_on_data_page()
    at.file_uploader(key="w_upload").set_value([(n, _bytes(n), "application/octet-stream") for n in names]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    metrics = {m.label: m.value for m in at.metric}
    total = sum(EXPECTED[n].read for n in names)
    assert metrics["読み込んだ行"] == str(total) and metrics["使った行"] == str(total)
    assert any("見出しが2行" in c.value for c in at.caption)


# ----------------------------------------------------------------------------- big files, peak memory

_MEASURE = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from loyalty.errors import LoyaltyError
    from loyalty.readers import read_table
    from loyalty.pipeline import InputFile, load_dataset

    def high_water_kb():
        # VmHWM: this process's peak resident memory (ru_maxrss would include the
        # parent's peak, which survives fork + exec on Linux)
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])

    base = high_water_kb()
    path = Path(sys.argv[1])
    out = {"base_kb": base}
    try:
        if sys.argv[2] == "pipeline":
            ds = load_dataset([InputFile(path.name, path.read_bytes())])
            out["report"] = ds.transactions.report.to_dict()
        else:
            out["rows"] = read_table(path.read_bytes(), path.name).rows
    except LoyaltyError as exc:
        out["error"] = exc.message("ja")
    out["peak_kb"] = high_water_kb()
    print(json.dumps(out, ensure_ascii=False))
""")


def measure(path: Path, how: str = "read") -> dict:
    """Read ``path`` in a child process; its result and its peak memory above
    the baseline after imports (MB)."""
    res = subprocess.run([sys.executable, "-c", _MEASURE, str(path), how], cwd=ROOT, capture_output=True,
                         timeout=300, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    out = json.loads(res.stdout)
    out["extra_mb"] = (out["peak_kb"] - out["base_kb"]) / 1024
    out["file_mb"] = path.stat().st_size / 2**20
    print(f"{path.name}: peak +{out['extra_mb']:.0f} MB above {out['base_kb'] / 1024:.0f} MB "
          f"(file {out['file_mb']:.1f} MB)")
    return out


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    folder = tmp_path_factory.mktemp("big")
    return lambda kind: make_corpus.make_big(kind, folder)


HOSTILE_MB = 120  # what refusing a hostile file may cost on top of the imports


@pytest.mark.slow
@pytest.mark.parametrize("kind, words", [
    ("zip_bomb", "展開後のサイズが大きすぎます（1,103 MB、上限 1,000 MB）"),
    ("forged_zip_bomb", "記録されたサイズより大きく展開"),
    ("gzip_bomb", "gzip を展開すると上限 1,000 MB を超えます"),
    ("columns_csv", "列が多すぎます（10,000列、上限 1,000列）"),
    ("columns_xlsx", "列が多すぎます（10,000列、上限 1,000列）"),
])
def test_hostile_big_files_are_refused_without_exhausting_memory(big, kind, words):
    path = big(kind)
    out = measure(path)
    assert path.name in out["error"] and words in out["error"]
    assert out["extra_mb"] < HOSTILE_MB


@pytest.mark.slow
def test_a_gzip_bomb_that_lies_about_its_size_is_still_refused(big):
    path = big("forged_gzip_bomb")
    out = measure(path)
    assert path.name in out["error"] and "gzip を展開すると上限 1,000 MB を超えます" in out["error"]
    assert out["extra_mb"] < HOSTILE_MB


@pytest.mark.slow
def test_the_bombs_really_are_bombs(big):
    import zipfile

    info = zipfile.ZipFile(big("zip_bomb")).getinfo("xl/worksheets/sheet1.xml")
    assert info.file_size > 1_000_000_000 and big("zip_bomb").stat().st_size < 5_000_000
    forged = zipfile.ZipFile(big("forged_zip_bomb"))
    assert len(forged.read("xl/worksheets/sheet1.xml")) == 100_000  # what the directory claims...
    import gzip

    with gzip.open(big("gzip_bomb")) as fh:  # ...and the gzip file really inflates past 1 GB
        size = 0
        while chunk := fh.read(1 << 24):
            size += len(chunk)
    assert size > 1000 * 2**20


@pytest.mark.slow
def test_two_million_rows_are_read_and_accounted_for_within_a_memory_bound(big):
    path = big("rows_csv")
    read_only = measure(path, "read")
    assert read_only["rows"] == 2_000_000
    assert read_only["extra_mb"] < 9 * read_only["file_mb"], read_only
    out = measure(path, "pipeline")
    r = out["report"]
    assert (r["rows_read"], r["rows_used"], r["rows_excluded"], r["duplicates"]) == (2_000_000, 2_000_000, 0, 0)
    # reading, typing and checking 2M lines: a bounded multiple of the file's size
    assert out["extra_mb"] < 14 * out["file_mb"], out
    ds = load_dataset([InputFile(path.name, path.read_bytes())])
    f = build_features(ds)
    # every customer: 40 lines on one day (2023-01-01 + id % 500), amounts 100..139
    assert f.as_of == dt.date(2024, 5, 14) and len(f.frame) == 50_000
    ids = np.arange(50_000)
    inside = ids % 500 > 134  # strictly after as-of − 365 days = 2023-05-15 (day 134)
    assert (f.frame["frequency"].to_numpy() == np.where(inside, 40, 0)).all()
    assert (f.frame["monetary"].to_numpy() == np.where(inside, 4780, 0)).all()
    assert (f.frame["recency_days"].to_numpy() == 499 - ids % 500).all()
