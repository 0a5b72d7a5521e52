"""Export and import of a workspace (loyalty.workspaces.bundle): everything comes back,
a taken name is never overwritten without being asked, and bad or hostile files are
refused with a message saying what is wrong."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from loyalty import definition as defn
from loyalty.errors import LoyaltyError
from loyalty.workspaces import FileRecord, definition_from_items, definition_items, open_store
from loyalty.workspaces.bundle import export_bundle, import_bundle, read_bundle

ROOT = Path(__file__).resolve().parent.parent


def _workspace(store, owner=None, name="春のワークショップ"):
    ws = store.create(owner, name)
    files = {}
    recs = []
    for fname, role, options in (("b2b_accounts.csv", "data", {"sheet": None, "kind": "customers",
                                                               "overrides": {"nps": None}}),
                                 ("customers.csv", "data", {"sheet": 0, "kind": None, "overrides": {}}),
                                 ("campaign_assignment.csv", "campaign", {"sheet": None, "kind": None,
                                                                          "overrides": {}})):
        data = (ROOT / "sample_data" / fname).read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        files[sha] = data
        recs.append(FileRecord(fname, sha, options, role))
    store.put_files(owner, ws.id, "data", [r for r in recs if r.role == "data"], files)
    store.put_files(owner, ws.id, "campaign", [r for r in recs if r.role == "campaign"], files)
    working = defn.preset("b2c").copy(name="合意案", persona_notes={"tier:top": "店頭イベントに来る"},
                                      measures=[{"target": "tier:top", "title": "招待会", "detail": "年2回",
                                                 "channel": "DM", "timing": "春・秋", "kpi": "来場率"}])
    store.put_items(owner, ws.id, {**definition_items(working), "currency": "GBP", "drop_duplicates": True,
                                   "saved_definition": defn.preset("b2c").to_dict()})
    store.put_proposals(owner, ws.id, [("営業案", defn.preset("b2b").to_dict()),
                                       ("CS案", defn.preset("saas").to_dict())])
    return ws, files, working


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return out.getvalue()


def _flagged_encrypted(data: bytes) -> bytes:
    """The zip with the "encrypted" bit set in every header (zipfile cannot write encrypted entries)."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = out.find(signature)
        while at >= 0:
            out[at + offset] |= 0x1
            at = out.find(signature, at + 4)
    return bytes(out)


