"""The workspace store (loyalty.workspaces.store): every item round-trips, owners
never see each other's workspaces, names are checked, a damaged store is moved
aside without losing it, and two processes write one store at once."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from loyalty import definition as defn
from loyalty.errors import LoyaltyError
from loyalty.workspaces import FileRecord, Store, open_store, schema, store_dir
from loyalty.workspaces.location import STORE_FILE

ROOT = Path(__file__).resolve().parent.parent


def _file(name: str, data: bytes, **options) -> tuple[FileRecord, dict[str, bytes]]:
    sha = hashlib.sha256(data).hexdigest()
    return FileRecord(name, sha, {"sheet": None, "kind": None, "overrides": {}, **options}), {sha: data}


@pytest.fixture
def store(tmp_path) -> Store:
    return open_store(tmp_path / "store")


# ----------------------------------------------------------------------------- location


def test_the_folder_is_the_setting_or_the_users_data_folder(tmp_path):
    assert store_dir({"LOYALTY_WORKSPACE_DIR": str(tmp_path)}) == tmp_path
    assert store_dir({"LOYALTY_WORKSPACE_DIR": "~/ws", "HOME": "/home/hana"}) == Path("/home/hana/ws")
    assert store_dir({"HOME": "/home/hana"}, "linux") == Path("/home/hana/.local/share/loyalty-workbench")
    assert store_dir({"HOME": "/home/hana", "XDG_DATA_HOME": "/data/hana"}, "linux") == \
        Path("/data/hana/loyalty-workbench")
    # the XDG spec ignores a relative value
    assert store_dir({"HOME": "/home/hana", "XDG_DATA_HOME": "rel"}, "linux") == \
        Path("/home/hana/.local/share/loyalty-workbench")
    assert store_dir({"HOME": "/Users/hana"}, "darwin") == \
        Path("/Users/hana/Library/Application Support/loyalty-workbench")
    assert store_dir({"LOCALAPPDATA": r"C:\Users\hana\AppData\Local"}, "win32") == \
        Path(r"C:\Users\hana\AppData\Local") / "loyalty-workbench"


def test_tests_never_use_the_real_user_folder():
    # tests/conftest.py points the setting at a temporary folder for every test
    assert store_dir() != store_dir({"HOME": str(Path.home())}, sys.platform)
    assert not str(store_dir()).startswith(str(Path.home() / ".local"))


# ----------------------------------------------------------------------------- round trips


def test_every_item_round_trips(store):
    ws = store.create(None, "春の分析")
    orders, orders_bytes = _file("注文.csv", "会員番号,注文日,金額\n0001,2024/1/5,1200\n".encode("cp932"),
                                 kind="transactions", overrides={"amount": "金額"})
    book, book_bytes = _file("顧客.xlsx", b"PK\x03\x04 not really a workbook", sheet="顧客一覧")
    campaign, campaign_bytes = _file("配信.csv", b"id,group\n1,mail\n")
    store.put_files(None, ws.id, "data", [orders, book], {**orders_bytes, **book_bytes})
    store.put_files(None, ws.id, "campaign", [campaign], campaign_bytes)
    working = defn.preset("b2b").copy(name="営業案", persona_notes={"tier:top": "年2回の訪問"},
                                      measures=[{"target": "tier:top", "title": "専任担当", "detail": "",
                                                 "channel": "訪問", "timing": "四半期", "kpi": "継続率"}])
    store.put_items(None, ws.id, {"currency": "GBP", "drop_duplicates": True, "definition": working.to_dict(),
                                  "saved_definition": defn.preset("b2c").to_dict()})
    store.put_proposals(None, ws.id, [("営業案", working.to_dict()), ("CS案", defn.preset("saas").to_dict())])

    fresh = open_store(store.folder)  # another process would see the same
    got = fresh.load(None, ws.id)
    assert got.workspace.name == "春の分析" and got.workspace.owner is None
    assert [(f.role, f.name, f.sha, f.options) for f in got.files] == [
        ("data", "注文.csv", orders.sha, orders.options), ("data", "顧客.xlsx", book.sha, book.options),
        ("campaign", "配信.csv", campaign.sha, campaign.options)]
    assert fresh.file_bytes(None, ws.id, orders.sha) == orders_bytes[orders.sha]
    assert fresh.file_bytes(None, ws.id, book.sha) == book_bytes[book.sha]
    assert got.items == {"currency": "GBP", "drop_duplicates": True, "definition": working.to_dict(),
                         "saved_definition": defn.preset("b2c").to_dict()}
    assert defn.from_dict(got.items["definition"]).to_dict() == working.to_dict()
    assert [(n, defn.from_dict(d).to_dict()) for n, d, _ in got.proposals] == [
        ("営業案", working.to_dict()), ("CS案", defn.preset("saas").to_dict())]
    assert set(got.changed) == {"currency", "drop_duplicates", "definition", "saved_definition"}
    assert all(f.changed is not None for f in got.files)


def test_each_item_keeps_the_time_it_changed(store):
    ws = store.create(None, "a")
    store.put_items(None, ws.id, {"currency": "JPY"})
    store.put_proposals(None, ws.id, [("A", {"x": 1}), ("B", {"x": 2})])
    first = store.load(None, ws.id)
    store.put_items(None, ws.id, {"drop_duplicates": True})
    store.put_proposals(None, ws.id, [("A", {"x": 1}), ("B", {"x": 3})])
    second = store.load(None, ws.id)
    assert second.changed["currency"] == first.changed["currency"]
    assert second.changed["drop_duplicates"] > first.changed["currency"]
    times = {n: when for n, _, when in first.proposals}
    assert [(n, when == times[n]) for n, _, when in second.proposals] == [("A", True), ("B", False)]
    assert second.workspace.changed > first.workspace.changed
    store.put_items(None, ws.id, {"currency": None})
    assert "currency" not in store.load(None, ws.id).items


def test_large_files_are_kept_in_compressed_parts(store, monkeypatch):
    from loyalty.workspaces import blobs

    monkeypatch.setattr(blobs, "PART_BYTES", 1000)
    data = ("会員番号,注文日,金額\n" + "".join(f"{i:06d},2024/01/{1 + i % 28:02d},{i * 7}\n"
                                              for i in range(500))).encode("utf-8")
    rec, raw = _file("big.csv", data)
    ws = store.create(None, "big")
    store.put_files(None, ws.id, "data", [rec], raw)
    with sqlite3.connect(store.path) as conn:
        parts = conn.execute("SELECT part, codec, size, length(data) FROM blob_parts ORDER BY part").fetchall()
    assert [p[0] for p in parts] == list(range(-(-len(data) // 1000)))
    assert sum(p[2] for p in parts) == len(data)
    assert all(codec == "zstd" and stored < size for _, codec, size, stored in parts[:-1])
    assert store.file_bytes(None, ws.id, rec.sha) == data


def test_an_already_compressed_file_is_kept_as_it_is():
    from loyalty.workspaces import blobs

    noise = hashlib.sha256(b"seed").digest() * 1  # 32 random-looking bytes
    data = b"".join(hashlib.sha256(noise + bytes([i % 256, i // 256])).digest() for i in range(2000))
    parts = list(blobs.pack(data))
    assert [(p.codec, p.size) for p in parts] == [("none", len(data))]
    assert blobs.unpack(parts) == data
    assert [(p.codec, p.size, p.data) for p in blobs.pack(b"")] == [("none", 0, b"")]


def test_files_are_shared_between_workspaces_and_dropped_with_the_last_one(store):
    rec, raw = _file("a.csv", b"id,date,amount\n1,2024-01-01,5\n")
    a = store.create(None, "A")
    store.put_files(None, a.id, "data", [rec], raw)
    b = store.duplicate(None, a.id, "B")
    assert store.file_bytes(None, b.id, rec.sha) == raw[rec.sha]

    def blob_count():
        with sqlite3.connect(store.path) as conn:
            return conn.execute("SELECT count(*) FROM blobs").fetchone()[0], \
                conn.execute("SELECT count(*) FROM blob_parts").fetchone()[0]

    assert blob_count() == (1, 1)
    store.delete(None, a.id)
    assert blob_count() == (1, 1)
    store.put_files(None, b.id, "data", [], {})
    assert blob_count() == (0, 0)


def test_the_bytes_of_a_new_file_must_match_its_hash(store):
    ws = store.create(None, "a")
    rec, _ = _file("a.csv", b"one")
    with pytest.raises(ValueError):
        store.put_files(None, ws.id, "data", [rec], {rec.sha: b"two"})
    assert store.load(None, ws.id).files == []


# ----------------------------------------------------------------------------- names, duplicate, last


def test_names_are_unique_per_owner_trimmed_and_limited(store):
    a = store.create(None, "  顧客  分析 ")
    assert a.name == "顧客 分析"
    with pytest.raises(LoyaltyError) as taken:
        store.create(None, "顧客 分析")
    assert "すでにあります" in taken.value.message("ja") and "already" in taken.value.message("en")
    for bad in ("", "   ", "x" * 81):
        with pytest.raises(LoyaltyError):
            store.create(None, bad)
    assert store.create("hana@example.co.jp", "顧客 分析").name == "顧客 分析"  # another owner may
    assert store.unique_name(None, "顧客 分析") == "顧客 分析 (2)"
    assert store.rename(None, a.id, "顧客 分析").name == "顧客 分析"  # its own name again is fine
    b = store.create(None, "B")
    with pytest.raises(LoyaltyError):
        store.rename(None, b.id, "顧客 分析")
    assert [w.name for w in store.list(None)] == ["B", "顧客 分析"]


def test_duplicate_copies_everything_and_keeps_the_original(store):
    ws = store.create(None, "原本")
    rec, raw = _file("a.csv", b"id,date,amount\n1,2024-01-01,5\n", kind="transactions")
    store.put_files(None, ws.id, "data", [rec], raw)
    store.put_items(None, ws.id, {"currency": "USD", "definition": defn.preset("saas").to_dict()})
    store.put_proposals(None, ws.id, [("案1", defn.preset("b2b").to_dict())])
    copy = store.duplicate(None, ws.id, "写し")
    a, b = store.load(None, ws.id), store.load(None, copy.id)
    assert (b.files, b.items, b.proposals, b.changed) == (a.files, a.items, a.proposals, a.changed)
    store.put_items(None, copy.id, {"currency": "EUR"})
    assert store.load(None, ws.id).items["currency"] == "USD"


def test_the_last_workspace_is_remembered_per_owner(store):
    assert store.last(None) is None
    a, b = store.create(None, "A"), store.create(None, "B")
    store.set_last(None, b.id)
    assert store.last(None).id == b.id
    mine = store.create("hana@example.co.jp", "M")
    store.set_last("hana@example.co.jp", mine.id)
    assert store.last(None).id == b.id and store.last("Hana@Example.co.jp").id == mine.id
    store.delete(None, b.id)
    assert store.last(None) is None
    store.set_last(None, a.id)
    assert store.last(None).id == a.id


# ----------------------------------------------------------------------------- ownership


def test_one_users_workspaces_are_invisible_to_another_when_login_is_on(store):
    hana, ken = "hana@example.co.jp", "ken@example.co.jp"
    mine = store.create(hana, "ハナの分析")
    rec, raw = _file("a.csv", b"id,date,amount\n1,2024-01-01,5\n")
    store.put_files(hana, mine.id, "data", [rec], raw)
    store.put_items(hana, mine.id, {"currency": "GBP"})
    store.set_last(hana, mine.id)

    assert [w.name for w in store.list(hana)] == ["ハナの分析"]
    assert store.list(ken) == [] and store.list(None) == []
    assert store.find(ken, "ハナの分析") is None and store.last(ken) is None
    denied = [lambda: store.get(ken, mine.id), lambda: store.load(ken, mine.id),
              lambda: store.file_bytes(ken, mine.id, rec.sha), lambda: store.rename(ken, mine.id, "x"),
              lambda: store.duplicate(ken, mine.id, "x"), lambda: store.delete(ken, mine.id),
              lambda: store.put_items(ken, mine.id, {"currency": "JPY"}),
              lambda: store.put_proposals(ken, mine.id, []),
              lambda: store.put_files(ken, mine.id, "data", [], {}), lambda: store.set_last(ken, mine.id),
              lambda: store.get(None, mine.id)]
    for call in denied:
        with pytest.raises(LoyaltyError) as exc:
            call()
        # exactly the message of a workspace that does not exist: nothing is revealed
        assert exc.value.message("en") == "The workspace cannot be found. It may have been deleted or renamed in " \
                                          "another tab."
    assert store.load(hana, mine.id).items == {"currency": "GBP"}
    assert store.file_bytes(hana, mine.id, rec.sha) == raw[rec.sha]
    assert store.list(ken) == [] and store.last(hana).id == mine.id


# ----------------------------------------------------------------------------- damage and deletion


def test_a_corrupt_store_is_moved_aside_and_a_fresh_one_made(tmp_path):
    folder = tmp_path / "store"
    folder.mkdir()
    garbage = b"this is not a database, but it is someone's file" * 100
    (folder / STORE_FILE).write_bytes(garbage)
    (folder / "my_orders.csv").write_bytes(b"id\n1\n")  # something else in the folder stays untouched
    store = open_store(folder)
    assert store.notice is not None
    moved = [p for p in folder.iterdir() if p.name.startswith(f"{STORE_FILE}.corrupt-")]
    assert len(moved) == 1 and moved[0].read_bytes() == garbage
    assert moved[0].name in store.notice.message("ja") and "退避" in store.notice.message("ja")
    assert (folder / "my_orders.csv").read_bytes() == b"id\n1\n"
    assert store.list(None) == [] and store.create(None, "new").name == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]  # nothing written outside the folder


def test_a_deleted_store_is_recreated_while_in_use(store):
    store.create(None, "A")
    store.close()
    for p in store.folder.iterdir():
        p.unlink()
    assert store.list(None) == []
    assert store.create(None, "A").name == "A"


def test_a_store_from_a_newer_version_is_refused_and_left_alone(tmp_path):
    folder = tmp_path / "store"
    open_store(folder).close()
    with sqlite3.connect(folder / STORE_FILE) as conn:
        conn.execute(f"PRAGMA user_version = {schema.LATEST + 1}")
    before = (folder / STORE_FILE).read_bytes()
    with pytest.raises(LoyaltyError) as exc:
        open_store(folder)
    assert f"{schema.LATEST + 1}" in exc.value.message("en") and "newer" in exc.value.message("en")
    assert (folder / STORE_FILE).read_bytes() == before


def test_a_damaged_file_part_is_reported_not_returned(store):
    ws = store.create(None, "a")
    rec, raw = _file("a.csv", b"id,date,amount\n" * 50)
    store.put_files(None, ws.id, "data", [rec], raw)
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE blob_parts SET size = size + 1")
    with pytest.raises(LoyaltyError) as exc:
        store.file_bytes(None, ws.id, rec.sha)
    assert "壊れて" in exc.value.message("ja")


# ----------------------------------------------------------------------------- two processes


@pytest.mark.slow
def test_two_processes_write_one_store_at_once(tmp_path):
    folder = tmp_path / "store"
    open_store(folder).close()
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from loyalty.workspaces import open_store
        who = sys.argv[1]
        store = open_store({str(folder)!r})
        for i in range(25):
            ws = store.create(None, f"{{who}}-{{i}}")
            store.put_items(None, ws.id, {{"currency": "GBP", "drop_duplicates": i % 2 == 0}})
            store.put_proposals(None, ws.id, [(f"p{{i}}", {{"n": i}})])
            store.set_last(None, ws.id)
            store.list(None)
        print("done")
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, who], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for who in ("a", "b")]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    store = open_store(folder)
    names = [w.name for w in store.list(None)]
    assert sorted(names) == sorted(f"{who}-{i}" for who in "ab" for i in range(25))
    for w in store.list(None):
        got = store.load(None, w.id)
        i = int(w.name.split("-")[1])
        assert got.items == {"currency": "GBP", "drop_duplicates": i % 2 == 0}
        assert [(n, d) for n, d, _ in got.proposals] == [(f"p{i}", {"n": i})]


def test_the_process_keeps_one_store_per_folder_and_only_the_last_few_open(tmp_path):
    from loyalty.workspaces import shared_store

    first = shared_store(tmp_path / "0")
    assert shared_store(tmp_path / "0") is first and shared_store(str(tmp_path / "0")) is first
    first.create(None, "kept")
    for i in range(1, 6):
        shared_store(tmp_path / str(i))
    assert first._conn is None  # the oldest was closed …
    assert [w.name for w in first.list(None)] == ["kept"]  # … and reopens when used again
    assert shared_store(tmp_path / "0") is not first  # a new object now: the old one was let go
