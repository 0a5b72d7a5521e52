"""App tests of the metrics pages (LTV・NPS・継続率 and 予測LTV) with AppTest.

Each page renders when reached directly, on the sample data; moving a control
changes what is shown.  Expected figures for the metrics page are computed
here straight from the sample CSV files with plain pandas (not through the
functions the page uses).  The 予測LTV page's own tests are in tests/test_app_clv.py.
"""

import json
import math

import numpy as np
import pandas as pd
import pytest

from loyalty.fmt import format_int, format_pct, format_yen
from loyalty.i18n import t
from tests.helpers import ROOT, app_test as _app, metrics as _metrics

ORDERS = ROOT / "sample_data" / "orders_cp932.csv"
CUSTOMERS = ROOT / "sample_data" / "customers.csv"
METRICS, CLV = "pages/metrics.py", "pages/clv.py"


def _charts(at) -> list[tuple[dict, list[pd.DataFrame]]]:
    """Each Altair chart's spec and its data frames."""
    from streamlit import dataframe_util

    out = []
    for c in at.get("vega_lite_chart"):
        frames = [dataframe_util.convert_arrow_bytes_to_pandas_df(d.data.data) for d in c.proto.datasets]
        out.append((json.loads(c.proto.spec), frames))
    return out


def _tab(at, key: str, name: str) -> None:
    at.session_state[key] = t(name)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


# --------------------------------------------------------------------------- independent figures


@pytest.fixture(scope="module")
def raw():
    """Purchase orders and net amounts of the sample, read with plain pandas."""
    lines = pd.read_csv(ORDERS, encoding="cp932", dtype={"受注番号": str, "会員番号": str})
    lines["day"] = pd.to_datetime(lines["注文日時"]).dt.normalize()
    buy = lines[(lines["取引区分"] == "購入") & (lines["小計"] > 0)]
    orders = buy.groupby("受注番号").agg(customer=("会員番号", "first"), day=("day", "min"),
                                        gross=("小計", "sum")).reset_index()
    as_of = lines["day"].max()
    return lines, orders, as_of


def _expected_mean_ltv(raw, margin: float) -> float:
    # average order value = net value (purchases − returns, every line up to the as-of date) per
    # order, 0 when the net is ≤ 0 (README "What the numbers mean", LTV)
    lines, orders, as_of = raw
    start = as_of - pd.Timedelta(days=365)
    per = orders.groupby("customer").agg(n=("day", "size"), first=("day", "min"))
    signed = np.where(lines["取引区分"] == "返品", -lines["小計"].abs(), lines["小計"])
    net = pd.Series(signed, index=lines["会員番号"]).groupby(level=0).sum().reindex(per.index)
    in_window = orders[orders["day"] > start].groupby("customer").size().reindex(per.index, fill_value=0)
    aov = np.maximum(net, 0) / per["n"]
    years = np.maximum((as_of - per["first"]).dt.days / 365, 1.0)
    assert set(lines["会員番号"]) == set(per.index)  # every customer has an order (none is valued 0 for that)
    return float((aov * in_window * years * margin).mean())


def _expected_retention(raw, months_per_period: int) -> float:
    _, orders, as_of = raw
    period = (orders["day"].dt.year * 12 + orders["day"].dt.month - 1) // months_per_period
    active = {p: set(g) for p, g in orders.groupby(period)["customer"]}
    last_complete = ((as_of + pd.Timedelta(days=1)).year * 12 + (as_of + pd.Timedelta(days=1)).month - 1) \
        // months_per_period - 1
    start = kept = 0
    for p in range(min(active) + 1, last_complete + 1):
        prev, cur = active.get(p - 1, set()), active.get(p, set())
        start += len(prev)
        kept += len(prev & cur)
    return kept / start


def _expected_f2(raw, horizon: int) -> float:
    _, orders, as_of = raw
    days = orders[["customer", "day"]].drop_duplicates().sort_values(["customer", "day"])
    first = days.groupby("customer")["day"].min()
    second = days[days["day"] > days["customer"].map(first)].groupby("customer")["day"].min()
    eligible = first[first + pd.Timedelta(days=horizon) <= as_of]
    gap = (second.reindex(eligible.index) - eligible).dt.days
    return float((gap <= horizon).sum() / len(eligible))


def _expected_top_share(raw, fraction: float) -> float:
    lines, orders, as_of = raw
    start = as_of - pd.Timedelta(days=365)
    buyers = set(orders.loc[orders["day"] > start, "customer"])
    net = lines[lines["day"] > start].groupby("会員番号")["小計"].sum()
    net = net[net.index.isin(buyers)].sort_values(ascending=False)
    k = math.ceil(round(fraction * len(net), 9))
    return float(net.iloc[:k].sum() / net.sum())


