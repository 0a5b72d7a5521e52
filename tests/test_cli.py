"""The command line contract (DESIGN §5): outputs, exit codes, no tracebacks."""

import io
import json

import openpyxl
import pandas as pd
import pytest

from loyalty import definition as defn
from tests.helpers import ROOT, run_cli as run, RETAIL

ORDERS = """注文番号,会員番号,注文日,金額
A1,000123,2024/06/20,3000
A1,000123,2024/06/20,2000
A2,000123,2024/05/01,4000
R1,000123,2024/06/25,-1500
B1,0456,2024-01-10,120000
C1,789,2023/03/01,7000
"""
REQUIRED = ["customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score",
            "rfm_total", "loyalty_score", "tier", "rfm_segment"]


@pytest.fixture
def orders(tmp_path):
    p = tmp_path / "orders.csv"
    p.write_bytes(ORDERS.encode("cp932"))
    return p


def _csv(stdout: bytes) -> pd.DataFrame:
    assert stdout.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    return pd.read_csv(io.BytesIO(stdout), encoding="utf-8-sig", dtype={"customer_id": str})


def test_score_writes_one_row_per_customer_with_the_contract_columns(orders):
    res = run("score", str(orders), "--as-of", "2024-06-30")
    assert res.returncode == 0, res.stderr.decode()
    out = _csv(res.stdout)
    assert out.columns.tolist()[:11] == REQUIRED
    rows = out.set_index("customer_id")
    assert rows.index.tolist() == ["000123", "0456", "789"]
    assert rows.loc["000123", ["recency_days", "frequency", "monetary"]].tolist() == [10, 2, 7500]
    assert rows.loc["000123", ["r_score", "f_score", "m_score", "rfm_total"]].tolist() == [5, 2, 1, 8]
    assert rows.loc["0456", ["r_score", "f_score", "m_score"]].tolist() == [2, 1, 5]
    assert rows.loc["789", ["recency_days", "frequency", "monetary", "rfm_total"]].tolist() == [487, 0, 0, 3]
    # BtoC preset: R15 F25 M25 (SNS and NPS are absent here, so R/F/M are rescaled to 100)
    assert rows.loc["000123", "loyalty_score"] == pytest.approx((15 * 5 + 25 * 2 + 25 * 1) / 65 * 20, abs=0.01)
    assert rows.loc["0456", "loyalty_score"] == pytest.approx((15 * 2 + 25 * 1 + 25 * 5) / 65 * 20, abs=0.01)
    assert rows["tier"].tolist() == ["low", "middle", "low"]  # 46.2, 55.4, 20.0
    assert rows.loc["789", "rfm_segment"] == "lost"


def test_saved_definition_gives_identical_results_to_the_preset(orders, tmp_path):
    printed = run("definition", "--preset", "b2c")
    assert printed.returncode == 0
    assert defn.loads(printed.stdout).to_dict() == defn.preset("b2c").to_dict()
    saved = tmp_path / "def.json"
    saved.write_bytes(printed.stdout)
    a = run("score", str(orders), "--as-of", "2024-06-30")
    b = run("score", str(orders), "--as-of", "2024-06-30", "--definition", str(saved))
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout


def test_definition_changes_the_result(orders, tmp_path):
    d = defn.preset("b2c").copy(tiers={"top": 50.0, "middle": 20.0}, as_of=None)
    path = tmp_path / "lenient.json"
    path.write_text(d.to_json(), encoding="utf-8")
    out = _csv(run("score", str(orders), "--as-of", "2024-06-30", "--definition", str(path)).stdout)
    assert out["tier"].tolist() == ["middle", "top", "middle"]  # 46.2 / 55.4 / 20.0 against top 50, middle 20


def test_xlsx_output_has_japanese_headers_and_text_ids(orders, tmp_path):
    target = tmp_path / "scores.xlsx"
    res = run("score", str(orders), "--as-of", "2024-06-30", "--output", str(target))
    assert res.returncode == 0, res.stderr.decode()
    ws = openpyxl.load_workbook(target).worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["顧客ID", "最終購入からの日数", "購入回数（期間内）", "購入金額（期間内）"]
    assert [ws.cell(row=r, column=1).value for r in (2, 3, 4)] == ["000123", "0456", "789"]


