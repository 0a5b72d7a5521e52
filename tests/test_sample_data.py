"""The committed demo data in sample_data/ is what generate.py writes, and looks like the exports
it pretends to be (CP932 back-office CSV, Excel export, CRM customer list, BtoB account list).

These tests read the files directly (no app code), so they also document the files' shape.
Exact numbers are the ones the generator produced with its fixed seed; if you change the
generator on purpose, regenerate (``python sample_data/generate.py``), then update the
constants below and the figures in sample_data/README.md.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import re
import sys
import zipfile
from datetime import date, datetime

import pytest

from tests.helpers import ROOT

SAMPLE = ROOT / "sample_data"
FILES = ["orders_cp932.csv", "orders.xlsx", "customers.csv", "b2b_accounts.csv"]

# Recorded from the generator (seed 20231101).
N_LINES = 28462            # data lines in orders_cp932.csv (purchase + return lines)
N_PURCHASE_LINES = 27889
N_RETURN_LINES = 573
N_ORDERS = 19608           # distinct 受注番号 with 取引区分 = 購入
N_CUSTOMERS = 2090
N_B2B = 60
TYPE_COUNTS = {"loyal": 220, "middle": 490, "one_off": 570, "lapsed": 375, "bargain": 200,
               "engaged": 105, "new": 130}
# RFM with a 365-day window ending 2026-10-31 and the seeds' thresholds (R5 <= 30 days,
# R1 >= 180; F5 >= 10 orders, F1 = 1; M5 >= 100,000 yen, M1 < 10,000) plus the
# intermediate cut points of rfm_scores() below.
R_COUNTS = {1: 1043, 2: 287, 3: 139, 4: 192, 5: 429}
F_COUNTS = {1: 1043, 2: 140, 3: 422, 4: 273, 5: 212}
M_COUNTS = {1: 1111, 2: 589, 3: 162, 4: 150, 5: 78}
TOTAL_BANDS = {"12-15": 274, "7-11": 623, "3-6": 1193}

ORDER_COLUMNS = ["受注番号", "会員番号", "注文日時", "商品コード", "商品名", "カテゴリ", "数量",
                 "単価", "値引額", "小計", "クーポンコード", "販売チャネル", "取引区分"]
CUSTOMER_COLUMNS = ["会員番号", "年代", "性別", "地域", "流入経路", "会員登録日",
                    "メール開封率(%)", "メールクリック率(%)", "ログイン回数(年間)",
                    "イベント参加回数", "SNS反応数", "レビュー投稿数", "問い合わせ件数", "NPS",
                    "満足度"]
B2B_COLUMNS = ["取引先ID", "会社名", "業種", "従業員規模", "年間契約額", "月額利用料", "契約年数",
               "契約月数", "関与部門数", "年間定例回数", "最終利用日", "問い合わせ件数",
               "導入事例協力", "NPS", "担当者評価"]
AS_OF = date(2026, 10, 31)


def _load_generator():
    name = "sample_data_generate"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SAMPLE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module           # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator():
    return _load_generator()


@pytest.fixture(scope="module")
def regenerated(generator, tmp_path_factory):
    out = tmp_path_factory.mktemp("regenerated")
    generator.main(out)
    return out


@pytest.fixture(scope="module")
def dataset(generator):
    return generator.build()


@pytest.fixture(scope="module")
def order_lines():
    text = (SAMPLE / "orders_cp932.csv").read_bytes().decode("cp932")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ORDER_COLUMNS
    lines = []
    for r in rows[1:]:
        d = dict(zip(ORDER_COLUMNS, r))
        d["注文日時"] = datetime.strptime(d["注文日時"], "%Y/%m/%d %H:%M:%S")
        for k in ("数量", "単価", "値引額", "小計"):
            d[k] = int(d[k])
        lines.append(d)
    return lines


@pytest.fixture(scope="module")
def customers():
    text = (SAMPLE / "customers.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == CUSTOMER_COLUMNS
    return [dict(zip(CUSTOMER_COLUMNS, r)) for r in rows[1:]]


@pytest.fixture(scope="module")
def orders(order_lines):
    """受注番号 -> (会員番号, order datetime, net purchase amount)."""
    out: dict[str, list] = {}
    for ln in order_lines:
        if ln["取引区分"] == "購入":
            o = out.setdefault(ln["受注番号"], [ln["会員番号"], ln["注文日時"], 0])
            assert o[0] == ln["会員番号"] and o[1] == ln["注文日時"]
            o[2] += ln["小計"]
    return out


# --- determinism ---------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", FILES)
def test_regenerating_gives_byte_identical_files(regenerated, name):
    committed = (SAMPLE / name).read_bytes()
    fresh = (regenerated / name).read_bytes()
    if name.endswith(".xlsx") and committed != fresh:
        with zipfile.ZipFile(SAMPLE / name) as a, zipfile.ZipFile(regenerated / name) as b:
            differing = [n for n in a.namelist() if a.read(n) != b.read(n)]
        pytest.fail(f"{name} differs; parts with different content: {differing or 'none'}")
    assert committed == fresh, f"{name}: run python sample_data/generate.py and commit"


@pytest.mark.slow
def test_generator_does_not_depend_on_the_date_or_a_second_run(generator, dataset):
    again = generator.build()
    assert again.order_rows == dataset.order_rows
    assert again.customer_rows == dataset.customer_rows
    assert again.b2b_rows == dataset.b2b_rows


# --- orders_cp932.csv ----------------------------------------------------------------


def test_orders_csv_is_cp932_with_crlf_and_no_bom():
    raw = (SAMPLE / "orders_cp932.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp932")
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\n") == raw.count(b"\r\n") == N_LINES + 1
    assert raw.endswith(b"\r\n")
    # NEC/IBM extension characters that plain Shift_JIS cannot decode
    for ch in ("Ⅱ", "①", "②", "髙", "﨑"):
        assert ch in text
    with pytest.raises(UnicodeDecodeError):
        raw.decode("shift_jis")


def test_orders_csv_counts(order_lines, orders):
    assert len(order_lines) == N_LINES
    assert sum(ln["取引区分"] == "購入" for ln in order_lines) == N_PURCHASE_LINES
    assert sum(ln["取引区分"] == "返品" for ln in order_lines) == N_RETURN_LINES
    assert {ln["取引区分"] for ln in order_lines} == {"購入", "返品"}
    assert len(orders) == N_ORDERS
    assert 18_000 <= len(orders) <= 22_000
    assert 1.2 <= N_PURCHASE_LINES / N_ORDERS <= 1.6
    returned_orders = {ln["受注番号"] for ln in order_lines if ln["取引区分"] == "返品"}
    assert 0.02 <= len(returned_orders) / N_ORDERS <= 0.03


def test_orders_span_three_years_and_end_on_the_as_of_date(order_lines):
    purchase_days = [ln["注文日時"].date() for ln in order_lines if ln["取引区分"] == "購入"]
    assert min(purchase_days) == date(2023, 11, 1)
    assert max(purchase_days) == AS_OF
    assert max(ln["注文日時"].date() for ln in order_lines) == AS_OF   # returns too


def test_order_numbers_and_member_ids_keep_their_format(order_lines):
    for ln in order_lines:
        assert re.fullmatch(r"\d{7}", ln["会員番号"]), ln
        assert ln["会員番号"].startswith("000")
        assert re.fullmatch(r"\d{13}", ln["受注番号"]), ln
        if ln["取引区分"] == "購入":
            assert ln["受注番号"][:8] == f"{ln['注文日時']:%Y%m%d}"


def test_line_amounts_add_up(order_lines):
    for ln in order_lines:
        assert ln["小計"] == ln["数量"] * ln["単価"] - ln["値引額"], ln
        assert ln["単価"] > 0
        assert (ln["クーポンコード"] != "") or ln["値引額"] == 0 or ln["取引区分"] == "返品"
    for ln in order_lines:
        if ln["取引区分"] == "購入":
            assert ln["数量"] > 0 and ln["小計"] >= 0 and ln["値引額"] >= 0


def test_return_lines_are_negative_later_and_match_a_purchase(order_lines):
    bought = {(ln["受注番号"], ln["商品コード"]): ln for ln in order_lines
              if ln["取引区分"] == "購入"}
    returns = [ln for ln in order_lines if ln["取引区分"] == "返品"]
    assert len(returns) == N_RETURN_LINES
    for r in returns:
        assert r["数量"] < 0 and r["小計"] < 0 and r["値引額"] <= 0
        p = bought[(r["受注番号"], r["商品コード"])]
        assert r["会員番号"] == p["会員番号"]
        assert r["注文日時"] > p["注文日時"]
        assert r["小計"] == -p["小計"] and r["数量"] == -p["数量"]


def test_seasonal_peaks_in_july_november_and_december(orders):
    by_month: dict[tuple[int, int], int] = {}
    for _, dt, _ in orders.values():
        by_month[(dt.year, dt.month)] = by_month.get((dt.year, dt.month), 0) + 1
    for year in (2024, 2025):
        average = sum(by_month[(year, m)] for m in range(1, 13)) / 12
        assert by_month[(year, 7)] > 1.4 * average
        assert by_month[(year, 12)] > 1.4 * average
        assert by_month[(year, 11)] > 1.2 * average


# --- orders.xlsx ---------------------------------------------------------------------


@pytest.mark.slow
def test_xlsx_has_the_same_lines_as_the_csv(order_lines):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.load_workbook(SAMPLE / "orders.xlsx", read_only=True)
    try:
        assert wb.sheetnames == ["注文明細", "出力条件"]
        ws = wb["注文明細"]
        rows = ws.iter_rows(values_only=False)
        header = [c.value for c in next(rows)]
        assert header == ORDER_COLUMNS
        n = 0
        for cells, ln in zip(rows, order_lines, strict=True):
            values = [c.value for c in cells]
            assert isinstance(values[1], str) and values[1] == ln["会員番号"]
            assert isinstance(values[0], str) and values[0] == ln["受注番号"]
            assert isinstance(values[2], datetime) and values[2] == ln["注文日時"]
            assert cells[2].number_format == "yyyy/mm/dd hh:mm"
            assert values[3:6] == [ln["商品コード"], ln["商品名"], ln["カテゴリ"]]
            assert values[6:10] == [ln["数量"], ln["単価"], ln["値引額"], ln["小計"]]
            assert all(isinstance(v, int) for v in values[6:10])
            assert (values[10] or "") == ln["クーポンコード"]
            assert values[11:13] == [ln["販売チャネル"], ln["取引区分"]]
            n += 1
        assert n == N_LINES
        meta = {r[0]: r[1] for r in wb["出力条件"].iter_rows(min_row=2, values_only=True)}
        assert meta["明細行数"] == N_LINES and meta["受注件数"] == N_ORDERS
        assert "2023/11/01" in meta["対象期間"] and "2026/10/31" in meta["対象期間"]
    finally:
        wb.close()


# --- customers.csv -------------------------------------------------------------------


def test_customers_file_is_utf8_with_bom():
    raw = (SAMPLE / "customers.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    raw.decode("utf-8")


def test_customers_one_row_each_and_every_order_member_exists(customers, order_lines, orders):
    ids = [c["会員番号"] for c in customers]
    assert len(ids) == N_CUSTOMERS and 1_900 <= len(ids) <= 2_100
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert all(re.fullmatch(r"0\d{6}", i) for i in ids)
    in_orders = {ln["会員番号"] for ln in order_lines}
    assert in_orders <= set(ids)
    assert {o[0] for o in orders.values()} == set(ids)      # every member bought at least once


def test_customer_attributes_use_the_documented_values(customers, orders):
    first_order: dict[str, datetime] = {}
    for member, dt, _ in orders.values():
        first_order[member] = min(dt, first_order.get(member, dt))
    allowed = {
        "年代": {"20代", "30代", "40代", "50代", "60代以上"},
        "性別": {"女性", "男性", "回答しない"},
        "地域": {"北海道・東北", "関東", "中部", "近畿", "中国・四国", "九州・沖縄"},
        "流入経路": {"紹介", "Instagram", "Instagram広告", "検索", "アフィリエイト", "店舗",
                   "テレビ通販", "LINE"},
    }
    for c in customers:
        for col, values in allowed.items():
            assert c[col] in values, (col, c)
        signup = datetime.strptime(c["会員登録日"], "%Y/%m/%d")
        assert signup.date() <= first_order[c["会員番号"]].date()
        assert 0 <= float(c["メールクリック率(%)"]) <= float(c["メール開封率(%)"]) <= 100
        for col in ("ログイン回数(年間)", "イベント参加回数", "SNS反応数", "レビュー投稿数",
                    "問い合わせ件数"):
            assert int(c[col]) >= 0
        assert (c["NPS"] == "") == (c["満足度"] == "")
        if c["NPS"]:
            assert 0 <= int(c["NPS"]) <= 10 and 1 <= int(c["満足度"]) <= 5
    unanswered = sum(c["NPS"] == "" for c in customers) / len(customers)
    assert 0.40 <= unanswered <= 0.50


# --- b2b_accounts.csv ----------------------------------------------------------------


def test_b2b_accounts():
    raw = (SAMPLE / "b2b_accounts.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == B2B_COLUMNS
    accounts = [dict(zip(B2B_COLUMNS, r)) for r in rows[1:]]
    assert len(accounts) == N_B2B
    assert [a["取引先ID"] for a in accounts] == [f"A{i:04d}" for i in range(1, N_B2B + 1)]
    assert len({a["会社名"] for a in accounts}) == N_B2B
    for a in accounts:
        assert "株式会社" in a["会社名"]
        assert int(a["年間契約額"]) == 12 * int(a["月額利用料"])
        assert a["契約年数"] == f"{int(a['契約月数']) / 12:.1f}"
        assert 3 <= int(a["契約月数"]) <= 96
        assert a["導入事例協力"] in {"あり", "なし"}
        assert 0 <= int(a["NPS"]) <= 10 and 1 <= int(a["担当者評価"]) <= 5
        assert datetime.strptime(a["最終利用日"], "%Y/%m/%d").date() <= AS_OF
    # the seeds' persona 例1 is the first account
    first = accounts[0]
    assert (first["業種"], first["従業員規模"], first["導入事例協力"]) == \
        ("ITサービス", "300〜499名", "あり")
    assert int(first["月額利用料"]) >= 150_000 and int(first["契約月数"]) >= 72


# --- the story: behaviour types, RFM and the golden route ----------------------------


def rfm_scores(orders, lines, as_of=AS_OF, window_days=365):
    """Threshold RFM as in the seeds, computed here without the app's code."""
    last: dict[str, date] = {}
    freq: dict[str, int] = {}
    money: dict[str, int] = {}
    for member, dt, _ in orders.values():
        d = dt.date()
        last[member] = max(d, last.get(member, d))
        if 0 <= (as_of - d).days < window_days:
            freq[member] = freq.get(member, 0) + 1
    for ln in lines:
        if 0 <= (as_of - ln["注文日時"].date()).days < window_days:
            money[ln["会員番号"]] = money.get(ln["会員番号"], 0) + ln["小計"]

    def score(x, cuts):   # cuts: lower bounds of scores 2..5
        return 1 + sum(x >= c for c in cuts)

    out = {}
    for m in last:
        r = 6 - score((as_of - last[m]).days, [31, 61, 91, 180])   # 30 days or less -> 5
        f = score(freq.get(m, 0), [2, 3, 6, 10])
        mo = score(money.get(m, 0), [10_000, 30_000, 50_000, 100_000])
        out[m] = (r, f, mo)
    return out


