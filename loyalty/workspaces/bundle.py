"""One workspace as one file, to hand a workshop to a colleague: export and import.

The file is a zip holding:

* ``manifest.json`` — ``{"format": "loyalty-workspace", "version": 1, "name", "exported",
  "files": [{"role", "name", "sha256", "size", "options", "changed"}], "currency",
  "drop_duplicates", "changed": {item: time}, "proposals": [{"name", "changed"}]}``;
* ``files/<sha256>`` — each uploaded file's original bytes;
* ``definition.json`` (the working definition with its notes and measures),
  ``saved_definition.json`` and ``proposals/<n>.json`` — ordinary definition files
  that the definition page also loads.

An imported file is untrusted.  It is read in memory (nothing is ever extracted to
disk), and refused with a message saying what is wrong when it is not a zip, is
encrypted, holds an entry this format does not have, is larger than the upload
limit or inflates beyond what its directory says, when a file does not match its
checksum, or when the manifest or a definition is not valid.  Tables as read are
never imported: the files are read again by this program's reader.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import datetime, timezone

from loyalty import definition as defn
from loyalty import limits as limits_mod
from loyalty.fmt import CURRENCIES
from loyalty.i18n import error
from loyalty.workspaces.content import DEFINITION, SAVED, definition_from_items, definition_items
from loyalty.workspaces.records import Content, FileRecord, Workspace, now
from loyalty.workspaces.store import MAX_NAME, ROLES, Store

FORMAT, VERSION = "loyalty-workspace", 1
MANIFEST = "manifest.json"
MAX_JSON_BYTES = 5 * 1024 * 1024
MAX_FILES = 20
MAX_PROPOSALS = 10
_ENTRY = re.compile(r"(?:manifest|definition|saved_definition)\.json|proposals/[0-9]{1,2}\.json|files/[0-9a-f]{64}")
_PACKED = (".gz", ".xlsx", ".xlsm", ".ods", ".parquet", ".zip")  # already compressed: stored as they are


def export_bundle(store: Store, owner: str | None, workspace_id: str) -> bytes:
    """One of the owner's workspaces as a zip file.

    Args:
        store: the store.
        owner: the owner (only his own workspaces export).
        workspace_id: the workspace.

    Returns:
        The zip's bytes.

    Raises:
        LoyaltyError: not the owner's workspace.
    """
    content = store.load(owner, workspace_id)
    items, changed = content.items, content.changed
    manifest = {
        "format": FORMAT, "version": VERSION, "name": content.workspace.name, "exported": now(),
        "files": [{"role": f.role, "name": f.name, "sha256": f.sha, "options": f.options,
                   "changed": _iso(f.changed)} for f in content.files],
        "currency": items.get("currency"), "drop_duplicates": bool(items.get("drop_duplicates", False)),
        "changed": {k: _iso(v) for k, v in changed.items()},
        "proposals": [{"name": name, "changed": _iso(at)} for name, _, at in content.proposals],
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in content.files:
            data = store.file_bytes(owner, workspace_id, f.sha)
            next(e for e in manifest["files"] if e["sha256"] == f.sha)["size"] = len(data)
            packed = f.name.lower().endswith(_PACKED)
            zf.writestr(f"files/{f.sha}", data, compress_type=zipfile.ZIP_STORED if packed else zipfile.ZIP_DEFLATED)
        working = definition_from_items(items, file=content.workspace.name)
        if working is not None:
            zf.writestr("definition.json", working.to_json())
        if items.get(SAVED) is not None:
            zf.writestr("saved_definition.json", defn.pretty_json(items[SAVED]))
        for i, (_, data, _) in enumerate(content.proposals, start=1):
            zf.writestr(f"proposals/{i}.json", defn.pretty_json(data))
        zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
    return out.getvalue()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def read_bundle(data: bytes, file: str) -> tuple[Content, dict[str, bytes]]:
    """Check an exported workspace file and take out what it holds.

    Args:
        data: the file's bytes.
        file: its name (for messages).

    Returns:
        ``(content, bytes by sha)`` for :meth:`Store.restore` (the workspace in
        ``content`` is a placeholder carrying the name).

    Raises:
        LoyaltyError: the file is not an exported workspace, or is damaged or
            hostile (the message says which check failed).
    """
    entries = _entries(data, file)
    manifest = _manifest(entries, file)
    blobs = {}
    files = []
    for i, item in enumerate(manifest["files"]):
        rec, payload = _file_entry(entries, item, i, file)
        blobs[rec.sha] = payload
        files.append(rec)
    items, changed = _items(entries, manifest, file)
    proposals = _proposals(entries, manifest, file)
    stamp = datetime.now(timezone.utc)
    ws = Workspace("", manifest["name"], None, stamp, stamp)
    return Content(ws, files, items, changed, proposals), blobs


def _entries(data: bytes, file: str) -> dict[str, bytes]:
    """Every entry of the zip, each checked against the format and the limits."""
    lim = limits_mod.current()
    most = lim.LOYALTY_MAX_FILE_MB * 1024 * 1024
    if len(data) > most:
        raise error("workspace.bundle.too_large", file=file, entry=file, mb=lim.LOYALTY_MAX_FILE_MB)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise error("workspace.bundle.not_zip", file=file) from None
    names = [i.filename for i in infos]
    if len(names) != len(set(names)):
        raise error("workspace.bundle.unexpected_entry", file=file, entry=sorted(n for n in names
                                                                                 if names.count(n) > 1)[0])
    if MANIFEST not in names:
        raise error("workspace.bundle.not_workspace", file=file)
    total, out = 0, {}
    for info in infos:
        if not _ENTRY.fullmatch(info.filename):
            raise error("workspace.bundle.unexpected_entry", file=file, entry=info.filename[:120])
        if info.flag_bits & 0x1:
            raise error("workspace.bundle.encrypted", file=file)
        cap = MAX_JSON_BYTES if info.filename.endswith(".json") else most
        total += info.file_size
        if info.file_size > cap or total > 2 * most:
            raise error("workspace.bundle.too_large", file=file, entry=info.filename, mb=cap // (1024 * 1024))
        if info.file_size > 10 * 1024 * 1024 and info.file_size > lim.LOYALTY_XLSX_MAX_RATIO * max(info.compress_size, 1):
            raise error("workspace.bundle.too_large", file=file, entry=info.filename, mb=cap // (1024 * 1024))
        try:
            with zf.open(info) as fh:
                payload = fh.read(info.file_size + 1)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
            raise error("workspace.bundle.damaged", file=file, entry=info.filename) from None
        if len(payload) != info.file_size:  # a directory that lies about the size
            raise error("workspace.bundle.damaged", file=file, entry=info.filename)
        out[info.filename] = payload
    return out


def _json_entry(entries: dict[str, bytes], name: str, file: str) -> object:
    try:
        return json.loads(entries[name].decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise error("workspace.bundle.bad_entry", file=file, entry=name) from None


def _bad(file: str, field: str):
    return error("workspace.bundle.bad_manifest", file=file, field=field)


def _manifest(entries: dict[str, bytes], file: str) -> dict:
    """The manifest, its fields checked."""
    m = _json_entry(entries, MANIFEST, file)
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise error("workspace.bundle.not_workspace", file=file)
    if not isinstance(m.get("version"), int) or m["version"] > VERSION or m["version"] < 1:
        raise error("workspace.bundle.too_new", file=file, version=str(m.get("version"))[:20], known=VERSION)
    name = m.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME or not name.isprintable():
        raise _bad(file, "name")
    for key, most in (("files", MAX_FILES), ("proposals", MAX_PROPOSALS)):
        if not isinstance(m.get(key, []), list) or len(m.get(key, [])) > most:
            raise _bad(file, key)
    if m.get("currency") is not None and m["currency"] not in CURRENCIES:
        raise _bad(file, "currency")
    if not isinstance(m.get("drop_duplicates", False), bool):
        raise _bad(file, "drop_duplicates")
    changed = m.get("changed", {})
    if not isinstance(changed, dict) or any(_time(v) is None for v in changed.values()):
        raise _bad(file, "changed")
    return m


def _time(value: object) -> datetime | None:
    """A time from the manifest (None when it is not one)."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _file_entry(entries: dict[str, bytes], item: object, i: int, file: str) -> tuple[FileRecord, bytes]:
    """One file of the manifest: its fields checked, its bytes matching its checksum."""
    where = f"files[{i}]"
    if not isinstance(item, dict):
        raise _bad(file, where)
    sha, name, role, options = item.get("sha256"), item.get("name"), item.get("role"), item.get("options", {})
    if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{64}", sha) or f"files/{sha}" not in entries:
        raise _bad(file, f"{where}.sha256")
    if not isinstance(name, str) or not name.strip() or len(name) > 255 or not name.isprintable() \
            or "/" in name or "\\" in name:
        raise _bad(file, f"{where}.name")
    if role not in ROLES:
        raise _bad(file, f"{where}.role")
    if not _valid_options(options):
        raise _bad(file, f"{where}.options")
    payload = entries[f"files/{sha}"]
    if hashlib.sha256(payload).hexdigest() != sha:
        raise error("workspace.bundle.checksum", file=file, entry=name)
    changed = _time(item["changed"]) if item.get("changed") is not None else None
    return FileRecord(name, sha, {"sheet": options.get("sheet"), "kind": options.get("kind"),
                                  "overrides": dict(options.get("overrides") or {})}, role, changed), payload