def test_currency_option_sets_the_amount_format_of_xlsx_output(orders, tmp_path):
    for option, expected in (([], '"¥"#,##0;-"¥"#,##0'), (["--currency", "GBP"], '"£"#,##0;-"£"#,##0')):
        target = tmp_path / f"scores{len(option)}.xlsx"
        res = run(*option, "score", str(orders), "--as-of", "2024-06-30", "--output", str(target))
        assert res.returncode == 0, res.stderr.decode()
        ws = openpyxl.load_workbook(target).worksheets[0]
        column = [c.value for c in ws[1]].index("購入金額（期間内）") + 1
        assert ws.cell(row=2, column=column).number_format == expected
    # after the command too, in any case
    target = tmp_path / "scores_after.xlsx"
    res = run("score", str(orders), "--as-of", "2024-06-30", "--currency", "gbp", "--output", str(target))
    assert res.returncode == 0, res.stderr.decode()
    ws = openpyxl.load_workbook(target).worksheets[0]
    assert ws.cell(row=2, column=4).number_format == '"£"#,##0;-"£"#,##0'
    bad = run("--currency", "XYZ", "score", str(orders))
    assert bad.returncode == 2 and "invalid choice" in bad.stderr.decode()


def test_map_option_and_sheet_option(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("who,when,paid\n1,2024-01-01,100\n", encoding="utf-8")
    bad = run("score", str(p))
    assert bad.returncode == 2 and "顧客ID" in bad.stderr.decode()
    ok = run("score", str(p), "--map", "customer_id=who", "--map", "order_date=when", "--map", "amount=paid")
    assert ok.returncode == 0, ok.stderr.decode()
    assert _csv(ok.stdout)["monetary"].tolist() == [100]


def test_quality_json_accounts_for_every_row(tmp_path):
    p = tmp_path / "q.csv"
    p.write_text("顧客ID,購入日,金額\n1,2024/01/01,100\n,2024/01/02,5\n2,x,5\n", encoding="utf-8")
    res = run("quality", str(p), "--json")
    assert res.returncode == 0
    r = json.loads(res.stdout)["transactions"]
    assert (r["rows_read"], r["rows_used"], r["rows_excluded"]) == (3, 1, 2)
    assert r["excluded_by_reason"]["missing_customer_id"] == 1 and r["excluded_by_reason"]["bad_date"] == 1
    text = run("quality", str(p))
    assert "読込 3 行 = 使用 1 行 + 除外 2 行" in text.stdout.decode()


def test_quality_text_lists_fee_lines_zero_amounts_and_what_the_reader_did(tmp_path):
    p = tmp_path / "fees.csv"
    p.write_text("注文明細 2024年\n注文番号,顧客ID,購入日,商品コード,金額\nA1,c1,2024/01/05,SK1,1000\n"
                 "A1,c1,2024/01/05,送料,500\nA2,c2,2024/01/06,SK2,0\n,,,,\n", encoding="utf-8")
    lines = run("quality", str(p)).stdout.decode().splitlines()
    assert lines[-5:] == [
        "金額が0の行: 1 行（使用しますが、購入回数には数えません）",
        "送料・手数料・調整の行（商品ではない行）: 1 行。金額は購入金額に含めますが、これらの行だけでは注文として数えません。",
        "  fees.csv: 読込 3 / 使用 3 / 除外 0（utf-8）",
        "    見出し行の前にある 1 行（タイトルなど）は読み飛ばしました。",
        "    区切り文字だけで中身のない行（,,, など）1 行は、データの行ではないため読み飛ばしました。",
    ]


@pytest.mark.parametrize("content, name, words", [
    (b"", "empty.csv", "空です"),
    ("顧客ID,購入日,金額\n".encode(), "header.csv", "データの行がありません"),
    (bytes(range(256)) * 10, "junk.csv", "バイナリ"),
    (b"PK\x03\x04broken", "corrupt.xlsx", "Excel"),
    ("顧客ID,メモ,金額\n1,a,100\n".encode(), "nodate.csv", "購入日の列が見つかりません"),
    ("顧客ID,購入日,金額\n1,2024/01/01,\n2,2024/01/02,abc\n".encode(), "noamount.csv", "金額"),
])
def test_bad_input_exits_2_with_a_message_and_no_traceback(tmp_path, content, name, words):
    p = tmp_path / name
    p.write_bytes(content)
    res = run("score", str(p))
    err = res.stderr.decode()
    assert res.returncode == 2
    assert name in err and words in err
    assert "Traceback" not in err and res.stdout == b""


def test_bad_definition_file_names_the_field(orders, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "loyalty-definition", "version": 1, "tiers": {"top": 10, "middle": 50}}',
                   encoding="utf-8")
    res = run("score", str(orders), "--definition", str(bad))
    assert res.returncode == 2 and "tiers.top" in res.stderr.decode()