# --------------------------------------------------------------------------- metrics page


def test_metrics_page_renders_directly_with_the_ltv_formula(raw):
    at = _app(METRICS)
    assert at.title[0].value == t("metrics.title")
    assert not at.error
    assert any(t("metrics.ltv.formula.b2c") in i.value for i in at.info)
    m = _metrics(at)
    assert m[t("metrics.ltv.kpi.mean")] == format_yen(_expected_mean_ltv(raw, 1.0))
    tier_table = next(d.value for d in at.dataframe if "mean" in d.value.columns)
    assert tier_table["label"].tolist() == ["最重要顧客", "中堅層", "低貢献層"]


def test_gross_margin_and_assumed_years_change_the_ltv(raw):
    at = _app(METRICS)
    at.slider(key="w_metrics_margin").set_value(40).run()
    assert not at.exception
    m = _metrics(at)
    assert m[t("metrics.ltv.kpi.mean")] == format_yen(_expected_mean_ltv(raw, 0.4))
    assert any("粗利率 40%" in i.value for i in at.info)  # the formula shows the option
    before = m[t("metrics.ltv.kpi.total")]
    at.toggle(key="w_metrics_fixed_years").set_value(True).run()
    at.number_input(key="w_metrics_years").set_value(5.0).run()
    assert not at.exception
    assert _metrics(at)[t("metrics.ltv.kpi.total")] != before


def test_nps_tab_shows_the_survey_figures():
    cust = pd.read_csv(CUSTOMERS, encoding="utf-8-sig", dtype={"会員番号": str})
    answers = cust["NPS"].dropna()
    expected = 100 * ((answers >= 9).mean() - (answers <= 6).mean())
    at = _app(METRICS)
    _tab(at, "metrics_tab", "metrics.tab.nps")
    m = _metrics(at)
    assert m["NPS"] == f"{round(expected):+d}"  # a signed whole number, as on every page: "-14", "+40"
    assert round(expected, 1) == -13.7  # (the sample's survey; the persona cards and handout say -14 too)
    assert m[t("metrics.nps.kpi.respondents")] == format_int(len(answers))
    assert m[t("metrics.nps.cat.promoter")] == format_pct((answers >= 9).mean())
    table = next(d.value for d in at.dataframe if "nps" in d.value.columns)
    assert table["label"].tolist() == ["最重要顧客", "中堅層", "低貢献層", "全体"]
    assert table["respondents"].iloc[-1] == len(answers)
    # the 0–10 distribution chart is drawn with all eleven points
    dist = next(frames[0] for _, frames in _charts(at) if frames and "category_label" in frames[0].columns)
    assert dist["score"].tolist() == list(range(11))
    assert dist["respondents"].tolist() == [int((answers == k).sum()) for k in range(11)]

    before = _metrics(at)[t("metrics.nps.group.habitual_repeater")]
    at.slider(key="w_metrics_high_f").set_value(3).run()
    assert not at.exception
    after = _metrics(at)[t("metrics.nps.group.habitual_repeater")]
    assert int(after.replace(",", "")) > int(before.replace(",", ""))  # a lower bar admits more frequent buyers

    at.segmented_control(key="w_metrics_nps_group").set_value("segment").run()
    assert not at.exception
    seg_table = next(d.value for d in at.dataframe if "nps" in d.value.columns)
    assert "チャンピオン" in seg_table["label"].tolist()


@pytest.mark.slow
def test_continuity_tab_month_quarter_and_f2(raw):
    at = _app(METRICS)
    _tab(at, "metrics_tab", "metrics.tab.continuity")
    month = t("metrics.cont.period.month")
    quarter = t("metrics.cont.period.quarter")
    m = _metrics(at)
    assert m[t("metrics.cont.kpi.retention", period=month)] == format_pct(_expected_retention(raw, 1))
    assert m[t("metrics.cont.kpi.f2", days=90)] == format_pct(_expected_f2(raw, 90))
    assert any(t("metrics.cont.formula", period=month) == i.value for i in at.info)

    at.segmented_control(key="w_metrics_period").set_value("quarter").run()
    assert not at.exception
    m = _metrics(at)
    assert m[t("metrics.cont.kpi.retention", period=quarter)] == format_pct(_expected_retention(raw, 3))

    at.selectbox(key="w_metrics_f2_horizon").set_value(30).run()
    assert not at.exception
    assert _metrics(at)[t("metrics.cont.kpi.f2", days=30)] == format_pct(_expected_f2(raw, 30))
    # the cohort heatmap: first-purchase quarters × quarters since; Q4 2023 (the shop opened in November)
    # has 12 observed cells k = 0..11 (2026 Q4 is not over on the as-of date 2026/10/31)
    heat = next(frames[0] for _, frames in _charts(at) if frames and "cohort" in frames[0].columns)
    first = heat[heat["cohort"] == "2023 Q4"]
    assert first["k"].tolist() == list(range(12))
    assert first["share"].iloc[0] == 1.0