def _valid_options(options: object) -> bool:
    """Whether a file's reading options have the app's shape."""
    if not isinstance(options, dict) or set(options) - {"sheet", "kind", "overrides"}:
        return False
    sheet, kind, overrides = options.get("sheet"), options.get("kind"), options.get("overrides") or {}
    return ((sheet is None or (isinstance(sheet, str) and len(sheet) <= 255)
             or (isinstance(sheet, int) and not isinstance(sheet, bool) and 0 <= sheet < 10_000))
            and kind in (None, "transactions", "customers")
            and isinstance(overrides, dict) and len(overrides) <= 200
            and all(isinstance(k, str) and len(k) <= 64 and (v is None or (isinstance(v, str) and len(v) <= 1000))
                    for k, v in overrides.items()))


def _definition(entries: dict[str, bytes], name: str, file: str) -> defn.Definition:
    """A definition entry, validated as the definition page validates a file."""
    data = _json_entry(entries, name, file)
    return defn.from_dict(data, file=f"{file} › {name}")


def _items(entries: dict[str, bytes], m: dict, file: str) -> tuple[dict, dict]:
    """The workspace's items and when each changed."""
    items: dict[str, object] = {}
    if m.get("currency") is not None:
        items["currency"] = m["currency"]
    if m.get("drop_duplicates"):
        items["drop_duplicates"] = True
    if "definition.json" in entries:
        split = definition_items(_definition(entries, "definition.json", file))
        items.update({k: v for k, v in split.items() if v is not None})
    if "saved_definition.json" in entries:
        items[SAVED] = _definition(entries, "saved_definition.json", file).to_dict()
    stamps = {k: _time(v) for k, v in m.get("changed", {}).items()}
    changed = {k: stamps[k] for k in items if stamps.get(k) is not None}
    if DEFINITION in items:
        for k in ("notes", "measures"):
            if k in items and k not in changed and DEFINITION in changed:
                changed[k] = changed[DEFINITION]
    return items, changed