def test_english_messages(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_bytes(b"")
    res = run("--lang", "en", "score", str(p))
    assert res.returncode == 2 and "The file is empty" in res.stderr.decode()


CDNOW_MAP = ["--map", "customer_id=列1", "--map", "order_date=列3", "--map", "quantity=列4", "--map", "amount=列5"]


@pytest.mark.slow
def test_clv_reproduces_the_papers_parameters_and_writes_every_customer(tmp_path):
    sample = str(ROOT / "tests" / "data" / "cdnow_sample.txt")  # CDNOW: no header, whitespace separated
    res = run("clv", sample, *CDNOW_MAP, "--calibration-end", "1997-09-30", "--json")
    assert res.returncode == 0, res.stderr.decode()
    fit = json.loads(res.stdout)
    bg, gg = fit["bgnbd"], fit["gamma_gamma"]
    # Fader, Hardie & Lee (2005): r 0.243, alpha 4.414, a 0.793, b 2.426, LL -9582.4;
    # Fader & Hardie (2013): p 6.25, q 3.74, gamma 15.44
    assert [round(bg[k], 3) for k in ("r", "alpha", "a", "b")] == [0.243, 4.414, 0.793, 2.426]
    assert round(bg["loglik"], 1) == -9582.4
    assert [round(gg[k], 2) for k in ("p", "q", "gamma")] == [6.25, 3.74, 15.44]
    out = tmp_path / "clv.csv"
    res = run("clv", sample, *CDNOW_MAP, "--calibration-end", "1997-09-30", "--output", str(out))
    assert res.returncode == 0, res.stderr.decode()
    table = pd.read_csv(out, encoding="utf-8-sig", dtype={"customer_id": "str"})
    assert len(table) == 2_357 and table["customer_id"].iloc[0] == "00004"
    assert table.columns.tolist() == ["customer_id", "frequency", "recency", "T", "monetary_value", "p_alive",
                                      "expected_purchases", "expected_avg_value", "clv"]
    assert table.loc[0, "frequency"] == 2 and table.loc[0, "monetary_value"] == pytest.approx(22.345)


@pytest.mark.slow
def test_clv_regularises_where_plain_maximum_likelihood_fails_and_says_so(capsys):
    # the app's sample orders: plain maximum likelihood cannot pin down b; like the page, the
    # CLI retries with penalizer 0.001, prints the page's figures and says why on stderr
    from loyalty import clv
    from loyalty.cli import main
    from loyalty.errors import LoyaltyError
    from loyalty.i18n import t
    from loyalty.pipeline import InputFile, load_dataset
    from tests.fixtures_clv import SAMPLE_ORDERS

    tx = load_dataset([InputFile(SAMPLE_ORDERS.name, SAMPLE_ORDERS.read_bytes())]).transactions.frame
    with pytest.raises(LoyaltyError) as refused:
        clv.fit(tx, auto_penalizer=False)
    assert main(["clv", str(SAMPLE_ORDERS), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == clv.run(tx, penalizer=0.001, auto_penalizer=False).params_dict()
    assert err == t("clv.cli.penalizer_used", "ja", requested="0", used="0.001", reason=refused.value.ja) + "\n"
    assert err.startswith("penalizer 0 では推定できなかったため、penalizer = 0.001 で推定しました（理由: ")
    assert main(["--lang", "en", "clv", str(SAMPLE_ORDERS), "--json", "--no-auto-penalizer"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == refused.value.message("en") + "\n"
    assert err.startswith("field 'penalizer': The BG/NBD model cannot be fitted")


@pytest.mark.slow
def test_clv_on_online_retail_uses_penalizer_0001():
    data = RETAIL
    if not data.exists():
        pytest.skip(f"{data} is not here (the shared datasets folder; CI has it)")
    res = run("--lang", "en", "clv", str(data), "--json")
    assert res.returncode == 0, res.stderr.decode()
    fit = json.loads(res.stdout)
    bg, gg = fit["bgnbd"], fit["gamma_gamma"]
    assert [round(bg[k], 4) for k in ("r", "alpha", "a", "b")] == [0.8021, 9.4970, 0.0676, 5.7645]
    assert round(bg["loglik"], 2) == -37202.18
    assert [round(gg[k], 3) for k in ("p", "q", "gamma")] == [2.611, 3.172, 348.281]
    assert res.stderr.decode().startswith("The fit needed regularisation: penalizer 0.001 was used instead of 0 "
                                          "(reason: The BG/NBD model cannot be fitted")
