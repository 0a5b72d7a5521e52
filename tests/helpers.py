"""Helpers shared by the tests: paths, inputs built from text without touching
disk, the command line run in this process, and the AppTest start-up every app
test uses.

Plain functions and constants (``from tests.helpers import ...``); fixtures live
in ``tests/conftest.py``.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from loyalty.pipeline import InputFile, build_features, load_dataset

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

#: The project's root folder (the worktree the tests run in).
ROOT = Path(__file__).resolve().parent.parent
#: The app's entry point, as AppTest wants it.
APP = str(ROOT / "app.py")
#: The sample data the app opens with: orders (CP932) and customers.
SAMPLE = [ROOT / "sample_data" / "orders_cp932.csv", ROOT / "sample_data" / "customers.csv"]
#: The shared real datasets beside the project (``../shared/datasets``; CI always has them,
#: tests that need them skip with a reason where the folder is absent).
DATASETS = ROOT.parent / "shared" / "datasets"
RETAIL = DATASETS / "online_retail" / "online_retail.csv.gz"
HILLSTROM = DATASETS / "hillstrom" / "hillstrom.csv"


def csv_input(text: str, name: str = "orders.csv", encoding: str = "utf-8", **kw) -> InputFile:
    """An InputFile from CSV text."""
    return InputFile(name=name, data=text.encode(encoding), **kw)


def features_of(*files: InputFile, as_of=None, window_days: int = 365, today=None):
    """Load inputs and build features; returns (dataset, features)."""
    ds = load_dataset(list(files), today=today)
    return ds, build_features(ds, as_of=as_of, window_days=window_days)


def rfm_equal():
    """The BtoC preset with R, F and M only, equally weighted (the classic RFM total)."""
    from loyalty import definition as defn

    d = defn.preset("b2c")
    d.factors = [defn.FactorSetting("recency", 33.34), defn.FactorSetting("frequency", 33.33),
                 defn.FactorSetting("monetary", 33.33)]
    return d


def app_test(page: str | None = None, *, session: dict | None = None, auth: dict | None = None,
             user: dict | None = None, home_first: bool = True, timeout: float = 120) -> AppTest:
    """The app in Streamlit's AppTest, run once, optionally on ``page``; no exception shown.

    Args:
        page: a page script such as ``"pages/data.py"`` to switch to (None: stay home).
        session: session-state entries set before the first run (e.g. the language).
        auth: the ``[auth]`` section of the secrets (None: no secrets).
        user: what ``st.user`` holds (None: AppTest's default).
        home_first: run the home page before switching to ``page`` (as a visitor
            who opens the app and then clicks a page); False opens ``page`` directly.
        timeout: seconds each run may take.

    Returns:
        The AppTest after its runs.
    """
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in (session or {}).items():
        at.session_state[key] = value
    if auth is not None:
        at.secrets["auth"] = auth
    if user is not None:
        at.user = user
    if home_first or not page:
        at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict:
    """The metrics an AppTest shows, label -> value."""
    return {m.label: m.value for m in at.metric}


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """``python -m loyalty ARGS``, run in this process: its exit status and output.

    The whole command line is :func:`loyalty.cli.main` (``loyalty/__main__.py`` only
    exits with what it returns), so calling it here checks the same behaviour and
    saves a Python start-up and the imports, about a second per call.  Standard
    output and error come back as bytes, as ``subprocess.run(capture_output=True)``
    gives them; an exception that escapes ``main`` fails the test (a real process
    would print a traceback).  ``tests/test_settings.py`` runs one real process.

    Args:
        *args: the arguments after ``python -m loyalty``.
        cwd: the working directory during the call.

    Returns:
        A CompletedProcess with ``returncode``, ``stdout`` and ``stderr``.
    """
    from loyalty.cli import main

    out, err = io.BytesIO(), io.BytesIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    stderr = io.TextIOWrapper(err, encoding="utf-8", write_through=True)
    with contextlib.chdir(cwd), contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse: a bad option or --help
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    stdout.flush()
    stderr.flush()
    return subprocess.CompletedProcess(["python", "-m", "loyalty", *args], code, out.getvalue(), err.getvalue())