def _proposals(entries: dict[str, bytes], m: dict, file: str) -> list[tuple[str, dict, datetime | None]]:
    """The workshop's proposals, in order, each a valid definition under a unique name."""
    out, names = [], set()
    for i, item in enumerate(m.get("proposals", []), start=1):
        entry = f"proposals/{i}.json"
        if not isinstance(item, dict) or entry not in entries:
            raise _bad(file, f"proposals[{i - 1}]")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 200 or name in names:
            raise _bad(file, f"proposals[{i - 1}].name")
        names.add(name)
        changed = _time(item["changed"]) if item.get("changed") is not None else None
        out.append((name, _definition(entries, entry, file).to_dict(), changed))
    extra = sorted(n for n in entries if n.startswith("proposals/") and n not in
                   {f"proposals/{i}.json" for i in range(1, len(out) + 1)})
    if extra:
        raise error("workspace.bundle.unexpected_entry", file=file, entry=extra[0])
    return out


def import_bundle(store: Store, owner: str | None, data: bytes, file: str, *, name: str | None = None,
                  replace: str | None = None) -> Workspace:
    """Check an exported workspace file and add it to the owner's workspaces.

    Never overwrites on its own: a name that is taken raises unless ``replace``
    names the workspace to replace (after the user said so) or ``name`` gives
    another name.

    Args:
        store: the store.
        owner: the importing user (the workspace becomes his).
        data: the file's bytes.
        file: its name (for messages).
        name: the name to give it (default: the name it was exported under).
        replace: the id of the owner's workspace to replace.

    Returns:
        The new workspace.

    Raises:
        LoyaltyError: the file is refused (see :func:`read_bundle`), or the name is taken.
    """
    content, blobs = read_bundle(data, file)
    if name is not None:
        content.workspace = Workspace("", name, None, content.workspace.created, content.workspace.changed)
    return store.restore(owner, content, blobs, replace=replace)
