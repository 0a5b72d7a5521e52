"""Responsiveness: an upload is read, checked and aggregated once, with a status box
per step the first time, and never again on reruns, page switches or slider moves."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import APP


def _orders(seed: int) -> bytes:
    # content unique to this test run, so no earlier test has it cached
    lines = ["会員番号,注文日,金額,注文番号"]
    for i in range(60):
        lines.append(f"{1000 + i % 7:06d},2024/0{1 + i % 9}/1{i % 10},{1000 + 37 * i + seed},O{i}")
    return ("\n".join(lines) + "\n").encode("cp932")


@pytest.mark.slow
def test_an_upload_is_read_checked_and_aggregated_once(monkeypatch):
    import ui.state

    calls = {"read": 0, "assemble": 0, "features": 0}
    real = {"read": ui.state.read_table, "assemble": ui.state.assemble, "features": ui.state.build_features}

    def counting(name):
        def wrapper(*a, **k):
            calls[name] += 1
            return real[name](*a, **k)
        return wrapper

    monkeypatch.setattr(ui.state, "read_table", counting("read"))
    monkeypatch.setattr(ui.state, "assemble", counting("assemble"))
    monkeypatch.setattr(ui.state, "build_features", counting("features"))

    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/data.py").run()
    calls.update(read=0, assemble=0, features=0)
    data = _orders(seed=id(calls) % 997)
    at.file_uploader(key="w_upload").set_value(("big_export.csv", data, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert calls == {"read": 1, "assemble": 1, "features": 1}
    # reruns, other pages and a slider move reuse the cached work and show no status box
    at.run()
    assert not at.status
    for page in ("pages/home.py", "pages/definition.py", "pages/segments.py", "pages/data.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
    at.switch_page("pages/definition.py").run()
    at.slider(key="w_def_recency_0").set_value(7).run()
    assert not at.exception
    assert calls == {"read": 1, "assemble": 1, "features": 1}


def _preload_script(data: bytes) -> None:
    from ui import state

    state.set_uploads([state.make_upload("progress_check.csv", data)])
    state.preload()


def test_a_large_upload_shows_each_step_in_one_status_box(monkeypatch):
    import ui.state

    monkeypatch.setattr(ui.state, "PROGRESS_MIN_BYTES", 0)  # the test file is small
    at = AppTest.from_function(_preload_script, args=(_orders(seed=991),), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.status) == 1
    box = at.status[0]
    assert box.state == "complete" and box.label.startswith("データの準備ができました（"), box.label
    steps = [m.value for m in box.markdown]
    assert [s.split("— ")[0] for s in steps] == [
        ":material/check: ファイルを読み込んでいます ",
        ":material/check: データをチェックしています（品質レポート） ",
        ":material/check: 顧客ごとに集計しています ",
    ], steps
    assert all(s.endswith("s") for s in steps)  # each says how long it took
    at.run()  # a rerun: everything is cached, no box
    assert not at.status


def test_small_files_such_as_the_sample_show_no_progress():
    at = AppTest.from_function(_preload_script, args=(_orders(seed=992),), default_timeout=120)
    at.run()
    assert not at.exception
    assert not at.status
