"""App tests of the personas and export pages: they render when reached directly, show
the personas computed from the sample data, save notes and measures into the
definition file, and every download button builds a valid file when clicked."""

import io
import zipfile

import openpyxl
import pandas as pd
import pytest
import streamlit.testing.v1.app_test as app_test_module
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from loyalty import definition as defn
from loyalty.fmt import format_int
from loyalty.personas import build_personas
from loyalty.pipeline import InputFile, build_features, load_dataset
from loyalty.scoring import score
from ui.deliverables import md_escape
from tests.helpers import APP, SAMPLE, app_test as _app


class _RecordingFiles(MediaFileManager):
    """AppTest's media manager, remembered so a test can run a deferred download."""

    last: "_RecordingFiles | None" = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _RecordingFiles.last = self


@pytest.fixture
def downloads(monkeypatch):
    """``downloads(at, label) -> bytes``: what clicking a deferred download button would serve."""
    monkeypatch.setattr(app_test_module, "MediaFileManager", _RecordingFiles)

    def fetch(at: AppTest, label: str) -> bytes:
        button = next(b for b in at.get("download_button") if b.label == label)
        assert button.proto.deferred_file_id, "built only when clicked"
        manager = _RecordingFiles.last
        url = manager.execute_deferred(button.proto.deferred_file_id)
        return manager._storage.get_file(url.rsplit("/", 1)[-1]).content

    return fetch


@pytest.fixture(scope="module")
def sample():
    ds = load_dataset([InputFile(p.name, p.read_bytes()) for p in SAMPLE])
    features = build_features(ds)
    d = defn.preset("b2c")
    return features, score(features.frame, d), d


@pytest.mark.parametrize("page, title", [("pages/personas.py", "ペルソナ・施策"), ("pages/export.py", "出力")])
def test_pages_render_when_reached_directly(page, title):
    at = _app(page)
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == title


def test_personas_page_shows_the_tier_personas_of_the_sample(sample):
    features, result, d = sample
    top, middle, low = build_personas(features.frame, result.frame, d, "ja")
    at = _app("pages/personas.py")
    text = "\n".join(m.value for m in at.markdown)
    for persona in (top, middle, low):
        assert f"#### {md_escape(persona.label)}" in text
        assert md_escape(persona.fact("nps").text) in text
        assert md_escape(persona.fact("orders_per_year").text) in text
    assert [ta.label for ta in at.text_area][:3] == [f"{p.label} のメモ（ファシリテーター）" for p in (top, middle, low)]
    compare = next(df.value for df in at.dataframe if "全体" in df.value.columns)  # the segment comparison
    assert compare.loc["NPS", "全体"] == top.fact("nps").overall_text
    assert "1. **担当者をつけて個別にフォロー** — チャネル" in text  # the top tier's first catalogue measure
    captions = [c.value for c in at.caption]
    assert any(c.startswith(f"{top.customers:,}人（全体の ") for c in captions), captions[:5]  # counted in 人