def _entries(bundle: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _manifest(entries):
    return json.loads(entries["manifest.json"])


def test_an_exported_workspace_imports_with_everything_and_its_times(tmp_path):
    a = open_store(tmp_path / "a")
    ws, files, working = _workspace(a, owner="hana@example.co.jp")
    bundle = export_bundle(a, "hana@example.co.jp", ws.id)
    b = open_store(tmp_path / "b")
    got = import_bundle(b, "ken@example.co.jp", bundle, "ws.zip")
    assert got.name == "春のワークショップ" and [w.name for w in b.list("ken@example.co.jp")] == [got.name]
    before, after = a.load("hana@example.co.jp", ws.id), b.load("ken@example.co.jp", got.id)
    assert after.items == before.items
    assert after.changed == before.changed
    assert after.proposals == before.proposals
    assert [(f.role, f.name, f.sha, f.options, f.changed) for f in after.files] == \
        [(f.role, f.name, f.sha, f.options, f.changed) for f in before.files]
    for f in after.files:
        assert b.file_bytes("ken@example.co.jp", got.id, f.sha) == files[f.sha]
    assert definition_from_items(after.items).to_dict() == working.to_dict()


def test_the_bundle_holds_plain_definition_files(tmp_path):
    store = open_store(tmp_path / "s")
    ws, files, working = _workspace(store)
    entries = _entries(export_bundle(store, None, ws.id))
    assert sorted(entries) == sorted(["manifest.json", "definition.json", "saved_definition.json",
                                      "proposals/1.json", "proposals/2.json", *(f"files/{s}" for s in files)])
    assert defn.loads(entries["definition.json"]).to_dict() == working.to_dict()  # loads on the definition page
    assert defn.loads(entries["proposals/2.json"]).to_dict() == defn.preset("saas").to_dict()
    m = _manifest(entries)
    assert (m["format"], m["version"], m["name"], m["currency"], m["drop_duplicates"]) == \
        ("loyalty-workspace", 1, "春のワークショップ", "GBP", True)
    assert [(f["name"], f["role"], f["size"]) for f in m["files"]] == [
        ("b2b_accounts.csv", "data", len(files[m["files"][0]["sha256"]])),
        ("customers.csv", "data", len(files[m["files"][1]["sha256"]])),
        ("campaign_assignment.csv", "campaign", len(files[m["files"][2]["sha256"]]))]
    assert [p["name"] for p in m["proposals"]] == ["営業案", "CS案"]


def test_a_taken_name_is_never_overwritten_without_being_asked(tmp_path):
    store = open_store(tmp_path / "s")
    ws, _, _ = _workspace(store)
    bundle = export_bundle(store, None, ws.id)
    store.put_items(None, ws.id, {"currency": "USD"})
    with pytest.raises(LoyaltyError) as exc:
        import_bundle(store, None, bundle, "ws.zip")
    assert "すでにあります" in exc.value.message("ja")
    assert store.load(None, ws.id).items["currency"] == "USD"
    both = import_bundle(store, None, bundle, "ws.zip", name=store.unique_name(None, "春のワークショップ"))
    assert both.name == "春のワークショップ (2)" and len(store.list(None)) == 2
    store.set_last(None, ws.id)
    replaced = import_bundle(store, None, bundle, "ws.zip", replace=ws.id)
    assert sorted(w.name for w in store.list(None)) == ["春のワークショップ", "春のワークショップ (2)"]
    assert store.load(None, replaced.id).items["currency"] == "GBP"
    assert store.last(None).id == replaced.id
    with pytest.raises(LoyaltyError):  # someone else's workspace cannot be the one replaced
        import_bundle(store, "ken@example.co.jp", bundle, "ws.zip", replace=replaced.id)


def _refused(data: bytes) -> str:
    with pytest.raises(LoyaltyError) as exc:
        read_bundle(data, "colleague.zip")
    assert exc.value.file.startswith("colleague.zip")
    return exc.value.message("en")


def test_files_that_are_not_exported_workspaces_are_refused(tmp_path):
    assert "cannot be read as an exported workspace" in _refused(b"id,date\n1,2024-01-01\n")
    assert "cannot be read as an exported workspace" in _refused(b"PK\x03\x04broken")
    assert "manifest.json is missing" in _refused(_zip({"orders.csv": b"id\n"}))
    assert "manifest.json is missing" in _refused(_zip({"manifest.json": b'{"format": "other"}'}))
    assert "not valid JSON" in _refused(_zip({"manifest.json": b"\xff\xfe{"}))
    newer = json.dumps({"format": "loyalty-workspace", "version": 2, "name": "x"}).encode()
    assert "newer version" in _refused(_zip({"manifest.json": newer}))


def test_hostile_archives_are_refused_before_anything_is_kept(tmp_path):
    store = open_store(tmp_path / "s")
    ws, files, _ = _workspace(store)
    good = _entries(export_bundle(store, None, ws.id))
    for evil in ("../../etc/passwd", "files/../../x", "/abs/path", "notes.txt", "files/ABC"):
        assert f"“{evil}”" in _refused(_zip({**good, evil: b"x"}))
    assert "password-protected" in _refused(_flagged_encrypted(_zip(good)))
    bomb = {**good, "files/" + "0" * 64: b"\0" * (20 * 1024 * 1024)}
    assert "too large" in _refused(_zip(bomb))
    big_json = {**good, "definition.json": b" " * (6 * 1024 * 1024)}
    assert "too large" in _refused(_zip(big_json))
    sha = next(iter(files))
    tampered = {**good, f"files/{sha}": files[sha] + b"1,2024/1/1,999999\n"}
    assert "does not match its checksum" in _refused(_zip(tampered))
    assert [w.id for w in store.list(None)] == [ws.id]  # nothing was added


def test_a_manifest_or_definition_that_is_not_valid_is_named(tmp_path):
    store = open_store(tmp_path / "s")
    ws, files, _ = _workspace(store)
    good = _entries(export_bundle(store, None, ws.id))

    def with_manifest(**changes):
        m = {**_manifest(good), **changes}
        return _zip({**good, "manifest.json": json.dumps(m).encode()})

    assert "“currency”" in _refused(with_manifest(currency="XYZ"))
    assert "“name”" in _refused(with_manifest(name="x" * 81))
    assert "“name”" in _refused(with_manifest(name="line\nbreak"))
    first = dict(_manifest(good)["files"][0])
    assert "“files[0].name”" in _refused(with_manifest(files=[{**first, "name": "../x.csv"}]))
    assert "“files[0].role”" in _refused(with_manifest(files=[{**first, "role": "script"}]))
    assert "“files[0].options”" in _refused(with_manifest(files=[{**first, "options": {"kind": "virus"}}]))
    assert "“files[0].sha256”" in _refused(with_manifest(files=[{**first, "sha256": "1" * 64}]))
    assert "“changed”" in _refused(with_manifest(changed={"currency": "yesterday"}))
    broken = json.loads(good["proposals/1.json"])
    broken["tiers"] = {"top": "high", "middle": 50}
    message = _refused(_zip({**good, "proposals/1.json": json.dumps(broken).encode()}))
    assert "proposals/1.json" in message and "tiers" in message
