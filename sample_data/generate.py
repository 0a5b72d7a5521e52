"""Generate the demo dataset the workbench opens with (no upload needed).

The story: "ルミエ・ボタニカ" (a fictional brand) opened its official online shop on
2023-11-01 and sells skincare, make-up, hair and body care and supplements. This script
simulates three years of its customers (about 2,100 members, about 19,600 orders) and writes
the files a marketer would get from the shop's back office, CRM/MA tool and, for the BtoB
examples, a SaaS vendor's account list. Every name is invented.

Run ``python sample_data/generate.py`` (optionally with an output directory) to rewrite all
files (the last, ``campaign_assignment.csv``, is the campaign-effect demo: see :func:`campaign_rows`). The result depends only on ``SEED``: the same bytes on every run and every day.

Behaviour types simulated (the "ground truth"; never written into the files, available
from :func:`build` for tests and demos):

======== ========================= ===========================================================
key      label                     behaviour
======== ========================= ===========================================================
loyal    ロイヤル                  6+ orders a year, about ¥8,000 an order, full price, reviews,
                                   Instagram, events, high NPS; started on the "golden route"
middle   中堅                      3-6 orders a year, mixed coupon use, some cooling off
one_off  1回購入                   a single order, often a coupon trial kit (largest group)
lapsed   離反                      were active, stopped 6-24 months before the as-of date
bargain  価格目的リピーター        frequent, cheap, almost always with a coupon; low NPS and
                                   engagement (a repeater, not a loyal customer)
engaged  ロイヤル予備軍            opens mails, logs in, attends seminars, but few orders
new      新規                      first order in the last three months
======== ========================= ===========================================================
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

SEED = 20231101
START = date(2023, 11, 1)
END = date(2026, 10, 31)
N_DAYS = (END - START).days + 1
EXPORTED_AT = datetime(2026, 11, 1, 6, 0, 0)
BRAND = "ルミエ・ボタニカ"

OUT_DIR = Path(__file__).resolve().parent

ORDERS_CSV = "orders_cp932.csv"
ORDERS_XLSX = "orders.xlsx"
CUSTOMERS_CSV = "customers.csv"
B2B_CSV = "b2b_accounts.csv"
CAMPAIGN_CSV = "campaign_assignment.csv"

ORDER_COLUMNS = [
    "受注番号", "会員番号", "注文日時", "商品コード", "商品名", "カテゴリ", "数量", "単価",
    "値引額", "小計", "クーポンコード", "販売チャネル", "取引区分",
]
CUSTOMER_COLUMNS = [
    "会員番号", "年代", "性別", "地域", "流入経路", "会員登録日", "メール開封率(%)",
    "メールクリック率(%)", "ログイン回数(年間)", "イベント参加回数", "SNS反応数",
    "レビュー投稿数", "問い合わせ件数", "NPS", "満足度",
]
CAMPAIGN_COLUMNS = ["会員番号", "配信グループ", "配信日"]
B2B_COLUMNS = [
    "取引先ID", "会社名", "業種", "従業員規模", "年間契約額", "月額利用料", "契約年数",
    "契約月数", "関与部門数", "年間定例回数", "最終利用日", "問い合わせ件数", "導入事例協力",
    "NPS", "担当者評価",
]

# --------------------------------------------------------------------------------------
# Behaviour types
# --------------------------------------------------------------------------------------

TYPES = ["loyal", "middle", "one_off", "lapsed", "bargain", "engaged", "new"]
TYPE_LABELS = {
    "loyal": "ロイヤル",
    "middle": "中堅",
    "one_off": "1回購入",
    "lapsed": "離反",
    "bargain": "価格目的リピーター",
    "engaged": "ロイヤル予備軍",
    "new": "新規",
}
TYPE_COUNTS = {
    "loyal": 220,
    "middle": 490,
    "one_off": 570,
    "lapsed": 375,
    "bargain": 200,
    "engaged": 105,
    "new": 130,
}


@dataclass(frozen=True)
class TypeProfile:
    """How one behaviour type buys. Probabilities are per customer or per order."""

    rate: tuple[float, float]          # orders per year, uniform range (repeat phase)
    gamma_shape: float                 # regularity of the gaps (higher = more regular)
    sale_boost: float                  # exponent on the seasonal curve (bargain hunters > 1)
    p_staple_first: float              # first order anchored on a staple / starter set
    p_trial_first: float               # first order anchored on the trial kit
    p_multi_first: float               # 2+ lines in the first order
    p_coupon_first: float              # coupon in the first order
    p_quick_second: float              # second order within 7-45 days
    p_coupon: float                    # coupon on a later order outside sales
    p_coupon_sale: float               # coupon on a later order during a sale
    lines: tuple[float, ...]           # P(1, 2, 3, 4 lines) on later orders
    p_return: float                    # share of orders with a returned line


PROFILES = {
    "loyal": TypeProfile((9.0, 16.0), 3.0, 0.6, 0.82, 0.04, 0.74, 0.12, 0.78, 0.08, 0.30,
                         (0.55, 0.28, 0.13, 0.04), 0.015),
    "middle": TypeProfile((3.0, 6.0), 2.0, 1.0, 0.45, 0.22, 0.38, 0.40, 0.30, 0.22, 0.60,
                          (0.74, 0.20, 0.05, 0.01), 0.025),
    "one_off": TypeProfile((0.0, 0.0), 1.0, 1.0, 0.18, 0.52, 0.14, 0.66, 0.0, 0.0, 0.0,
                           (0.85, 0.12, 0.03, 0.0), 0.045),
    "lapsed": TypeProfile((6.5, 12.0), 1.8, 1.0, 0.32, 0.30, 0.28, 0.50, 0.25, 0.30, 0.65,
                          (0.72, 0.20, 0.07, 0.01), 0.035),
    "bargain": TypeProfile((5.5, 9.5), 1.6, 2.2, 0.12, 0.48, 0.10, 0.96, 0.35, 0.88, 0.97,
                           (0.86, 0.12, 0.02, 0.0), 0.03),
    "engaged": TypeProfile((0.6, 1.6), 1.5, 1.0, 0.40, 0.30, 0.35, 0.30, 0.08, 0.25, 0.45,
                           (0.65, 0.25, 0.08, 0.02), 0.02),
    "new": TypeProfile((3.0, 8.0), 2.0, 1.0, 0.42, 0.35, 0.36, 0.45, 0.32, 0.25, 0.55,
                       (0.68, 0.22, 0.08, 0.02), 0.025),
}

# --------------------------------------------------------------------------------------
# Product catalogue (fictional; prices include tax)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    code: str
    name: str
    category: str
    price: int
    kind: str                      # starter, staple, refill, trial, regular, limited, service
    start: date = START
    end: date = END
    weight: float = 1.0
    season: dict[int, float] = field(default_factory=dict)   # month -> weight multiplier


def _coffret(year: int, code_year: str) -> list[Product]:
    start, end = date(year, 11, 15), date(year, 12, 31)
    return [
        Product(f"LT-{code_year}12", f"ホリデーコフレ{year} ①スキンケアBOX", "限定品", 8800,
                "limited", start, end, 4.0),
        Product(f"LT-{code_year}13", f"ホリデーコフレ{year} ②メイクBOX", "限定品", 7700,
                "limited", start, end, 3.0),
    ]


def _summer(year: int, code_year: str) -> list[Product]:
    return [
        Product(f"LT-{code_year}06", f"サマーUVミスト {year}年夏限定 60mL", "限定品", 2640,
                "limited", date(year, 6, 1), date(year, 8, 31), 3.0),
    ]


SUMMER = {6: 1.8, 7: 2.5, 8: 2.0, 5: 1.3, 9: 1.2, 11: 0.5, 12: 0.4, 1: 0.4, 2: 0.5}
WINTER = {11: 1.6, 12: 1.8, 1: 1.8, 2: 1.5, 6: 0.6, 7: 0.5, 8: 0.5}

CATALOGUE: list[Product] = [
    Product("SK-0101", "モイストローション 150mL", "スキンケア", 4180, "staple", weight=3.0),
    Product("SK-0102", "モイストローション 詰め替え用 140mL", "スキンケア", 3520, "refill",
            weight=2.0),
    Product("SK-0111", "リペアセラムⅡ 30mL", "スキンケア", 7480, "staple", weight=2.6),
    Product("SK-0112", "リペアセラムⅡ 詰め替え用 28mL", "スキンケア", 6380, "refill",
            weight=1.6),
    Product("SK-0121", "バランシングミルク 120mL", "スキンケア", 4180, "staple", weight=2.0),
    Product("SK-0131", "ナイトリペアクリーム 40g", "スキンケア", 6160, "regular", weight=1.4,
            season=WINTER),
    Product("SK-0141", "クレンジングオイル 180mL", "スキンケア", 3300, "staple", weight=2.0),
    Product("SK-0151", "ホイップ洗顔フォーム 120g", "スキンケア", 2420, "regular", weight=1.8),
    Product("SK-0161", "UVプロテクトミルク SPF50+ 50mL", "スキンケア", 3080, "regular",
            weight=1.5, season=SUMMER),
    Product("SK-0171", "集中ケアシートマスク 7枚入", "スキンケア", 1980, "regular", weight=1.5),
    Product("SK-0901", "はじめてのトライアルキット 7日分", "スキンケア", 1650, "trial",
            weight=0.25),
    Product("SK-0902", "化粧水・美容液スターターセット(現品)", "スキンケア", 9680, "starter",
            weight=0.2),
    Product("MK-0201", "スキンケアファンデーション 01 ライト", "メイク", 4620, "regular",
            weight=0.8),
    Product("MK-0202", "スキンケアファンデーション 02 ナチュラル", "メイク", 4620, "regular",
            weight=1.1),
    Product("MK-0203", "スキンケアファンデーション 03 オークル", "メイク", 4620, "regular",
            weight=0.7),
    Product("MK-0211", "トーンアップ下地 30g", "メイク", 3630, "regular", weight=1.2),
    Product("MK-0221", "カラーリップバーム 01 コーラル", "メイク", 2640, "regular", weight=0.9),
    Product("MK-0222", "カラーリップバーム 02 ローズ", "メイク", 2640, "regular", weight=0.9),
    Product("MK-0223", "カラーリップバーム 03 テラコッタ", "メイク", 2640, "regular",
            start=date(2025, 3, 1), weight=1.0),
    Product("MK-0231", "アイカラーパレット 4色", "メイク", 3960, "regular", weight=0.8),
    Product("MK-0241", "ルースパウダー 12g", "メイク", 3850, "regular", weight=0.8),
    Product("HC-0301", "ボタニカルシャンプー 300mL", "ヘアケア", 2860, "regular",
            start=date(2024, 4, 1), weight=1.2),
    Product("HC-0302", "ボタニカルトリートメント 300g", "ヘアケア", 2860, "regular",
            start=date(2024, 4, 1), weight=1.1),
    Product("HC-0311", "ヘアオイル 50mL", "ヘアケア", 3300, "regular",
            start=date(2024, 4, 1), weight=0.8),
    Product("BC-0401", "髙橋農園のゆずボディミルク 200mL", "ボディケア", 2750, "regular",
            weight=1.0, season=WINTER),
    Product("BC-0411", "宮﨑日向夏ハンドクリーム 50g", "ボディケア", 1540, "regular",
            weight=1.1, season=WINTER),
    Product("BC-0421", "ボタニカルボディウォッシュ 400mL", "ボディケア", 2200, "regular",
            weight=0.8),
    Product("SP-0501", "コラーゲンドリンク 50mL×10本", "サプリ", 4320, "regular", weight=0.9),
    Product("SP-0511", "ビタミンC+ 30日分", "サプリ", 2980, "regular",
            start=date(2025, 3, 1), weight=0.9),
    Product("GF-0001", "ギフトラッピング(巾着・メッセージカード)", "ギフト", 330, "service",
            weight=0.25, season={12: 8.0, 11: 2.0, 3: 1.5, 5: 2.0}),
    *_coffret(2023, "23"), *_coffret(2024, "24"), *_coffret(2025, "25"),
    *_summer(2024, "24"), *_summer(2025, "25"), *_summer(2026, "26"),
]

STARTER_ANCHORS = ["SK-0902", "SK-0101", "SK-0111"]
STARTER_ANCHOR_P = [0.45, 0.30, 0.25]
TRIAL_CODE = "SK-0901"

# --------------------------------------------------------------------------------------
# Calendar: seasonality, sales and coupons
# --------------------------------------------------------------------------------------

DAYS = [START + timedelta(days=i) for i in range(N_DAYS)]
LAUNCH_DAYS, LAUNCH_BOOST = 61, 2.0
PRE_REGISTRATION = date(2023, 9, 1)     # members could sign up two months before opening

MONTH_FACTOR = {1: 0.80, 2: 0.82, 3: 1.05, 4: 0.98, 5: 1.0, 6: 1.05, 7: 1.10, 8: 0.85,
                9: 0.92, 10: 1.0, 11: 1.05, 12: 1.15}


@dataclass(frozen=True)
class Sale:
    code: str
    start: date
    end: date
    pct: float
    boost: float


SALES: list[Sale] = []
for _y in (2023, 2024, 2025):
    SALES.append(Sale(f"BF{_y}", date(_y, 11, 20), date(_y, 11, 30), 0.20, 2.6))
    SALES.append(Sale(f"XMAS{_y}", date(_y, 12, 1), date(_y, 12, 25), 0.10, 1.9))
for _y in (2024, 2025, 2026):
    SALES.append(Sale(f"SUMMER{_y % 100}", date(_y, 7, 1), date(_y, 7, 15), 0.15, 2.4))
# A small anniversary sale each autumn (the shop opened on 1 November).
for _y in (2024, 2025):
    SALES.append(Sale(f"ANNIV{_y % 100}", date(_y, 10, 25), date(_y, 10, 31), 0.10, 1.5))


def _sale_on(d: date) -> Sale | None:
    for s in SALES:
        if s.start <= d <= s.end:
            return s
    return None


SALE_OF_DAY = [_sale_on(d) for d in DAYS]
BASE_INTENSITY = np.array(
    [MONTH_FACTOR[d.month] * (SALE_OF_DAY[i].boost if SALE_OF_DAY[i] else 1.0)
     for i, d in enumerate(DAYS)]
)
BASE_INTENSITY = BASE_INTENSITY / BASE_INTENSITY.mean()

# Hour-of-day weights for web orders and for phone orders.
WEB_HOURS = np.array([2.0, 1.2, 0.6, 0.3, 0.2, 0.4, 0.9, 1.8, 2.6, 3.4, 4.2, 4.6, 6.0, 5.6,
                      4.6, 4.4, 4.4, 4.6, 4.8, 5.6, 7.4, 9.0, 9.2, 5.4])
PHONE_HOURS = np.array([0] * 9 + [5, 7, 7, 4, 6, 7, 6, 5, 3] + [0] * 6, dtype=float)

SALES_CHANNELS = ["公式EC", "公式アプリ", "楽天市場", "Amazon", "電話注文"]
APP_LAUNCH = date(2024, 6, 1)

ACQ_CHANNELS = ["紹介", "Instagram", "Instagram広告", "検索", "アフィリエイト", "店舗",
                "テレビ通販", "LINE"]
ACQ_P = {
    "loyal":   [0.30, 0.27, 0.08, 0.12, 0.02, 0.11, 0.04, 0.06],
    "middle":  [0.10, 0.14, 0.16, 0.22, 0.10, 0.10, 0.08, 0.10],
    "one_off": [0.04, 0.07, 0.22, 0.20, 0.23, 0.06, 0.08, 0.10],
    "lapsed":  [0.06, 0.10, 0.18, 0.20, 0.16, 0.08, 0.12, 0.10],
    "bargain": [0.02, 0.04, 0.15, 0.20, 0.37, 0.02, 0.05, 0.15],
    "engaged": [0.14, 0.27, 0.12, 0.16, 0.05, 0.14, 0.04, 0.08],
    "new":     [0.10, 0.16, 0.20, 0.20, 0.12, 0.08, 0.06, 0.08],
}
AGES = ["20代", "30代", "40代", "50代", "60代以上"]
AGE_P = {
    "loyal":   [0.05, 0.40, 0.41, 0.10, 0.04],
    "middle":  [0.15, 0.32, 0.30, 0.15, 0.08],
    "one_off": [0.28, 0.30, 0.22, 0.12, 0.08],
    "lapsed":  [0.22, 0.30, 0.25, 0.14, 0.09],
    "bargain": [0.32, 0.35, 0.19, 0.09, 0.05],
    "engaged": [0.18, 0.34, 0.30, 0.12, 0.06],
    "new":     [0.26, 0.32, 0.24, 0.11, 0.07],
}
AGE_P_TV = [0.02, 0.08, 0.20, 0.35, 0.35]
GENDERS = ["女性", "男性", "回答しない"]
REGIONS = ["北海道・東北", "関東", "中部", "近畿", "中国・四国", "九州・沖縄"]
REGION_P = [0.10, 0.36, 0.17, 0.18, 0.08, 0.11]


# --------------------------------------------------------------------------------------
# Simulation
# --------------------------------------------------------------------------------------


@dataclass
class Customer:
    idx: int
    kind: str
    first_day: int
    acq: str
    age: str
    gender: str
    region: str
    main_channel: str
    order_days: list[int] = field(default_factory=list)
    member_id: str = ""
    signup: date | None = None


@dataclass
class Order:
    customer: Customer
    day: int
    seconds: int
    channel: str
    coupon: str
    lines: list[tuple[Product, int, int]]   # product, quantity, discount
    first: bool
    order_no: str = ""


def _cum_intensity(power: float) -> np.ndarray:
    s = BASE_INTENSITY ** power
    s = s / s.mean()
    return np.concatenate([[0.0], np.cumsum(s)])   # length N_DAYS + 1; value at day start


CUM = {t: _cum_intensity(PROFILES[t].sale_boost) for t in TYPES}


def _day_from_cum(cum: np.ndarray, tau: np.ndarray) -> np.ndarray:
    return np.floor(np.interp(tau, cum, np.arange(N_DAYS + 1))).astype(int)


def _d(x: date) -> int:
    return (x - START).days


def _pick_day(rng: np.random.Generator, lo: int, hi: int, growth: float = 0.0) -> int:
    """A day in [lo, hi] drawn in proportion to seasonal intensity, a trend and the
    grand-opening campaign (first 61 days acquire twice as many customers)."""
    days = np.arange(lo, hi + 1)
    w = BASE_INTENSITY[lo:hi + 1] * (1.0 + growth * days / N_DAYS)
    w = w * np.where(days < LAUNCH_DAYS, LAUNCH_BOOST, 1.0)
    return int(rng.choice(days, p=w / w.sum()))


def _repeat_days(rng: np.random.Generator, kind: str, start: int, stop: int,
                 rate: float) -> list[int]:
    """Order days after ``start`` up to ``stop`` (inclusive) as a seasonal renewal process."""
    if rate <= 0 or stop <= start:
        return []
    prof = PROFILES[kind]
    cum = CUM[kind]
    mean_gap = 365.0 / rate
    tau0, tau1 = cum[start], cum[stop + 1]
    n = int((tau1 - tau0) / mean_gap * 2) + 4
    gaps = rng.gamma(prof.gamma_shape, mean_gap / prof.gamma_shape, size=n)
    tau = tau0 + np.cumsum(gaps)
    tau = tau[tau < tau1]
    return [int(d) for d in _day_from_cum(cum, tau)]


def _simulate_customers(rng: np.random.Generator) -> list[Customer]:
    customers: list[Customer] = []
    for kind in TYPES:
        for _ in range(TYPE_COUNTS[kind]):
            acq = ACQ_CHANNELS[rng.choice(len(ACQ_CHANNELS), p=ACQ_P[kind])]
            age_p = AGE_P_TV if acq == "テレビ通販" else AGE_P[kind]
            age = AGES[rng.choice(5, p=age_p)]
            gp = [0.95, 0.03, 0.02] if kind == "loyal" else [0.88, 0.08, 0.04]
            gender = GENDERS[rng.choice(3, p=gp)]
            region = REGIONS[rng.choice(len(REGIONS), p=REGION_P)]
            if acq == "テレビ通販" or (age == "60代以上" and rng.random() < 0.4):
                main = "電話注文"
            else:
                cp = {
                    "loyal": [0.58, 0.30, 0.06, 0.04, 0.02],
                    "bargain": [0.30, 0.10, 0.34, 0.26, 0.0],
                }.get(kind, [0.58, 0.14, 0.15, 0.11, 0.02])
                main = SALES_CHANNELS[rng.choice(5, p=cp)]
            c = Customer(len(customers), kind, 0, acq, age, gender, region, main)
            _plan_orders(rng, c)
            customers.append(c)
    return customers


def _plan_orders(rng: np.random.Generator, c: Customer) -> None:
    kind, prof = c.kind, PROFILES[c.kind]
    last = N_DAYS - 1
    rate = float(rng.uniform(*prof.rate)) if prof.rate[1] > 0 else 0.0
    stop = last
    if kind == "loyal":
        first = _pick_day(rng, 0, _d(date(2025, 10, 31)), growth=-0.8)
    elif kind == "middle":
        first = _pick_day(rng, 0, _d(date(2026, 4, 30)), growth=-0.6)
        if rng.random() < 0.2:                   # cooling off: stopped a few months ago
            stop = last - int(rng.integers(40, 150))
    elif kind == "one_off":
        first = _pick_day(rng, 0, _d(date(2026, 7, 31)), growth=0.6)
    elif kind == "lapsed":
        stop = _pick_day(rng, _d(date(2024, 11, 1)), _d(date(2026, 4, 30)))
        first = _pick_day(rng, 0, max(stop - 180, 1), growth=-0.8)
    elif kind == "bargain":
        first = _pick_day(rng, 0, _d(date(2026, 1, 31)), growth=-0.6)
        if rng.random() < 0.2:
            stop = last - int(rng.integers(30, 200))
    elif kind == "engaged":
        first = _pick_day(rng, 0, _d(date(2026, 6, 30)))
    else:  # new
        first = _pick_day(rng, _d(date(2026, 8, 1)), last)
    c.first_day = first
    days = [first]
    if kind != "one_off" and stop > first:
        if rng.random() < prof.p_quick_second:
            second = first + int(rng.integers(7, 46))
        else:
            second = first + int(rng.integers(46, 46 + int(max(60, 730 / max(rate, 1.0)))))
        if second <= stop:
            days.append(second)
            days += _repeat_days(rng, kind, second, stop, rate)
        elif kind == "lapsed":
            days.append(stop)
    if kind == "lapsed" and days[-1] != stop and stop > days[-1]:
        days.append(stop)
    if kind == "engaged":
        days = days[: 1 + int(rng.choice([0, 1, 1, 2]))]
    if kind == "new":
        days = days[:3]
    # one order per customer per day at most
    c.order_days = sorted(set(d for d in days if 0 <= d <= stop))


def _coupon_for(rng: np.random.Generator, c: Customer, day: int, first: bool,
                prev_day: int | None) -> tuple[str, float, int]:
    """(code, percent off, yen off) for an order that uses a coupon."""
    sale = SALE_OF_DAY[day]
    if sale is not None:
        return sale.code, sale.pct, 0
    if first:
        if c.acq == "アフィリエイト":
            return "AFF15", 0.15, 0
        if c.acq == "LINE":
            return "LINE500", 0.0, 500
        return "WELCOME10", 0.10, 0
    if prev_day is not None and day - prev_day > 150:
        return "COMEBACK20", 0.20, 0
    d = DAYS[day]
    r = rng.random()
    if r < 0.60:
        return f"MM{d.year % 100:02d}{d.month:02d}", 0.10, 0
    if r < 0.88:
        return "LINE500", 0.0, 500
    return "BDAY15", 0.15, 0


def _available(p: Product, d: date) -> bool:
    return p.start <= d <= p.end


def _product_weights(kind: str, d: date, first: bool) -> np.ndarray:
    w = np.empty(len(CATALOGUE))
    for i, p in enumerate(CATALOGUE):
        if not _available(p, d):
            w[i] = 0.0
            continue
        x = p.weight * p.season.get(d.month, 1.0)
        if first and p.kind == "refill":
            x = 0.0
        if kind == "loyal":
            x *= {"refill": 2.6, "staple": 1.4, "limited": 2.2, "trial": 0.05}.get(p.kind, 1.0)
            if p.category == "サプリ":
                x *= 1.5
        elif kind == "bargain":
            if p.price < 3000:
                x *= 3.0
            x *= {"limited": 0.4, "starter": 0.1, "trial": 3.0, "refill": 0.7}.get(p.kind, 1.0)
        elif kind == "middle":
            if p.price > 6000:
                x *= 0.6
        elif kind in ("one_off", "new"):
            x *= {"refill": 0.3, "trial": 2.0}.get(p.kind, 1.0)
        w[i] = x
    return w


_CODE_INDEX = {p.code: i for i, p in enumerate(CATALOGUE)}
_NOT_SERVICE = np.array([p.kind != "service" for p in CATALOGUE], dtype=float)
_WEIGHT_CACHE: dict[tuple[str, int, int, bool], np.ndarray] = {}


def _weights_cached(kind: str, d: date, first: bool) -> np.ndarray:
    key = (kind, d.year, d.month * 100 + d.day, first)
    if key not in _WEIGHT_CACHE:
        _WEIGHT_CACHE[key] = _product_weights(kind, d, first)
    return _WEIGHT_CACHE[key]


def _quantity(rng: np.random.Generator, p: Product) -> int:
    if p.kind in ("starter", "trial", "limited", "service"):
        return 1
    r = rng.random()
    if p.kind == "refill" or p.category == "サプリ":
        return 3 if r < 0.04 else 2 if r < 0.22 else 1
    return 3 if r < 0.01 else 2 if r < 0.06 else 1


def _build_order(rng: np.random.Generator, c: Customer, day: int, first: bool,
                 prev_day: int | None) -> Order:
    prof = PROFILES[c.kind]
    d = DAYS[day]
    # channel
    channel = c.main_channel
    if rng.random() < 0.12:
        channel = SALES_CHANNELS[rng.choice(5, p=[0.6, 0.2, 0.1, 0.08, 0.02])]
    if channel == "公式アプリ" and d < APP_LAUNCH:
        channel = "公式EC"
    hours = PHONE_HOURS if channel == "電話注文" else WEB_HOURS
    hour = int(rng.choice(24, p=hours / hours.sum()))
    seconds = hour * 3600 + int(rng.integers(0, 3600))
    # coupon
    if first:
        use = rng.random() < prof.p_coupon_first
    elif SALE_OF_DAY[day] is not None:
        use = rng.random() < prof.p_coupon_sale
    else:
        use = rng.random() < prof.p_coupon
    if channel in ("楽天市場", "Amazon") and not (c.kind == "bargain" or SALE_OF_DAY[day]):
        use = use and rng.random() < 0.5          # marketplace orders rarely use shop coupons
    code, pct, yen = _coupon_for(rng, c, day, first, prev_day) if use else ("", 0.0, 0)
    # lines
    if first:
        n_lines = 1 + (rng.random() < prof.p_multi_first) * (1 + int(rng.random() < 0.3))
    else:
        n_lines = 1 + int(rng.choice(len(prof.lines), p=prof.lines))
    chosen: list[int] = []
    if first:
        r = rng.random()
        if r < prof.p_staple_first:
            chosen.append(_CODE_INDEX[STARTER_ANCHORS[rng.choice(3, p=STARTER_ANCHOR_P)]])
        elif r < prof.p_staple_first + prof.p_trial_first:
            chosen.append(_CODE_INDEX[TRIAL_CODE])
    w = _weights_cached(c.kind, d, first).copy()
    if first:
        w[_CODE_INDEX[TRIAL_CODE]] = 0.0 if chosen else w[_CODE_INDEX[TRIAL_CODE]] * 0.2
    for i in chosen:
        w[i] = 0.0
    while len(chosen) < n_lines and w.sum() > 0:
        pick = w if chosen else w * _NOT_SERVICE    # gift wrapping never comes alone
        i = int(rng.choice(len(w), p=pick / pick.sum()))
        chosen.append(i)
        w[i] = 0.0
    lines: list[tuple[Product, int, int]] = []
    for i in chosen:
        p = CATALOGUE[i]
        q = _quantity(rng, p)
        disc = int(math.floor(q * p.price * pct)) if p.kind != "service" else 0
        lines.append((p, q, disc))
    if yen:
        j = max(range(len(lines)), key=lambda k: lines[k][0].price * lines[k][1])
        p, q, _ = lines[j]
        lines[j] = (p, q, min(yen, q * p.price))
    return Order(c, day, seconds, channel, code, lines, first)


def _assign_member_ids(rng: np.random.Generator, customers: list[Customer]) -> None:
    """Signup dates on or before the first order; member numbers in signup order with gaps."""
    for c in customers:
        first = DAYS[c.first_day]
        r = rng.random()
        if r < 0.55:
            lag = 0
        elif r < 0.85:
            lag = int(rng.integers(1, 30))
        else:
            lag = int(rng.integers(30, 240))
        c.signup = max(first - timedelta(days=lag), PRE_REGISTRATION)
    order = sorted(customers, key=lambda c: (c.signup, c.idx))
    number = 1000
    for c in order:
        number += int(rng.geometric(0.55))   # members who never ordered leave gaps
        c.member_id = f"{number:07d}"


def _simulate(seed: int):
    rng = np.random.default_rng(seed)
    customers = _simulate_customers(rng)
    _assign_member_ids(rng, customers)
    orders: list[Order] = []
    for c in customers:
        prev = None
        for k, day in enumerate(c.order_days):
            orders.append(_build_order(rng, c, day, k == 0, prev))
            prev = day
    orders.sort(key=lambda o: (o.day, o.seconds, o.customer.member_id))
    seq_by_day: dict[int, int] = {}
    for o in orders:
        seq_by_day[o.day] = seq_by_day.get(o.day, 0) + 1
        o.order_no = f"{DAYS[o.day]:%Y%m%d}{seq_by_day[o.day] + 100:05d}"
    # returns: one line of an order comes back 3-21 days later (within the export period)
    returns = []
    for o in orders:
        p_ret = PROFILES[o.customer.kind].p_return
        if any(p.category == "メイク" for p, _, _ in o.lines):
            p_ret *= 1.6
        if rng.random() >= p_ret:
            continue
        rday = o.day + int(rng.integers(3, 22))
        if rday > N_DAYS - 1:
            continue
        candidates = [k for k, (p, _, _) in enumerate(o.lines) if p.kind != "service"]
        k = candidates[int(rng.integers(0, len(candidates)))]
        rsec = int(rng.integers(10 * 3600, 18 * 3600))
        returns.append((o, k, rday, rsec))
    return customers, orders, returns


# --------------------------------------------------------------------------------------
# Rows and files
# --------------------------------------------------------------------------------------


def _dt(day: int, seconds: int) -> datetime:
    return datetime.combine(DAYS[day], datetime.min.time()) + timedelta(seconds=seconds)


def order_rows(orders: list[Order], returns) -> list[list]:
    """Order lines as Python values: str, str, datetime, str, str, str, int, int, int, int, ..."""
    keyed = []
    for o in orders:
        for k, (p, q, disc) in enumerate(o.lines):
            row = [o.order_no, o.customer.member_id, _dt(o.day, o.seconds), p.code, p.name,
                   p.category, q, p.price, disc, q * p.price - disc, o.coupon, o.channel, "購入"]
            keyed.append(((o.day, o.seconds, o.order_no, 0, k), row))
    for o, k, rday, rsec in returns:
        p, q, disc = o.lines[k]
        row = [o.order_no, o.customer.member_id, _dt(rday, rsec), p.code, p.name, p.category,
               -q, p.price, -disc, -(q * p.price - disc), "", o.channel, "返品"]
        keyed.append(((rday, rsec, o.order_no, 1, k), row))
    keyed.sort(key=lambda kr: kr[0])
    return [r for _, r in keyed]


def _csv_text(header: list[str], rows: list[list], lineterminator: str) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=lineterminator, quoting=csv.QUOTE_MINIMAL)
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else f"{v:%Y/%m/%d %H:%M:%S}" if isinstance(v, datetime)
                    else v for v in r])
    return buf.getvalue()


def _encode_cp932(text: str) -> bytes:
    data = text.encode("cp932")
    if data.decode("cp932") != text:  # e.g. U+301C WAVE DASH would come back as U+FF5E
        raise ValueError("text does not round-trip through cp932")
    return data


def _write_xlsx(path: Path, rows: list[list], n_orders: int) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {
        "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
        "default_date_format": "yyyy/mm/dd hh:mm",
    })
    wb.set_properties({"title": f"{BRAND} 公式オンラインストア 注文明細",
                       "author": "受注管理システム", "created": EXPORTED_AT})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    dt_fmt = wb.add_format({"num_format": "yyyy/mm/dd hh:mm"})
    yen = wb.add_format({"num_format": "#,##0"})
    ws = wb.add_worksheet("注文明細")
    widths = [15, 10, 17, 10, 40, 10, 6, 9, 9, 10, 12, 11, 8]
    for j, (name, wdt) in enumerate(zip(ORDER_COLUMNS, widths)):
        ws.write_string(0, j, name, head)
        ws.set_column(j, j, wdt)
    for i, r in enumerate(rows, start=1):
        ws.write_string(i, 0, r[0])
        ws.write_string(i, 1, r[1])
        ws.write_datetime(i, 2, r[2], dt_fmt)
        ws.write_string(i, 3, r[3])
        ws.write_string(i, 4, r[4])
        ws.write_string(i, 5, r[5])
        ws.write_number(i, 6, r[6])
        ws.write_number(i, 7, r[7], yen)
        ws.write_number(i, 8, r[8], yen)
        ws.write_number(i, 9, r[9], yen)
        if r[10]:
            ws.write_string(i, 10, r[10])
        else:
            ws.write_blank(i, 10, None)
        ws.write_string(i, 11, r[11])
        ws.write_string(i, 12, r[12])
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, len(rows), len(ORDER_COLUMNS) - 1)
    meta = wb.add_worksheet("出力条件")
    meta.set_column(0, 0, 16)
    meta.set_column(1, 1, 48)
    info = [
        ("出力日時", f"{EXPORTED_AT:%Y/%m/%d %H:%M:%S}"),
        ("ショップ", f"{BRAND} 公式オンラインストア(架空)"),
        ("対象期間", f"{START:%Y/%m/%d} 00:00:00 ～ {END:%Y/%m/%d} 23:59:59"),
        ("対象", "全販売チャネルの受注明細(購入・返品)"),
        ("明細行数", len(rows)),
        ("受注件数", n_orders),
        ("出力者", "システム自動出力"),
        ("備考", "返品は元の受注番号で、数量・値引額・小計をマイナスで計上"),
    ]
    meta.write_string(0, 0, "項目", head)
    meta.write_string(0, 1, "内容", head)
    for i, (k, v) in enumerate(info, start=1):
        meta.write_string(i, 0, k)
        if isinstance(v, int):
            meta.write_number(i, 1, v)
        else:
            meta.write_string(i, 1, v)
    wb.close()


def _pct(x: float) -> str:
    return f"{x:.1f}"


def customer_rows(rng: np.random.Generator, customers: list[Customer],
                  orders: list[Order]) -> list[list]:
    n_orders = {c.idx: 0 for c in customers}
    for o in orders:
        n_orders[o.customer.idx] += 1
    rows = []
    for c in sorted(customers, key=lambda c: c.member_id):
        k, n = c.kind, n_orders[c.idx]
        # (open %, sd), click ratio, logins/yr, events, SNS, review share of orders, inquiries
        spec = {
            "loyal":   ((56, 12), 0.30, 42, 2.2, 28, 0.45, 1.6),
            "middle":  ((34, 12), 0.20, 14, 0.35, 5, 0.15, 0.7),
            "one_off": ((14, 9), 0.12, 1.2, 0.02, 0.4, 0.06, 0.25),
            "lapsed":  ((9, 7), 0.10, 1.5, 0.08, 0.8, 0.10, 0.6),
            "bargain": ((22, 9), 0.12, 10, 0.03, 0.6, 0.03, 0.9),
            "engaged": ((66, 11), 0.32, 46, 2.8, 22, 0.50, 1.2),
            "new":     ((42, 15), 0.22, 9, 0.15, 3, 0.10, 0.4),
        }[k]
        (mu, sd), click, logins, events, sns, rev, inq = spec
        open_r = float(np.clip(rng.normal(mu, sd), 0, 98))
        click_r = float(np.clip(open_r * click * rng.uniform(0.6, 1.4), 0, open_r))
        login_n = int(rng.poisson(logins * rng.uniform(0.5, 1.5)))
        event_n = int(rng.poisson(events))
        sns_n = int(rng.poisson(sns * rng.uniform(0.3, 1.7)))
        if c.acq.startswith("Instagram") and k in ("loyal", "engaged", "middle"):
            sns_n += int(rng.poisson(6))
        review_n = int(min(n, rng.binomial(n, rev)))
        inq_n = int(rng.poisson(inq))
        resp = {"loyal": 0.80, "middle": 0.60, "one_off": 0.42, "lapsed": 0.45,
                "bargain": 0.52, "engaged": 0.74, "new": 0.45}[k]
        nps_mu, nps_sd = {"loyal": (9.2, 0.9), "middle": (7.4, 1.6), "one_off": (6.4, 2.0),
                          "lapsed": (5.3, 2.2), "bargain": (4.8, 1.8), "engaged": (8.5, 1.2),
                          "new": (7.6, 1.6)}[k]
        if rng.random() < resp:
            nps = int(np.clip(round(rng.normal(nps_mu, nps_sd)), 0, 10))
            sat = int(np.clip(round(1 + nps * 0.4 + rng.normal(0, 0.5)), 1, 5))
            nps_s, sat_s = str(nps), str(sat)
        else:
            nps_s = sat_s = ""
        rows.append([c.member_id, c.age, c.gender, c.region, c.acq, f"{c.signup:%Y/%m/%d}",
                     _pct(open_r), _pct(click_r), login_n, event_n, sns_n, review_n, inq_n,
                     nps_s, sat_s])
    return rows


# BtoB accounts of a fictional SaaS vendor ------------------------------------------------

B2B_PREFIX = ["そらまめ", "ほしぞら", "あおば", "こもれび", "みなと", "ひだまり", "つばさ", "わかば",
              "いろどり", "しおさい", "ゆうなぎ", "はるかぜ", "やまびこ", "かざぐるま", "あさひ",
              "こはる", "すずらん", "ふたば", "みずほの", "やまなみ", "さくら草", "ながれぼし",
              "あかね", "しろくま", "こまどり", "ささぶね", "たんぽぽ", "うみねこ", "つきみ",
              "まつぼっくり"]
B2B_INDUSTRY = [
    ("ITサービス", ["システム", "ソフト", "テック", "データ"]),
    ("製造業", ["精機", "工業", "製作所", "化成"]),
    ("小売・EC", ["商店", "マート", "リテール"]),
    ("不動産", ["不動産", "ホーム", "エステート"]),
    ("人材サービス", ["キャリア", "スタッフ", "ワークス"]),
    ("医療・介護", ["ケアサービス", "メディカル"]),
    ("物流", ["物流", "運輸", "ロジスティクス"]),
    ("広告・メディア", ["企画", "広告", "メディア"]),
    ("教育", ["ラーニング", "学院", "エデュケーション"]),
    ("金融・保険", ["保険サービス", "フィナンシャル"]),
]
B2B_INDUSTRY_P = [0.22, 0.16, 0.10, 0.08, 0.09, 0.08, 0.08, 0.07, 0.06, 0.06]
B2B_SIZES = [("1〜49名", 15, 50), ("50〜99名", 30, 90), ("100〜299名", 55, 160),
             ("300〜499名", 100, 260), ("500〜999名", 160, 420), ("1,000名以上", 300, 800)]
B2B_SIZE_P = [0.18, 0.22, 0.26, 0.16, 0.11, 0.07]


def b2b_rows(rng: np.random.Generator, n: int = 60) -> list[list]:
    used: set[str] = set()
    rows = []
    for i in range(n):
        if i == 0:   # the seeds' 例1: an IT services company of 300-499 people, 6+ years
            ind, size, health, months, fee = 0, 3, 0.95, 78, 165_000
        else:
            ind = int(rng.choice(len(B2B_INDUSTRY), p=B2B_INDUSTRY_P))
            size = int(rng.choice(len(B2B_SIZES), p=B2B_SIZE_P))
            health = float(rng.beta(2.2, 1.6))
            months = int(np.clip(round(rng.gamma(2.0, 14 + 22 * health)), 3, 96))
            lo, hi = B2B_SIZES[size][1:]
            fee = int(round(rng.uniform(lo, hi) * (0.8 + 0.4 * health))) * 1000
        industry, suffixes = B2B_INDUSTRY[ind]
        while True:
            name = B2B_PREFIX[int(rng.integers(len(B2B_PREFIX)))] + \
                suffixes[int(rng.integers(len(suffixes)))]
            if name not in used:
                used.add(name)
                break
        company = f"株式会社{name}" if rng.random() < 0.7 else f"{name}株式会社"
        depts = int(np.clip(round(0.6 + health * 3 + size * 0.35 + rng.normal(0, 0.8)), 1, 8))
        meetings = int(np.clip(round(health * 9 + rng.normal(0, 1.5)), 0, 12))
        if i == 0:
            depts, meetings = 4, 3
        if health > 0.35:
            last_gap = int(rng.integers(0, 15))
        else:
            last_gap = int(rng.integers(20, 200))
        last_use = END - timedelta(days=last_gap)
        inquiries = int(rng.poisson(2 + 6 * health if health > 0.5 else 4 + 8 * (1 - health)))
        case = "あり" if (i == 0 or (health > 0.7 and rng.random() < 0.55)) else "なし"
        nps = 10 if i == 0 else int(np.clip(round(rng.normal(3 + 7 * health, 1.3)), 0, 10))
        rating = 5 if i == 0 else int(np.clip(round(1 + 4 * health + rng.normal(0, 0.6)), 1, 5))
        rows.append([f"A{i + 1:04d}", company, industry, B2B_SIZES[size][0], fee * 12, fee,
                     f"{months / 12:.1f}", months, depts, meetings, f"{last_use:%Y/%m/%d}",
                     inquiries, case, nps, rating])
    return rows


# --------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------
# A campaign with a held-out control group (the 施策効果 page's demo)
# --------------------------------------------------------------------------------------

#: An autumn e-mail with a coupon, sent on this day to every member who had ordered
#: by then; a random 30% were held out (group "holdout"), the rest got it ("mail").
CAMPAIGN_SEND = date(2026, 9, 1)
CAMPAIGN_DAYS = 30
CAMPAIGN_MAILED_SHARE = 0.7
#: How much the mail multiplies the chance of an order in the 30 days after the send, per
#: behaviour type: loyal customers buy anyway, the middle and bargain hunters respond.
CAMPAIGN_EFFECT = {"loyal": 1.05, "middle": 1.9, "bargain": 1.5, "engaged": 2.5, "lapsed": 1.0,
                   "one_off": 1.0, "new": 1.4}


def campaign_rows(customers: list[Customer], seed: int) -> list[list]:
    """Who got the campaign mail and who was held out, one row per member.

    The purchases were simulated without any campaign, so the group is drawn after
    the fact, from whether the member ordered in the window (send, send + 30 days]:
    with p the type's order rate in the window, π the mailed share and RR the
    type's effect, p₀ = p / (π·RR + 1 − π) and p₁ = RR·p₀, and Bayes' rule gives
    P(mail | ordered) = π·RR / (π·RR + 1 − π) and
    P(mail | no order) = π(1 − p₁) / (π(1 − p₁) + (1 − π)(1 − p₀)).  Groups and
    orders then look as a randomised test with these effects would.  Its own
    random stream: the other files do not change.
    """
    rng = np.random.default_rng(seed + 3)
    send = _d(CAMPAIGN_SEND)
    members = sorted((c for c in customers if c.order_days and c.order_days[0] <= send),
                     key=lambda c: c.member_id)
    ordered = {c.member_id: any(send < d <= send + CAMPAIGN_DAYS for d in c.order_days) for c in members}
    rate = {k: np.mean([ordered[c.member_id] for c in members if c.kind == k] or [0.0]) for k in TYPES}
    pi, rows = CAMPAIGN_MAILED_SHARE, []
    for c in members:
        rr = CAMPAIGN_EFFECT[c.kind]
        p0 = rate[c.kind] / (pi * rr + 1 - pi)
        p1 = rr * p0
        q = pi * rr / (pi * rr + 1 - pi) if ordered[c.member_id] else \
            pi * (1 - p1) / (pi * (1 - p1) + (1 - pi) * (1 - p0))
        rows.append([c.member_id, "mail" if rng.random() < q else "holdout", f"{CAMPAIGN_SEND:%Y/%m/%d}"])
    return rows


@dataclass
class Dataset:
    customers: list[Customer]
    orders: list[Order]
    returns: list
    order_rows: list[list]
    customer_rows: list[list]
    b2b_rows: list[list]

    def type_of(self) -> dict[str, str]:
        """会員番号 -> behaviour type key (the simulation's ground truth)."""
        return {c.member_id: c.kind for c in self.customers}


def build(seed: int = SEED) -> Dataset:
    """Simulate everything in memory (deterministic for a given seed)."""
    customers, orders, returns = _simulate(seed)
    rows = order_rows(orders, returns)
    last_purchase = max(r[2] for r in rows if r[12] == "購入").date()
    if last_purchase != END:
        raise AssertionError(f"last order date is {last_purchase}, expected {END}")
    crow = customer_rows(np.random.default_rng(seed + 1), customers, orders)
    brow = b2b_rows(np.random.default_rng(seed + 2))
    return Dataset(customers, orders, returns, rows, crow, brow)


def main(out_dir: str | Path | None = None, seed: int = SEED) -> dict[str, Path]:
    """Write all sample files into ``out_dir`` (default: this folder) and return their paths."""
    out = Path(out_dir) if out_dir is not None else OUT_DIR
    out.mkdir(parents=True, exist_ok=True)
    ds = build(seed)
    paths = {name: out / name for name in (ORDERS_CSV, ORDERS_XLSX, CUSTOMERS_CSV, B2B_CSV, CAMPAIGN_CSV)}
    paths[ORDERS_CSV].write_bytes(_encode_cp932(_csv_text(ORDER_COLUMNS, ds.order_rows, "\r\n")))
    _write_xlsx(paths[ORDERS_XLSX], ds.order_rows, len(ds.orders))
    paths[CUSTOMERS_CSV].write_bytes(
        _csv_text(CUSTOMER_COLUMNS, ds.customer_rows, "\n").encode("utf-8-sig"))
    paths[B2B_CSV].write_bytes(
        _csv_text(B2B_COLUMNS, ds.b2b_rows, "\r\n").encode("utf-8-sig"))
    paths[CAMPAIGN_CSV].write_bytes(
        _csv_text(CAMPAIGN_COLUMNS, campaign_rows(ds.customers, seed), "\r\n").encode("utf-8-sig"))
    return paths


def _cli(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write the workbench's demo data set.")
    ap.add_argument("out_dir", nargs="?", default=None,
                    help="output folder (default: the sample_data folder itself)")
    ap.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    args = ap.parse_args(argv)
    for name, path in main(args.out_dir, args.seed).items():
        print(f"{path}  {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(_cli())
