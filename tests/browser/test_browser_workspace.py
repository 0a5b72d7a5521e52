"""Work that lasts, in a real browser: upload a file, add the workshop's sample
proposals, write a persona note; then refresh the page, and then restart the
server: the data, the proposals and the note are all still there.

The test runs its own server (it stops and starts it) on a workspace store of its
own, on one port, so the refresh after the restart is what a user's F5 does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from loyalty import definition as defn
from loyalty.i18n import t

from .appdriver import App
from .conftest import ROOT, SERVER_START_TIMEOUT, _free_port, _healthy, _stop

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SAMPLES = sorted((ROOT / "loyalty" / "data" / "proposals").glob("*.json"))
ORDERS = ("会員番号,注文日,金額,注文番号\n"
          + "".join(f"{1000 + i % 9:06d},2024/{1 + i % 12:02d}/{1 + i % 27:02d},{1200 + 310 * i},W{i:03d}\n"
                    for i in range(40)))
NOTE = "紹介経由の30代が中心。新作の先行案内に反応が良い"


def _start(port: int, folder: Path, log: Path) -> subprocess.Popen:
    """``streamlit run app.py`` on ``port`` with the workspace store in ``folder``."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "LOYALTY_WORKSPACE_DIR": str(folder)}
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(port), "--server.fileWatcherType", "none",
             "--server.runOnSave", "false", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while proc.poll() is None and time.monotonic() < deadline and not _healthy(url):
        time.sleep(0.2)  # polling the health endpoint, not waiting on the app under test
    if proc.poll() is not None or not _healthy(url):
        _stop(proc)
        pytest.fail("streamlit did not start:\n" + log.read_text(encoding="utf-8", errors="replace")[-3000:],
                    pytrace=False)
    return proc


def _expect_everything_is_there(app: App) -> None:
    """The upload (sidebar and figures), the three proposals and the note."""
    sidebar = app.sidebar
    expect(sidebar.get_by_text(t("polish.sidebar.file_rows", file="ws_orders.csv", rows="40"), exact=True)) \
        .to_be_visible()
    expect(sidebar.get_by_text(t("polish.sidebar.sample_badge"))).to_have_count(0)
    app.go("nav.home")
    expect(app.metric("顧客数")).to_have_text("9")
    app.go("nav.workshop")
    for path in SAMPLES:
        expect(app.metric(defn.load(path).name)).to_be_visible()
    app.go("nav.personas")
    box = app.page.get_by_role("textbox", name=t("personas.note_label", persona="最重要顧客"))
    expect(box.first).to_have_value(NOTE)
    app.expect_no_exception()


def test_upload_proposals_and_notes_survive_a_refresh_and_a_server_restart(browser, tmp_path):
    folder, log = tmp_path / "workspaces", tmp_path / "server.log"
    orders = tmp_path / "ws_orders.csv"
    orders.write_bytes(ORDERS.encode("cp932"))
    port = _free_port()
    proc = _start(port, folder, log)
    page = browser.new_page()
    try:
        app = App(page, f"http://127.0.0.1:{port}")
        app.open("data")
        app.upload(t("data.upload_label"), orders)
        expect(app.metric(t("data.q.read"))).to_have_text("40")
        app.go("nav.workshop")
        page.get_by_role("button", name=t("ws.add_samples")).click()
        app.wait_idle()
        app.go("nav.personas")
        box = page.get_by_role("textbox", name=t("personas.note_label", persona="最重要顧客")).first
        box.fill(NOTE)
        box.press("Control+Enter")  # a text area commits its value on Ctrl+Enter (or when it loses focus)
        app.wait_idle()
        expect(app.sidebar.get_by_text(t("workspace.ui.saved_at", time="")[:4])).to_be_visible()

        page.reload()  # F5: a new session
        app.wait_idle()
        _expect_everything_is_there(app)

        _stop(proc)  # the server goes down …
        proc = _start(port, folder, log)  # … and comes back on the same address
        page.reload()
        expect(app.heading).not_to_be_empty()
        app.wait_idle()
        _expect_everything_is_there(app)
        app.screenshot("workspace-after-restart-ja")

        # the 管理 menu (drawn when opened) exports the workspace to hand it over
        app.sidebar.get_by_role("button").filter(has_text=t("workspace.ui.manage")).click()
        bundle = app.download(t("workspace.ui.export"), tmp_path)
        with zipfile.ZipFile(bundle) as zf:
            manifest = json.loads(zf.read("manifest.json"))
            assert defn.loads(zf.read("definition.json")).persona_notes == {"tier:top": NOTE}
        assert bundle.name == "マイワークスペース.zip" and manifest["name"] == "マイワークスペース"
        assert [f["name"] for f in manifest["files"]] == ["ws_orders.csv"]
        # in the workshop's order (sales, marketing, customer success), as added
        assert [p["name"] for p in manifest["proposals"]] == [
            defn.load(ROOT / "loyalty" / "data" / "proposals" / f"{k}.json").name for k in ("sales", "marketing", "cs")]
    finally:
        page.close()
        _stop(proc)