def test_pareto_tab_top_share_follows_the_slider(raw):
    at = _app(METRICS)
    _tab(at, "metrics_tab", "metrics.tab.pareto")
    assert _metrics(at)[t("metrics.pareto.kpi.top", pct="20%")] == format_pct(_expected_top_share(raw, 0.2))
    at.slider(key="w_metrics_pareto_top").set_value(10).run()
    assert not at.exception
    assert _metrics(at)[t("metrics.pareto.kpi.top", pct="10%")] == format_pct(_expected_top_share(raw, 0.1))


def test_a_customer_table_only_upload():
    data = (ROOT / "sample_data" / "b2b_accounts.csv").read_bytes()
    at = _app("pages/data.py")
    at.file_uploader(key="w_upload").set_value(("b2b_accounts.csv", data, "text/csv")).run()
    assert not at.exception
    at.switch_page(METRICS).run()
    assert not at.exception and not at.error
    # monthly fee × months (SaaS) is preferred, BtoB can be chosen
    assert any(t("metrics.ltv.formula.saas") in i.value for i in at.info)
    accounts = pd.read_csv(ROOT / "sample_data" / "b2b_accounts.csv", encoding="utf-8-sig")
    assert _metrics(at)[t("metrics.ltv.kpi.total")] == format_yen((accounts["月額利用料"] * accounts["契約月数"]).sum())
    at.segmented_control(key="w_metrics_ltv_basis_saas_b2b").set_value("b2b").run()
    assert any(t("metrics.ltv.formula.b2b") in i.value for i in at.info)
    assert _metrics(at)[t("metrics.ltv.kpi.total")] == format_yen((accounts["年間契約額"] * accounts["契約年数"]).sum())
    _tab(at, "metrics_tab", "metrics.tab.pareto")
    contract = accounts["年間契約額"].sort_values(ascending=False)
    assert _metrics(at)[t("metrics.pareto.kpi.top", pct="20%")] == format_pct(contract.iloc[:12].sum() / contract.sum())
    _tab(at, "metrics_tab", "metrics.tab.continuity")
    assert any(i.value == t("metrics.cont.unavailable") for i in at.info)
    at.switch_page(CLV).run()
    assert not at.exception
    # no transactions: the page opens on contracts (sBG); purchases say what they need
    assert at.segmented_control(key="w_clv_kind").value == "contract"
    at.segmented_control(key="w_clv_kind").set_value("purchase").run()
    assert any(i.value == t("clv.needs_transactions") for i in at.info)


def test_the_ltv_formula_follows_the_definition_preset():
    data = (ROOT / "sample_data" / "b2b_accounts.csv").read_bytes()
    at = _app("pages/data.py")
    at.file_uploader(key="w_upload").set_value(("b2b_accounts.csv", data, "text/csv")).run()
    at.switch_page("pages/definition.py").run()
    next(b for b in at.button if b.key == "w_preset_hint").click().run()
    assert at.session_state["definition"].preset == "b2b"
    at.switch_page(METRICS).run()
    assert not at.exception
    # a BtoB definition reads contract value × years first; SaaS stays one click away
    assert any(t("metrics.ltv.formula.b2b") in i.value for i in at.info)
    accounts = pd.read_csv(ROOT / "sample_data" / "b2b_accounts.csv", encoding="utf-8-sig")
    assert _metrics(at)[t("metrics.ltv.kpi.total")] == format_yen((accounts["年間契約額"] * accounts["契約年数"]).sum())
    at.segmented_control(key="w_metrics_ltv_basis_b2b_saas").set_value("saas").run()
    assert any(t("metrics.ltv.formula.saas") in i.value for i in at.info)


def test_english_metrics_pages():
    at = _app(METRICS)
    at.toggle(key="w_lang_en").set_value(True).run()
    assert at.title[0].value == "LTV, NPS and continuity"
    at.switch_page(CLV).run()
    assert not at.exception
    assert at.title[0].value == "Predictive CLV"
