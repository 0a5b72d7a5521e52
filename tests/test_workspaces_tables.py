"""The tables as read kept as Parquet (loyalty.workspaces.tables), the working
definition kept as items (loyalty.workspaces.content), and the schema versions: a
store written by version 1 opens in this one with everything in it."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from loyalty import definition as defn
from loyalty.workspaces import FileRecord, Store, open_store, schema
from loyalty.workspaces.location import STORE_FILE

ROOT = Path(__file__).resolve().parent.parent


def _file(name: str, data: bytes, **options) -> tuple[FileRecord, dict[str, bytes]]:
    sha = hashlib.sha256(data).hexdigest()
    return FileRecord(name, sha, {"sheet": None, "kind": None, "overrides": {}, **options}), {sha: data}


@pytest.fixture
def store(tmp_path) -> Store:
    return open_store(tmp_path / "store")


# ----------------------------------------------------------------------------- tables as read


def _sample(name: str) -> bytes:
    return (ROOT / "sample_data" / name).read_bytes()


@pytest.mark.parametrize("name, sheet", [("orders_cp932.csv", None), ("customers.csv", None),
                                         ("orders.xlsx", None), ("orders.xlsx", "出力条件")])
def test_a_kept_table_equals_the_table_as_read(store, name, sheet):
    from loyalty.readers import read_table

    data = _sample(name)
    rec, raw_bytes = _file(name, data, sheet=sheet)
    ws = store.create(None, "a")
    store.put_files(None, ws.id, "data", [rec], raw_bytes)
    read = read_table(data, name, sheet=sheet)
    assert store.kept_table(rec.sha, sheet, name) is None and not store.has_table(rec.sha, sheet)
    assert store.keep_table(rec.sha, sheet, read)
    assert store.has_table(rec.sha, sheet) and not store.has_table(rec.sha, "other")
    kept = open_store(store.folder).kept_table(rec.sha, sheet, "renamed.csv")
    assert kept.name == "renamed.csv"
    assert kept.frame.equals(read.frame) and list(kept.frame.columns) == list(read.frame.columns)
    assert [str(t) for t in kept.frame.dtypes] == [str(t) for t in read.frame.dtypes]
    assert kept.row_numbers.tolist() == read.row_numbers.tolist()
    assert kept.field_count_ok.tolist() == read.field_count_ok.tolist()
    assert (kept.encoding, kept.delimiter, kept.sheet, kept.sheets, kept.header_row, kept.notes) == \
        (read.encoding, read.delimiter, read.sheet, read.sheets, read.header_row, read.notes)


def test_a_table_with_awkward_headers_notes_and_gaps_round_trips():
    import numpy as np
    import pandas as pd

    from loyalty.readers import RawTable
    from loyalty.workspaces import tables

    frame = pd.DataFrame({"__row": ["a", None], "c0": ["0012", "x"], "金額 (2)": [None, "=1+1"]}, dtype="str")
    raw = RawTable("t.csv", frame, np.array([3, 5]), np.array([True, False]), encoding="cp932", delimiter="\t",
                   header_row=2, notes=[("readers.note.title_skipped", {"rows": 1, "file": "t.csv"})])
    back = tables.from_parquet(tables.to_parquet(raw), "t.csv")
    assert back.frame.equals(frame) and list(back.frame.columns) == ["__row", "c0", "金額 (2)"]
    assert back.row_numbers.tolist() == [3, 5] and back.field_count_ok.tolist() == [True, False]
    assert (back.encoding, back.delimiter, back.header_row, back.notes) == ("cp932", "\t", 2, raw.notes)


def test_a_table_made_by_another_reader_is_not_used(store, monkeypatch):
    from loyalty.readers import read_table
    from loyalty.workspaces import tables

    data = _sample("customers.csv")
    rec, raw_bytes = _file("customers.csv", data)
    ws = store.create(None, "a")
    store.put_files(None, ws.id, "data", [rec], raw_bytes)
    store.keep_table(rec.sha, None, read_table(data, "customers.csv"))
    monkeypatch.setattr(tables, "reader_fingerprint", lambda: "a newer reader")
    assert store.kept_table(rec.sha, None, "customers.csv") is None and not store.has_table(rec.sha, None)


def test_tables_are_kept_only_for_files_a_workspace_holds_and_dropped_with_them(store):
    from loyalty.readers import read_table

    data = _sample("customers.csv")
    rec, raw_bytes = _file("customers.csv", data)
    assert not store.keep_table(rec.sha, None, read_table(data, "customers.csv"))
    ws = store.create(None, "a")
    store.put_files(None, ws.id, "data", [rec], raw_bytes)
    assert store.keep_table(rec.sha, None, read_table(data, "customers.csv"))
    store.delete(None, ws.id)
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("SELECT count(*) FROM tables").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM table_parts").fetchone()[0] == 0


def test_a_damaged_kept_table_is_dropped_and_the_file_read_again(store):
    from loyalty.readers import read_table
    from loyalty.workspaces import read_tables

    data = _sample("customers.csv")
    rec, raw_bytes = _file("customers.csv", data)
    ws = store.create(None, "a")
    store.put_files(None, ws.id, "data", [rec], raw_bytes)
    store.keep_table(rec.sha, None, read_table(data, "customers.csv"))
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE table_parts SET data = x'00112233', codec = 'none', size = 4")
    assert store.kept_table(rec.sha, None, "customers.csv") is None
    assert not store.has_table(rec.sha, None)
    infos = read_tables(store, None, store.load(None, ws.id))
    assert infos[0].raw.frame.equals(read_table(data, "customers.csv").frame)


# ----------------------------------------------------------------------------- the definition as items


def test_the_working_definition_is_kept_as_definition_notes_and_measures():
    from loyalty.workspaces import definition_from_items, definition_items

    d = defn.preset("b2c").copy(persona_notes={"tier:top": "誕生日に手書きのカード", "tier:low": "  "},
                                measures=[{"target": "tier:top", "title": "先行販売", "detail": "", "channel": "メール",
                                           "timing": "新作の前週", "kpi": "購入率"}])
    items = definition_items(d)
    assert "persona_notes" not in items["definition"] and "measures" not in items["definition"]
    assert items["notes"] == {"tier:top": "誕生日に手書きのカード"} and items["measures"] == d.measures
    back = definition_from_items(items)
    assert back.persona_notes == {"tier:top": "誕生日に手書きのカード"} and back.measures == d.measures
    assert back.to_dict() == d.copy(persona_notes={"tier:top": "誕生日に手書きのカード"}).to_dict()
    plain = definition_items(defn.preset("saas"))
    assert plain["notes"] is None and plain["measures"] is None
    assert definition_from_items(plain).to_dict() == defn.preset("saas").to_dict()
    assert definition_from_items({}) is None


# ----------------------------------------------------------------------------- schema versions

#: Version 1 of the store, frozen here as it was released on this branch (commit "workspaces: a SQLite
#: store of workspaces per owner …"): a store written by it must open in every later version.
V1_SCHEMA = """
CREATE TABLE workspaces (id TEXT PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL, created TEXT NOT NULL,
    changed TEXT NOT NULL, UNIQUE (owner, name));