def test_rfm_distribution_matches_the_brief(orders, order_lines):
    scores = rfm_scores(orders, order_lines)
    assert len(scores) == N_CUSTOMERS
    for axis, expected in enumerate((R_COUNTS, F_COUNTS, M_COUNTS)):
        counts = {s: 0 for s in range(1, 6)}
        for v in scores.values():
            counts[v[axis]] += 1
        assert counts == expected
    totals = [sum(v) for v in scores.values()]
    bands = {"12-15": sum(t >= 12 for t in totals), "7-11": sum(7 <= t <= 11 for t in totals),
             "3-6": sum(t <= 6 for t in totals)}
    assert bands == TOTAL_BANDS
    assert 0.08 <= bands["12-15"] / N_CUSTOMERS <= 0.15


@pytest.mark.slow
def test_behaviour_types(dataset):
    kinds = dataset.type_of()
    counts = {k: 0 for k in TYPE_COUNTS}
    for k in kinds.values():
        counts[k] += 1
    assert counts == TYPE_COUNTS
    assert max(counts, key=counts.get) == "one_off"


@pytest.mark.slow
def test_engagement_and_nps_follow_the_behaviour(dataset, customers):
    kinds = dataset.type_of()

    def mean(col, kind):
        vals = [float(c[col]) for c in customers if kinds[c["会員番号"]] == kind and c[col] != ""]
        return sum(vals) / len(vals)

    for col in ("メール開封率(%)", "ログイン回数(年間)", "SNS反応数", "NPS"):
        assert mean(col, "loyal") > mean(col, "middle") > mean(col, "bargain"), col
        assert mean(col, "engaged") > mean(col, "middle"), col
    assert mean("NPS", "loyal") >= 8.5 and mean("NPS", "bargain") <= 6


