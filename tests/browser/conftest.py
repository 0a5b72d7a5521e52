"""Fixtures of the real-browser tests.

* ``app_url`` (session): ``streamlit run app.py`` in a subprocess on 127.0.0.1
  and a free port, headless, without a file watcher (other people edit files
  while the tests run); stopped at the end of the session.
* ``browser`` (package): Debian's Chromium (``/usr/bin/chromium``, never a
  browser downloaded by ``playwright install``) driven by Playwright's sync API,
  with a fresh profile directory.  It closes after the last browser test:
  Playwright's sync API keeps an event loop running while it is open, which
  would stop any later test from starting Playwright or asyncio itself.
* ``app`` (per test): a new tab, i.e. a new Streamlit session with fresh session
  state, wrapped in :class:`appdriver.App`.  When a test fails, the tab is saved
  as ``artifacts/failures/<test>.png``.  The server keeps workspaces in a folder
  of its own (``workspace_dir``), emptied before each test, so a tab never
  reopens what an earlier test left (the app reopens the last workspace).

Without Chromium (or Playwright) the browser tests are skipped with the reason,
unless the environment variable ``LOYALTY_REQUIRE_BROWSER=1`` is set (CI sets
it): then they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from loyalty import settings
from tests.helpers import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 90.0  # s; the machine may be busy with other test runs
EXPECT_TIMEOUT_MS = 30_000
FAILURES = ROOT / "artifacts" / "failures"


def _unavailable(reason: str):
    """Skip, or fail when CI requires the browser tests to run."""
    if settings.read("LOYALTY_REQUIRE_BROWSER"):
        pytest.fail(f"{reason} (LOYALTY_REQUIRE_BROWSER=1 requires the browser tests)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The Chromium executable (skips or fails when it, or Playwright, is missing)."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: install Debian's chromium and fonts-noto-cjk (see .ci/run)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright package is missing: pip install -r requirements-dev.txt")
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def workspace_dir(tmp_path_factory) -> Path:
    """The workspace store of the browser tests' server (never the user's data folder)."""
    return tmp_path_factory.mktemp("workspaces")


def clear_workspaces(folder: Path) -> None:
    """Delete every workspace of the store in ``folder`` (a new tab then starts afresh)."""
    from loyalty.workspaces import open_store

    store = open_store(folder)
    try:
        for ws in store.list(None):
            store.delete(None, ws.id)
    finally:
        store.close()


@pytest.fixture(scope="session")
def app_url(chromium, tmp_path_factory, workspace_dir) -> str:
    """Start the app with ``streamlit run app.py`` and return its address."""
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "LOYALTY_WORKSPACE_DIR": str(workspace_dir)}
    for _attempt in range(3):  # the free port may be taken between the check and the bind
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        with log_path.open("ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py",
                 "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
                 "--server.fileWatcherType", "none", "--server.runOnSave", "false",
                 "--browser.gatherUsageStats", "false"],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while proc.poll() is None and time.monotonic() < deadline and not _healthy(url):
            time.sleep(0.2)  # polling the health endpoint, not waiting on the app under test
        if proc.poll() is None and _healthy(url):
            break
        _stop(proc)
    else:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        pytest.fail(f"streamlit did not start:\n{tail}", pytrace=False)
    try:
        yield url
    finally:
        _stop(proc)


@pytest.fixture(scope="package")
def browser(chromium, tmp_path_factory):
    """A Chromium with a fresh profile (one for the browser tests); tests open tabs in it."""
    from playwright.sync_api import expect, sync_playwright

    from .appdriver import VIEWPORT

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS,
            viewport=VIEWPORT, locale="ja-JP", timezone_id="Asia/Tokyo", accept_downloads=True)
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        try:
            yield context
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item (for the failure screenshot)."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def app(request, browser, app_url, workspace_dir):
    """A fresh tab on the app (a new Streamlit session on an empty workspace store)."""
    from .appdriver import App

    clear_workspaces(workspace_dir)
    page = browser.new_page()
    try:
        yield App(page, app_url)
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            FAILURES.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
            try:
                page.screenshot(path=str(FAILURES / f"{name}.png"), full_page=True)
            except Exception:  # the tab may be gone; the test's own error matters more
                pass
        page.close()


def pytest_collection_modifyitems(config, items):
    """Every test in this folder drives a real browser against a served app: it is a
    ``browser`` test and takes seconds, so it is ``slow`` too (left out of the everyday
    ``-m "not slow"`` run) — whether or not its file says so."""
    here = Path(__file__).resolve().parent
    for item in items:
        if Path(str(item.fspath)).resolve().parent == here:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)