@pytest.mark.slow
def test_notes_and_measures_are_saved_in_the_definition_file(downloads):
    at = _app("pages/personas.py")
    at.text_area(key="w_note_tier:top").input("紹介経由の30代女性が中心").run()
    editor = at.data_editor[0]
    assert editor.value["title"].iloc[0] == "担当者をつけて個別にフォロー"
    at.session_state[editor.key] = {"edited_rows": {0: {"title": "担当者から電話"}},
                                    "added_rows": [{"title": "誕生月の手紙", "channel": "手紙"}], "deleted_rows": [1]}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.data_editor[0].value["title"].tolist() == ["担当者から電話", "アップセル・クロスセルの提案", "誕生月の手紙"]

    at.switch_page("pages/export.py").run()
    saved = defn.loads(downloads(at, "定義ファイルをダウンロード"))
    assert saved.persona_notes == {"tier:top": "紹介経由の30代女性が中心"}
    top = [m for m in saved.measures if m["target"] == "tier:top"]
    assert [m["title"] for m in top] == ["担当者から電話", "アップセル・クロスセルの提案", "誕生月の手紙"]
    assert top[2] == {"target": "tier:top", "title": "誕生月の手紙", "detail": "", "channel": "手紙", "timing": "",
                      "kpi": ""}
    assert [m["title"] for m in saved.measures if m["target"] == "tier:middle"][0] == "ナーチャリングメールの強化"

    book = openpyxl.load_workbook(io.BytesIO(downloads(at, "ワークブックをダウンロード（.xlsx）")))
    assert "紹介経由の30代女性が中心" in [c.value for c in book["ペルソナ"]["G"]]
    assert "誕生月の手紙" in [c.value for c in book["施策（アクションプラン）"]["C"]]
    plan = downloads(at, "アクションプランだけを CSV でダウンロード")
    assert plan.startswith(b"\xef\xbb\xbf")
    plan = pd.read_csv(io.BytesIO(plan), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(plan.columns) == ["対象", "顧客数", "施策", "内容", "チャネル", "タイミング", "KPI", "担当", "期限"]
    assert plan.iloc[0][["対象", "施策"]].tolist() == ["最重要顧客", "担当者から電話"]
    assert plan.iloc[2][["施策", "チャネル"]].tolist() == ["誕生月の手紙", "手紙"]
    handout = downloads(at, "1枚サマリーをダウンロード（HTML）").decode("utf-8")
    assert "紹介経由の30代女性が中心" in handout and "<b>担当者から電話</b>" in handout

    at.switch_page("pages/personas.py").run()
    at.button(key="w_measures_reset").click().run()
    assert at.session_state["definition"].measures is None
    assert at.text_area(key="w_note_tier:top").value == "紹介経由の30代女性が中心"


def test_target_lists_and_the_cp932_warning(downloads):
    orders = "会員番号,注文日,金額\n𠮷001,2024/06/01,120000\n𠮷001,2024/06/20,1000\n0002,2023/01/05,3000\n"
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="w_upload").set_value(("mine.csv", orders.encode("utf-8"), "text/csv")).run()
    at.switch_page("pages/export.py").run()
    assert not at.exception and not at.warning
    at.radio(key="w_list_encoding").set_value("cp932").run()
    assert len(at.warning) == 1 and "1 件" in at.warning[0].value and "顧客ID" in at.warning[0].value
    data = downloads(at, "このリストをダウンロード（CSV）")
    back = pd.read_csv(io.BytesIO(data), encoding="cp932", dtype=str)
    assert back["顧客ID"].tolist() == ["?001", "0002"]
    mine = score(build_features(load_dataset([InputFile("mine.csv", orders.encode())])).frame, defn.preset("b2c"))
    tier, segment = (str(mine.frame.loc["𠮷001", c]) for c in ("tier", "rfm_segment"))
    at.selectbox(key="w_list_target").set_value(f"tier:{tier}").run()
    at.radio(key="w_list_form").set_value("key").run()
    at.radio(key="w_list_encoding").set_value("utf-8-sig").run()
    assert not at.warning
    data = downloads(at, "このリストをダウンロード（CSV）")
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str)
    assert back.to_dict("records") == [{"customer_id": "𠮷001", "tier": tier, "rfm_segment": segment,
                                        "loyalty_score": f"{mine.frame.loc['𠮷001', 'loyalty_score']:.1f}",
                                        "last_order": "2024-06-20"}]
    with zipfile.ZipFile(io.BytesIO(downloads(at, "すべての層・セグメントのリストをまとめてダウンロード（ZIP）"))) as z:
        assert z.namelist()[0] == "01_all_customers.csv" and "README.txt" in z.namelist()


def test_english_pages():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.toggle(key="w_lang_en").set_value(True).run()
    at.switch_page("pages/personas.py").run()
    assert at.title[0].value == "Personas and measures" and not at.exception
    at.switch_page("pages/export.py").run()
    assert at.title[0].value == "Export" and not at.exception
    assert [b.label for b in at.get("download_button")][0] == "Download the workbook (.xlsx)"
    assert format_int(2090) in at.caption[0].value
