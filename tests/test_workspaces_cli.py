"""``python -m loyalty score|quality --workspace NAME``: the workspace's files, mapping,
duplicates choice, currency and working definition, exactly as the app scores them;
an unknown name lists the workspaces and exits 2."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from loyalty import definition as defn
from loyalty import fmt
from loyalty.cli import main, score_table
from loyalty.pipeline import InputFile, load_dataset
from loyalty.workspaces import FileRecord, definition_items, open_store, store_dir
from loyalty.workspaces.location import STORE_FILE

ROOT = Path(__file__).resolve().parent.parent
# 税込金額 is what the user mapped as the amount in the app (the detected column is 金額)
ORDERS = """注文番号,会員番号,注文日,金額,税込金額
A1,000123,2024/06/20,3000,3300
A2,000123,2024/05/01,4000,4400
A2,000123,2024/05/01,4000,4400
B1,0456,2024/01/10,120000,132000
C1,789,2023/03/01,7000,7700
"""


def _workspace(name="6月の分析", *, currency="GBP", drop=True):
    data = ORDERS.encode("cp932")
    sha = hashlib.sha256(data).hexdigest()
    store = open_store(store_dir())
    ws = store.create(None, name)
    store.put_files(None, ws.id, "data", [FileRecord("orders.csv", sha, {"sheet": None, "kind": "transactions",
                                                                          "overrides": {"amount": "税込金額"}})],
                    {sha: data})
    d = defn.preset("b2c").copy(tiers={"top": 60.0, "middle": 30.0}, as_of=None)
    store.put_items(None, ws.id, {**definition_items(d), "currency": currency, "drop_duplicates": drop})
    store.close()
    return d, data


def _expected(d, data, *, drop=True, as_of=None):
    files = [InputFile("orders.csv", data, kind="transactions", overrides={"amount": "税込金額"})]
    dataset = load_dataset(files, drop_duplicates=drop)
    return score_table(dataset, d.copy(as_of=as_of) if as_of else d)


def _csv(text: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(text), encoding="utf-8-sig", dtype={"customer_id": str})


def test_score_a_workspace_as_the_app_scores_it(capsysbinary):
    d, data = _workspace()
    assert main(["score", "--workspace", "6月の分析"]) == 0
    out = _csv(capsysbinary.readouterr().out)
    expected = _expected(d, data)
    assert out["customer_id"].tolist() == ["000123", "0456", "789"]
    assert out["monetary"].tolist() == expected["monetary"].tolist() == [3300 + 4400, 132000, 0]  # mapped, deduplicated
    assert out["tier"].tolist() == expected["tier"].astype(str).tolist()
    assert out["loyalty_score"].round(6).tolist() == expected["loyalty_score"].round(6).tolist()
    assert fmt.currency() == "GBP"  # the workspace's currency


def test_the_definition_and_the_as_of_date_can_be_overridden(tmp_path):
    d, data = _workspace()
    out = tmp_path / "scores.csv"
    assert main(["score", "--workspace", "6月の分析", "--preset", "b2b", "--as-of", "2024-06-30",
                 "--output", str(out), "--currency", "JPY"]) == 0
    expected = _expected(defn.preset("b2b"), data, as_of=pd.Timestamp("2024-06-30").date())
    got = _csv(out.read_bytes())
    assert got["recency_days"].tolist() == expected["recency_days"].tolist() == [10, 172, 487]
    assert got["tier"].tolist() == expected["tier"].astype(str).tolist()
    assert fmt.currency() == "JPY"  # --currency wins over the workspace's


def test_quality_of_a_workspace(capsys):
    _workspace(drop=False)
    assert main(["quality", "--workspace", "6月の分析", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["transactions"]
    assert (report["rows_read"], report["rows_used"], report["duplicates"], report["duplicates_dropped"]) == \
        (5, 5, 1, False)


def test_an_unknown_name_lists_the_workspaces_and_exits_2(capsys):
    _workspace("6月の分析")
    _workspace("7月の分析")
    assert main(["score", "--workspace", "8月の分析"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "ワークスペース「8月の分析」はありません。あるのは 「6月の分析」、「7月の分析」 です。"
    assert main(["--lang", "en", "quality", "--workspace", "8月"]) == 2
    assert "The workspaces are: 「6月の分析」、「7月の分析」" in capsys.readouterr().err


def test_another_owners_workspace_is_not_found_without_his_address(capsys):
    store = open_store(store_dir())
    ws = store.create("hana@example.co.jp", "ハナの分析")
    data = ORDERS.encode("cp932")
    sha = hashlib.sha256(data).hexdigest()
    store.put_files("hana@example.co.jp", ws.id, "data", [FileRecord("orders.csv", sha, {})], {sha: data})
    store.create(None, "ローカル")
    assert main(["score", "--workspace", "ハナの分析"]) == 2
    assert "「ローカル」" in capsys.readouterr().err
    assert main(["score", "--workspace", "ハナの分析", "--owner", "hana@example.co.jp"]) == 0


def test_without_a_store_nothing_is_created_and_the_message_says_where(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "nowhere"
    monkeypatch.setenv("LOYALTY_WORKSPACE_DIR", str(folder))
    assert main(["score", "--workspace", "x"]) == 2
    assert str(folder) in capsys.readouterr().err
    assert not folder.exists()


def test_a_workspace_on_the_sample_data_and_mixed_options_are_refused(capsys, tmp_path):
    store = open_store(store_dir())
    store.create(None, "見本")
    assert main(["score", "--workspace", "見本"]) == 2
    assert "アップロードしたファイルがありません" in capsys.readouterr().err
    orders = tmp_path / "o.csv"
    orders.write_bytes(ORDERS.encode("cp932"))
    for extra in ([str(orders)], ["--map", "amount=金額"], ["--sheet", "x"], ["--kind", "transactions"]):
        assert main(["score", "--workspace", "見本", *extra]) == 2
        assert "--workspace" in capsys.readouterr().err


@pytest.mark.slow
def test_the_command_runs_while_the_app_holds_the_store_open():
    d, data = _workspace()
    app_side = open_store(store_dir())  # the app's server keeps its connection open
    app_side.list(None)
    res = subprocess.run([sys.executable, "-m", "loyalty", "score", "--workspace", "6月の分析"], cwd=ROOT,
                         capture_output=True, timeout=120, env={**os.environ})
    assert res.returncode == 0, res.stderr.decode()
    assert _csv(res.stdout)["tier"].tolist() == _expected(d, data)["tier"].astype(str).tolist()
    res = subprocess.run([sys.executable, "-m", "loyalty", "score", "--workspace", "nope"], cwd=ROOT,
                         capture_output=True, timeout=120, env={**os.environ})
    assert res.returncode == 2 and "「6月の分析」" in res.stderr.decode() and b"Traceback" not in res.stderr
    assert (store_dir() / STORE_FILE).exists()