CREATE TABLE items (workspace TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE, key TEXT NOT NULL,
    value TEXT NOT NULL, changed TEXT NOT NULL, PRIMARY KEY (workspace, key));
CREATE TABLE proposals (workspace TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE, name TEXT NOT NULL,
    position INTEGER NOT NULL, definition TEXT NOT NULL, changed TEXT NOT NULL, PRIMARY KEY (workspace, name));
CREATE TABLE blobs (sha TEXT PRIMARY KEY, size INTEGER NOT NULL);
CREATE TABLE blob_parts (sha TEXT NOT NULL REFERENCES blobs (sha) ON DELETE CASCADE, part INTEGER NOT NULL,
    codec TEXT NOT NULL, size INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (sha, part));
CREATE TABLE files (workspace TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE, role TEXT NOT NULL,
    position INTEGER NOT NULL, name TEXT NOT NULL, sha TEXT NOT NULL REFERENCES blobs (sha), options TEXT NOT NULL,
    changed TEXT NOT NULL, PRIMARY KEY (workspace, role, position));
CREATE INDEX files_sha ON files (sha);
CREATE TABLE owners (owner TEXT PRIMARY KEY, last_workspace TEXT, changed TEXT NOT NULL);
PRAGMA user_version = 1;
"""


def test_a_store_written_by_version_1_opens_and_keeps_everything(tmp_path):
    import json

    folder = tmp_path / "old"
    folder.mkdir()
    working = defn.preset("b2c").copy(name="マーケ案", persona_notes={"tier:top": "メルマガ好き"},
                                      measures=[{"target": "tier:top", "title": "限定クーポン", "detail": "",
                                                 "channel": "メール", "timing": "月初", "kpi": "利用率"}])
    data = "会員番号,注文日,金額\n0001,2024/1/5,1200\n".encode("cp932")
    sha = hashlib.sha256(data).hexdigest()
    t1, t2 = "2025-01-05T01:02:03.000000+00:00", "2025-01-06T04:05:06.000000+00:00"
    with sqlite3.connect(folder / STORE_FILE) as conn:
        conn.executescript(V1_SCHEMA)
        conn.execute("INSERT INTO workspaces VALUES ('w1', '', '旧ワークスペース', ?, ?)", (t1, t2))
        conn.execute("INSERT INTO workspaces VALUES ('w2', 'hana@example.co.jp', 'ハナの', ?, ?)", (t1, t1))
        conn.execute("INSERT INTO items VALUES ('w1', 'definition', ?, ?)",
                     (json.dumps(working.to_dict(), ensure_ascii=False), t2))
        conn.execute("INSERT INTO items VALUES ('w1', 'currency', '\"GBP\"', ?)", (t1,))
        conn.execute("INSERT INTO proposals VALUES ('w1', '営業案', 0, ?, ?)",
                     (json.dumps(defn.preset("b2b").to_dict(), ensure_ascii=False), t1))
        conn.execute("INSERT INTO blobs VALUES (?, ?)", (sha, len(data)))
        conn.execute("INSERT INTO blob_parts VALUES (?, 0, 'none', ?, ?)", (sha, len(data), data))
        conn.execute("INSERT INTO files VALUES ('w1', 'data', 0, '注文.csv', ?, ?, ?)",
                     (sha, json.dumps({"sheet": None, "kind": "transactions", "overrides": {}}), t1))
        conn.execute("INSERT INTO owners VALUES ('', 'w1', ?)", (t2,))

    store = open_store(folder)
    with sqlite3.connect(folder / STORE_FILE) as conn:
        assert schema.version(conn) == schema.LATEST == 2
    assert store.notice is None
    assert [w.name for w in store.list(None)] == ["旧ワークスペース"] and store.last(None).id == "w1"
    assert [w.name for w in store.list("hana@example.co.jp")] == ["ハナの"]
    got = store.load(None, "w1")
    from loyalty.workspaces import definition_from_items

    assert definition_from_items(got.items).to_dict() == working.to_dict()
    assert got.items["notes"] == {"tier:top": "メルマガ好き"} and got.items["measures"] == working.measures
    assert "persona_notes" not in got.items["definition"]
    assert {k: v.isoformat(timespec="microseconds") for k, v in got.changed.items()} == {
        "definition": t2, "notes": t2, "measures": t2, "currency": t1}
    assert [(n, defn.from_dict(d).to_dict()) for n, d, _ in got.proposals] == [("営業案", defn.preset("b2b").to_dict())]
    assert store.file_bytes(None, "w1", sha) == data
    assert got.files[0].options == {"sheet": None, "kind": "transactions", "overrides": {}}
    # and it works as a version 2 store from then on
    from loyalty.readers import read_table

    assert store.keep_table(sha, None, read_table(data, "注文.csv"))
    store.put_items(None, "w1", {"notes": {"tier:top": "更新"}})
    assert store.load(None, "w1").items["notes"] == {"tier:top": "更新"}


def test_migrations_are_numbered_without_gaps_and_stop_where_asked(tmp_path):
    assert sorted(schema.STEPS) == list(range(1, schema.LATEST + 1))
    conn = sqlite3.connect(tmp_path / "s.sqlite3", isolation_level=None)
    assert schema.migrate(conn, target=1) == 0 and schema.version(conn) == 1
    assert {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} == {
        "workspaces", "items", "proposals", "blobs", "blob_parts", "files", "owners"}
    assert schema.migrate(conn) == 1 and schema.version(conn) == schema.LATEST
    assert {"tables", "table_parts"} <= {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