@pytest.mark.slow
def test_golden_route_first_orders_differ(dataset, order_lines, orders, customers):
    """Future loyal customers start on a staple at full price with 2+ items and come back
    within 45 days; bargain hunters start with a coupon (seed 002's golden route)."""
    kinds = dataset.type_of()
    acq = {c["会員番号"]: c["流入経路"] for c in customers}
    by_member: dict[str, list] = {}
    for no, (member, dt, _) in orders.items():
        by_member.setdefault(member, []).append((dt, no))
    lines_of: dict[str, list] = {}
    for ln in order_lines:
        if ln["取引区分"] == "購入":
            lines_of.setdefault(ln["受注番号"], []).append(ln)
    staples = {"SK-0902", "SK-0101", "SK-0111"}
    stats: dict[str, list[tuple[bool, bool, bool, bool, bool]]] = {}
    for member, seq in by_member.items():
        seq.sort()
        first = lines_of[seq[0][1]]
        second_soon = len(seq) > 1 and (seq[1][0] - seq[0][0]).days <= 45
        stats.setdefault(kinds[member], []).append((
            any(ln["商品コード"] in staples for ln in first),
            all(ln["クーポンコード"] == "" for ln in first),
            len(first) >= 2,
            second_soon,
            acq[member] in ("紹介", "Instagram"),
        ))

    def share(kind, i):
        xs = stats[kind]
        return sum(x[i] for x in xs) / len(xs)

    for i in range(5):
        assert share("loyal", i) > share("middle", i) + 0.15
        assert share("loyal", i) > share("one_off", i) + 0.25
    assert share("loyal", 3) >= 0.7
    assert share("bargain", 1) <= 0.10           # bargain hunters start with a coupon
