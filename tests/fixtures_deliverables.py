"""A small, hand-checked customer base for the deliverables tests (workbook, handout, lists).

As-of 2024-06-30, window 365 days, R/F/M only with equal weights (tests.helpers.rfm_equal),
the seeds' thresholds (R5 ≤ 30 days … R1 ≥ 180; F5 ≥ 10 … F2 ≥ 2; M5 ≥ ¥100,000 … M2 ≥ ¥10,000):

======  ===========================  =========  =====  ====  ============  =================
id      orders                       last       R F M  score tier          segment
======  ===========================  =========  =====  ====  ============  =================
0001    10 × ¥12,000 (¥120,000)      06/25       5 5 5  100   top           champions
0005    6 × ¥10,000 (¥60,000)        06/10       5 4 4  86.7  top           champions
0002    3 × ¥20,000 (¥60,000)        05/20       4 3 4  73.3  middle        loyal
0004    2 × ¥8,000 (¥16,000)         04/15       3 2 2  46.7  low           need_attention
0003    1 × ¥5,000                   2023/12/01  1 1 1  20    low           lost
======  ===========================  =========  =====  ====  ============  =================

Revenue: top ¥180,000, middle ¥60,000, low ¥21,000, all ¥261,000.
The customer table gives names (one a formula, one with 𠮷, which CP932 cannot hold),
age bands and NPS answers.
"""

from datetime import date, timedelta

from loyalty.pipeline import InputFile, build_features, load_dataset
from loyalty.scoring import score
from tests.helpers import rfm_equal

AS_OF = date(2024, 6, 30)
ORDERS = {  # id: (number of orders, amount each, date of the last order, days between orders)
    "0001": (10, 12_000, date(2024, 6, 25), 7),
    "0005": (6, 10_000, date(2024, 6, 10), 10),
    "0002": (3, 20_000, date(2024, 5, 20), 30),
    "0004": (2, 8_000, date(2024, 4, 15), 20),
    "0003": (1, 5_000, date(2023, 12, 1), 0),
}
NAMES = {"0001": "髙橋 𠮷子", "0002": "佐藤 花子", "0003": '=HYPERLINK("http://example.com","x")',
         "0004": "田中 一郎", "0005": "鈴木 みどり"}
CUSTOMERS = """顧客ID,顧客名,年代,性別,NPS
0001,髙橋 𠮷子,30代,女性,10
0002,佐藤 花子,40代,女性,8
0003,"=HYPERLINK(""http://example.com"",""x"")",20代,男性,3
0004,田中 一郎,30代,男性,
0005,鈴木 みどり,30代,女性,9
"""
TIERS = {"0001": "top", "0005": "top", "0002": "middle", "0004": "low", "0003": "low"}
SEGMENTS = {"0001": "champions", "0005": "champions", "0002": "loyal", "0004": "need_attention", "0003": "lost"}
SCORES = {"0001": 100.0, "0005": 86.67, "0002": 73.33, "0004": 46.67, "0003": 20.0}
REVENUE = {"top": 180_000, "middle": 60_000, "low": 21_000}


def orders_csv() -> str:
    lines = ["会員番号,注文日,金額"]
    for cid, (n, amount, last, step) in ORDERS.items():
        for k in range(n):
            lines.append(f"{cid},{(last - timedelta(days=step * k)).isoformat()},{amount}")
    return "\n".join(lines) + "\n"


def build():
    """(features, score result, definition) of the fixture."""
    files = [InputFile("orders.csv", orders_csv().encode("utf-8")),
             InputFile("customers.csv", CUSTOMERS.encode("utf-8"))]
    features = build_features(load_dataset(files), as_of=AS_OF)
    d = rfm_equal().copy(name="テスト定義")
    return features, score(features.frame, d), d
