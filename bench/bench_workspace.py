"""Benchmark: what workspaces cost.  Prints figures; not a pass/fail test.

* ``slider``: the rerun of a slider move on the definition page in AppTest (the
  sample data; median of --runs moves between two positions).  Run it once with
  ``--root`` at a checkout without workspaces (before) and once here (after).
* ``reopen``: Online Retail (541,909 lines, the .csv.gz of ../shared/datasets) is
  uploaded in one process, which then ends; a new process (a server restart)
  opens the workspace again: the first run of the overview page, cold (nothing
  cached in the process), and the store's share of it.  Also the store's size on
  disk.

    python bench/bench_workspace.py slider [--root DIR] [--runs 15]
    python bench/bench_workspace.py reopen [--dataset FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
DATASET = HERE.parent / "shared" / "datasets" / "online_retail" / "online_retail.csv.gz"


def _app_test(root: Path):
    os.environ.setdefault("STREAMLIT_CLIENT_SHOW_ERROR_DETAILS", "full")
    sys.path.insert(0, str(root))
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(root / "app.py"), default_timeout=600)


def slider(root: Path, runs: int) -> None:
    """Median rerun time of a slider move on the definition page."""
    at = _app_test(root)
    at.run()
    at.switch_page("pages/definition.py").run()
    times = []
    for i in range(runs + 2):
        value = 14 if i % 2 else 21
        t0 = time.perf_counter()
        at.slider(key="w_def_recency_0").set_value(value).run()
        if i >= 2:  # the first moves warm caches
            times.append(time.perf_counter() - t0)
        assert not at.exception, [e.value for e in at.exception]
    print(f"slider rerun ({root}): median {statistics.median(times) * 1000:.0f} ms, "
          f"min {min(times) * 1000:.0f} ms over {runs} moves; load {os.getloadavg()[0]:.1f}")


def _upload(dataset: Path) -> None:
    at = _app_test(HERE)
    at.run()
    at.switch_page("pages/data.py").run()
    t0 = time.perf_counter()
    at.file_uploader(key="w_upload").set_value((dataset.name, dataset.read_bytes(), "text/csv")).run()
    at.selectbox(key="w_currency").set_value("GBP").run()
    at.switch_page("pages/home.py").run()  # a further run: the table as read is kept
    assert not at.exception, [e.value for e in at.exception]
    print(f"upload, read, check, aggregate and keep: {time.perf_counter() - t0:.1f} s")


def _reopen() -> None:
    sys.path.insert(0, str(HERE))
    from loyalty.readers import read_table
    from loyalty.workspaces import open_store, store_dir

    at = _app_test(HERE)  # (Streamlit's testing harness imported before the clock starts)
    t0 = time.perf_counter()
    store = open_store(store_dir())
    ws = store.last(None)
    content = store.load(None, ws.id)
    data = {f.sha: store.file_bytes(None, ws.id, f.sha) for f in content.files}
    t1 = time.perf_counter()
    tables = [store.kept_table(f.sha, f.options.get("sheet"), f.name) for f in content.files]
    t2 = time.perf_counter()
    assert all(tbl is not None for tbl in tables), "the table as read was not kept"
    for f in content.files:  # what the kept table saves: parsing the file again
        read_table(data[f.sha], f.name, sheet=f.options.get("sheet"))
    t3 = time.perf_counter()
    at.run()  # the overview page, as a browser refresh after the restart shows it
    t4 = time.perf_counter()
    assert not at.exception, [e.value for e in at.exception]
    shown = {m.label: m.value for m in at.metric}
    print(f"reopen after a restart: first page {t4 - t3:.2f} s, customers shown {shown.get('顧客数')}; "
          f"store: open and load with {sum(map(len, data.values())) / 2**20:.1f} MiB of files {t1 - t0:.2f} s, "
          f"kept table {t2 - t1:.2f} s (parsing the file instead: {t3 - t2:.2f} s)")


def reopen(dataset: Path) -> None:
    """Upload in one process, reopen in another; print times and the store's size."""
    with tempfile.TemporaryDirectory(prefix="bench-workspace-") as folder:
        env = {**os.environ, "LOYALTY_WORKSPACE_DIR": folder}
        for step in ("_upload", "_reopen"):
            subprocess.run([sys.executable, __file__, step, "--dataset", str(dataset)], env=env, check=True)
        size = sum(p.stat().st_size for p in Path(folder).iterdir() if p.is_file())
        print(f"store on disk: {size / 2**20:.1f} MiB ({', '.join(sorted(p.name for p in Path(folder).iterdir()))}); "
              f"the upload itself {dataset.stat().st_size / 2**20:.1f} MiB")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("what", choices=["slider", "reopen", "_upload", "_reopen"])
    p.add_argument("--root", type=Path, default=HERE, help="the checkout whose app.py is timed (slider)")
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--dataset", type=Path, default=DATASET)
    args = p.parse_args()
    if args.what == "slider":
        slider(args.root.resolve(), args.runs)
    elif args.what == "reopen":
        reopen(args.dataset)
    elif args.what == "_upload":
        _upload(args.dataset)
    else:
        _reopen()


if __name__ == "__main__":
    main()
