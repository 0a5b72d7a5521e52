"""The workspace store: a SQLite database in one folder, shared by the app and the CLI.

Why SQLite: it ships with Python, and in WAL mode several processes (the app's
server, a ``python -m loyalty score --workspace`` run, a second server) read and
write one store at once, each write a short transaction.  DuckDB allows one
writing process at a time, so the CLI could not open a store the app holds.

Every call that reaches a workspace takes its owner (None when the app runs
without login) and finds nothing that belongs to someone else: another user's
workspace is reported exactly like one that does not exist.

A store that SQLite cannot read is moved aside (renamed within its folder, never
deleted) and a fresh one is created; :attr:`Store.notice` then says so.  A store
written by a newer version is left untouched and refused.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from loyalty.errors import LoyaltyError
from loyalty.i18n import error
from loyalty.workspaces import blobs, schema
from loyalty.workspaces.location import STORE_FILE

MAX_NAME = 80
ROLES = ("data", "campaign")
#: The items a workspace keeps (JSON values).
ITEMS = ("currency", "drop_duplicates", "definition", "saved_definition")
BUSY_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Workspace:
    """One workspace as listed.

    Attributes:
        id: its identifier (a random hex string).
        name: its name, unique per owner.
        owner: the login's e-mail, or None without login.
        created: when it was made (UTC).
        changed: when anything in it last changed (UTC).
    """

    id: str
    name: str
    owner: str | None
    created: datetime
    changed: datetime


@dataclass(frozen=True)
class FileRecord:
    """One uploaded file of a workspace.

    Attributes:
        name: the file name as uploaded.
        sha: SHA-256 of its bytes (hex).
        options: ``{"sheet", "kind", "overrides"}``: how it is read and mapped.
        role: ``"data"`` or ``"campaign"``.
        changed: when it or its options last changed (None before it is stored).
    """

    name: str
    sha: str
    options: dict = field(default_factory=dict)
    role: str = "data"
    changed: datetime | None = None


@dataclass
class Content:
    """Everything kept in one workspace.

    Attributes:
        workspace: the workspace.
        files: its files, data first, in upload order.
        items: item key -> JSON value (see :data:`ITEMS`).
        changed: item key -> when it changed.
        proposals: ``(name, definition dict, changed)`` in the workshop's order.
    """

    workspace: Workspace
    files: list[FileRecord]
    items: dict[str, object]
    changed: dict[str, datetime]
    proposals: list[tuple[str, dict, datetime]]


def now() -> str:
    """The current time as stored (ISO 8601, UTC, microseconds)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _owner(owner: str | None) -> str:
    """The stored form of an owner: '' without login, else the address in lower case."""
    return (owner or "").strip().lower()


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class Store:
    """The workspace store in ``folder`` (created when missing).

    Args:
        folder: the store's folder (:func:`loyalty.workspaces.location.store_dir`).

    Raises:
        LoyaltyError: the folder cannot be created or the store was written by a
            newer version of the program.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / STORE_FILE
        self.notice: LoyaltyError | None = None
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._ensure()

    # ------------------------------------------------------------------ opening

    def _ensure(self) -> None:
        """Create or upgrade the store once, and again if its file was deleted meanwhile."""
        if self._conn is not None and self.path.exists():
            return
        with self._lock:
            if self._conn is not None:
                if self.path.exists():
                    return
                self._conn.close()  # the store was deleted under us: start a new one
                self._conn = None
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise error("workspace.error.folder", file=str(self.folder), detail=str(exc)) from None
            try:
                self._conn = self._open_checked()
            except sqlite3.DatabaseError as exc:
                self._move_aside(exc)
                self._conn = self._open_checked()

    def _open_checked(self) -> sqlite3.Connection:
        """Open the store, check it reads, switch it to WAL and migrate it."""
        conn = self._raw_connection()
        try:
            if conn.execute("PRAGMA quick_check(1)").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("quick_check failed")
            conn.execute("PRAGMA journal_mode = WAL")
            schema.migrate(conn)
        except schema.StoreTooNew as exc:
            conn.close()
            raise error("workspace.error.too_new", file=str(self.path), version=exc.version,
                        known=schema.LATEST) from None
        except BaseException:
            conn.close()
            raise
        return conn

    def _move_aside(self, exc: Exception) -> None:
        """Rename an unreadable store (and its WAL files) within its folder."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{STORE_FILE}.corrupt-{stamp}")
        n = 2
        while target.exists():
            target, n = self.path.with_name(f"{STORE_FILE}.corrupt-{stamp}-{n}"), n + 1
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(self.path) + suffix)
            if src.exists():
                src.rename(Path(str(target) + suffix))
        self.notice = error("workspace.notice.moved_aside", file=target.name, folder=str(self.folder),
                            detail=str(exc)[:200])

    def _raw_connection(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL: a commit survives an app crash, not a power cut
        conn.execute("PRAGMA journal_size_limit = 67108864")  # the WAL shrinks back to 64 MB after large uploads
        return conn

    def close(self) -> None:
        """Close the store's connection (it reopens on the next call)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """The store's connection, for reads (one thread at a time in this process).

        One connection is kept open: closing the last connection to a WAL database
        checkpoints and deletes the WAL, which made every call cost 10-20 ms.
        """
        self._ensure()
        with self._lock:
            yield self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (taken at once, so writers of other processes queue instead of failing)."""
        with self._read() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # ------------------------------------------------------------------ workspaces

    def list(self, owner: str | None) -> list[Workspace]:
        """The owner's workspaces, by name.

        Args:
            owner: the login's e-mail, or None without login.

        Returns:
            Only workspaces of that owner.
        """
        with self._read() as conn:
            rows = conn.execute("SELECT id, name, owner, created, changed FROM workspaces WHERE owner = ? "
                                "ORDER BY name COLLATE NOCASE, name", (_owner(owner),)).fetchall()
        return [self._workspace(r) for r in rows]

    @staticmethod
    def _workspace(row) -> Workspace:
        return Workspace(row[0], row[1], row[2] or None, _when(row[3]), _when(row[4]))

    def get(self, owner: str | None, workspace_id: str) -> Workspace:
        """One of the owner's workspaces.

        Raises:
            LoyaltyError: no such workspace for this owner.
        """
        with self._read() as conn:
            return self._get(conn, owner, workspace_id)

    def _get(self, conn, owner: str | None, workspace_id: str) -> Workspace:
        row = conn.execute("SELECT id, name, owner, created, changed FROM workspaces WHERE id = ? AND owner = ?",
                           (str(workspace_id), _owner(owner))).fetchone()
        if row is None:
            raise error("workspace.error.not_found")
        return self._workspace(row)

    def find(self, owner: str | None, name: str) -> Workspace | None:
        """The owner's workspace of this name (exact), or None."""
        with self._read() as conn:
            row = conn.execute("SELECT id, name, owner, created, changed FROM workspaces WHERE owner = ? AND name = ?",
                               (_owner(owner), str(name).strip())).fetchone()
        return self._workspace(row) if row else None

    def create(self, owner: str | None, name: str) -> Workspace:
        """A new, empty workspace (the app shows it on the sample data).

        Raises:
            LoyaltyError: the name is empty, too long or taken.
        """
        with self._write() as conn:
            return self._create(conn, owner, name)

    def _create(self, conn, owner: str | None, name: str) -> Workspace:
        name = self._valid_name(conn, owner, name)
        stamp, wid = now(), uuid.uuid4().hex
        conn.execute("INSERT INTO workspaces (id, owner, name, created, changed) VALUES (?, ?, ?, ?, ?)",
                     (wid, _owner(owner), name, stamp, stamp))
        return Workspace(wid, name, _owner(owner) or None, _when(stamp), _when(stamp))

    def _valid_name(self, conn, owner: str | None, name: str, keep: str | None = None) -> str:
        name = " ".join(str(name or "").split())
        if not name or len(name) > MAX_NAME:
            raise error("workspace.error.bad_name", most=MAX_NAME)
        row = conn.execute("SELECT id FROM workspaces WHERE owner = ? AND name = ?", (_owner(owner), name)).fetchone()
        if row is not None and row[0] != keep:
            raise error("workspace.error.name_taken", name=name)
        return name

    def unique_name(self, owner: str | None, name: str) -> str:
        """``name``, or ``name (2)``, ``name (3)`` … when it is taken."""
        base = " ".join(str(name or "").split())[:MAX_NAME - 5] or "workspace"
        taken = {w.name for w in self.list(owner)}
        out, n = base, 2
        while out in taken:
            out, n = f"{base} ({n})", n + 1
        return out

    def rename(self, owner: str | None, workspace_id: str, name: str) -> Workspace:
        """Give a workspace a new name.

        Raises:
            LoyaltyError: not the owner's, or the name is empty, too long or taken.
        """
        with self._write() as conn:
            self._get(conn, owner, workspace_id)
            name = self._valid_name(conn, owner, name, keep=workspace_id)
            conn.execute("UPDATE workspaces SET name = ?, changed = ? WHERE id = ?", (name, now(), workspace_id))
            return self._get(conn, owner, workspace_id)

    def delete(self, owner: str | None, workspace_id: str) -> None:
        """Delete a workspace and everything in it (files no other workspace uses too).

        Raises:
            LoyaltyError: not the owner's workspace.
        """
        with self._write() as conn:
            self._get(conn, owner, workspace_id)
            conn.execute("DELETE FROM workspaces WHERE id = ?", (workspace_id,))
            conn.execute("UPDATE owners SET last_workspace = NULL WHERE last_workspace = ?", (workspace_id,))
            self._collect(conn)

    def duplicate(self, owner: str | None, workspace_id: str, name: str) -> Workspace:
        """A copy of a workspace under a new name (files are shared, not copied).

        Raises:
            LoyaltyError: not the owner's workspace, or the name is invalid or taken.
        """
        with self._write() as conn:
            self._get(conn, owner, workspace_id)
            new = self._create(conn, owner, name)
            for table, columns in (("items", "key, value, changed"),
                                   ("proposals", "name, position, definition, changed"),
                                   ("files", "role, position, name, sha, options, changed")):
                conn.execute(f"INSERT INTO {table} (workspace, {columns}) "
                             f"SELECT ?, {columns} FROM {table} WHERE workspace = ?", (new.id, workspace_id))
            return new

    # ------------------------------------------------------------------ the last one opened

    def last(self, owner: str | None) -> Workspace | None:
        """The workspace the owner opened last (None when none is left)."""
        with self._read() as conn:
            row = conn.execute("SELECT w.id, w.name, w.owner, w.created, w.changed FROM owners o "
                               "JOIN workspaces w ON w.id = o.last_workspace AND w.owner = o.owner "
                               "WHERE o.owner = ?", (_owner(owner),)).fetchone()
        return self._workspace(row) if row else None

    def set_last(self, owner: str | None, workspace_id: str) -> None:
        """Remember ``workspace_id`` as the owner's last one (reopened after a refresh or restart).

        Raises:
            LoyaltyError: not the owner's workspace.
        """
        with self._write() as conn:
            self._get(conn, owner, workspace_id)
            conn.execute("INSERT INTO owners (owner, last_workspace, changed) VALUES (?, ?, ?) "
                         "ON CONFLICT (owner) DO UPDATE SET last_workspace = excluded.last_workspace, "
                         "changed = excluded.changed", (_owner(owner), workspace_id, now()))

    # ------------------------------------------------------------------ content

    def load(self, owner: str | None, workspace_id: str) -> Content:
        """Everything a workspace holds (files without their bytes: :meth:`file_bytes`).

        Raises:
            LoyaltyError: not the owner's workspace.
        """
        with self._read() as conn:
            conn.execute("BEGIN")  # one consistent snapshot
            try:
                ws = self._get(conn, owner, workspace_id)
                files = [FileRecord(r[1], r[2], json.loads(r[3]), r[0], _when(r[4])) for r in conn.execute(
                    "SELECT role, name, sha, options, changed FROM files WHERE workspace = ? "
                    "ORDER BY role = 'campaign', position", (ws.id,))]
                items, changed = {}, {}
                for key, value, when in conn.execute("SELECT key, value, changed FROM items WHERE workspace = ?",
                                                     (ws.id,)):
                    items[key], changed[key] = json.loads(value), _when(when)
                proposals = [(r[0], json.loads(r[1]), _when(r[2])) for r in conn.execute(
                    "SELECT name, definition, changed FROM proposals WHERE workspace = ? ORDER BY position",
                    (ws.id,))]
            finally:
                conn.execute("COMMIT")
        return Content(ws, files, items, changed, proposals)

    def file_bytes(self, owner: str | None, workspace_id: str, sha: str) -> bytes:
        """The original bytes of one of the workspace's files.

        Raises:
            LoyaltyError: not the owner's workspace, or the file is not in it, or the
                store is damaged.
        """
        with self._read() as conn:
            self._get(conn, owner, workspace_id)
            if conn.execute("SELECT 1 FROM files WHERE workspace = ? AND sha = ?",
                            (workspace_id, sha)).fetchone() is None:
                raise error("workspace.error.not_found")
            parts = [blobs.Part(*r) for r in conn.execute(
                "SELECT part, codec, size, data FROM blob_parts WHERE sha = ? ORDER BY part", (sha,))]
        try:
            return blobs.unpack(parts)
        except ValueError as exc:
            raise error("workspace.error.damaged", file=str(self.path), detail=str(exc)) from None

    def put_items(self, owner: str | None, workspace_id: str, values: dict[str, object]) -> None:
        """Keep items (JSON values; None removes one), each stamped with the time.

        Raises:
            LoyaltyError: not the owner's workspace.
            ValueError: an unknown item key (a programming error).
        """
        unknown = set(values) - set(ITEMS)
        if unknown:
            raise ValueError(f"unknown workspace items: {sorted(unknown)}")
        stamp = now()
        with self._write() as conn:
            self._get(conn, owner, workspace_id)
            for key, value in values.items():
                if value is None:
                    conn.execute("DELETE FROM items WHERE workspace = ? AND key = ?", (workspace_id, key))
                else:
                    conn.execute("INSERT INTO items (workspace, key, value, changed) VALUES (?, ?, ?, ?) "
                                 "ON CONFLICT (workspace, key) DO UPDATE SET value = excluded.value, "
                                 "changed = excluded.changed", (workspace_id, key, _json(value), stamp))
            self._touch(conn, workspace_id, stamp)

    def put_proposals(self, owner: str | None, workspace_id: str, proposals: list[tuple[str, dict]]) -> None:
        """Keep the workshop's proposals in order (a proposal that did not change keeps its time).

        Args:
            owner: the owner.
            workspace_id: the workspace.
            proposals: ``(name, definition dict)`` in order; names unique.

        Raises:
            LoyaltyError: not the owner's workspace.
        """
        stamp = now()
        with self._write() as conn:
            self._get(conn, owner, workspace_id)
            old = {r[0]: (r[1], r[2]) for r in conn.execute(
                "SELECT name, definition, changed FROM proposals WHERE workspace = ?", (workspace_id,))}
            conn.execute("DELETE FROM proposals WHERE workspace = ?", (workspace_id,))
            for position, (name, data) in enumerate(proposals):
                text = _json(data)
                when = old[name][1] if name in old and old[name][0] == text else stamp
                conn.execute("INSERT INTO proposals (workspace, name, position, definition, changed) "
                             "VALUES (?, ?, ?, ?, ?)", (workspace_id, name, position, text, when))
            self._touch(conn, workspace_id, stamp)

    def put_files(self, owner: str | None, workspace_id: str, role: str, files: list[FileRecord],
                  data: dict[str, bytes]) -> None:
        """Keep the workspace's files of one role, in order, with their options.

        A file whose name, content and options did not change keeps its time.

        Args:
            owner: the owner.
            workspace_id: the workspace.
            role: ``"data"`` or ``"campaign"``.
            files: the files in order.
            data: sha -> bytes, for every file the store may not hold yet.

        Raises:
            LoyaltyError: not the owner's workspace.
            ValueError: an unknown role, or the bytes of a new file are missing or
                do not match their SHA-256 (programming errors).
        """
        if role not in ROLES:
            raise ValueError(f"unknown file role {role!r}")
        stamp = now()
        with self._write() as conn:
            self._get(conn, owner, workspace_id)
            old = {(r[0], r[1], r[2]): r[3] for r in conn.execute(
                "SELECT name, sha, options, changed FROM files WHERE workspace = ? AND role = ?",
                (workspace_id, role))}
            conn.execute("DELETE FROM files WHERE workspace = ? AND role = ?", (workspace_id, role))
            for position, f in enumerate(files):
                self._put_blob(conn, f.sha, data.get(f.sha))
                options = _json(f.options or {})
                when = old.get((f.name, f.sha, options), stamp)
                conn.execute("INSERT INTO files (workspace, role, position, name, sha, options, changed) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)", (workspace_id, role, position, f.name, f.sha,
                                                              options, when))
            self._collect(conn)
            self._touch(conn, workspace_id, stamp)

    @staticmethod
    def _put_blob(conn, sha: str, data: bytes | None) -> None:
        if conn.execute("SELECT 1 FROM blobs WHERE sha = ?", (sha,)).fetchone():
            return
        if data is None or hashlib.sha256(data).hexdigest() != sha:
            raise ValueError(f"the bytes of file {sha[:12]} are missing or do not match")
        conn.execute("INSERT INTO blobs (sha, size) VALUES (?, ?)", (sha, len(data)))
        for part in blobs.pack(data):
            conn.execute("INSERT INTO blob_parts (sha, part, codec, size, data) VALUES (?, ?, ?, ?, ?)",
                         (sha, part.index, part.codec, part.size, part.data))

    @staticmethod
    def _collect(conn) -> None:
        """Drop bytes no workspace's file refers to any more."""
        conn.execute("DELETE FROM blobs WHERE sha NOT IN (SELECT sha FROM files)")

    @staticmethod
    def _touch(conn, workspace_id: str, stamp: str) -> None:
        conn.execute("UPDATE workspaces SET changed = ? WHERE id = ?", (stamp, workspace_id))
