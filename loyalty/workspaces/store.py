"""The workspace store: workspaces per owner and everything they hold.

Every call that reaches a workspace takes its owner (None when the app runs
without login) and finds nothing that belongs to someone else: another user's
workspace is reported exactly like one that does not exist.  The database file
itself (opening, damage, transactions) is :mod:`loyalty.workspaces.db`.
"""

from __future__ import annotations

import hashlib
import json
import uuid

from loyalty.i18n import error
import loyalty.workspaces.blobs as blobs
import loyalty.workspaces.tables as tables
from loyalty.workspaces.db import Database
from loyalty.workspaces.records import (Content, FileRecord, Workspace, now, owner_key, sheet_key, to_json,
                                        when)

MAX_NAME = 80
ROLES = ("data", "campaign")
#: The items a workspace keeps (JSON values).
ITEMS = ("currency", "drop_duplicates", "definition", "notes", "measures", "saved_definition")


class Store(Database):
    """The workspace store in ``folder`` (created when missing).

    Args:
        folder: the store's folder (:func:`loyalty.workspaces.location.store_dir`).

    Raises:
        LoyaltyError: the folder cannot be created or the store was written by a
            newer version of the program.
    """

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
                                "ORDER BY name COLLATE NOCASE, name", (owner_key(owner),)).fetchall()
        return [self._workspace(r) for r in rows]

    @staticmethod
    def _workspace(row) -> Workspace:
        return Workspace(row[0], row[1], row[2] or None, when(row[3]), when(row[4]))

    def get(self, owner: str | None, workspace_id: str) -> Workspace:
        """One of the owner's workspaces.

        Raises:
            LoyaltyError: no such workspace for this owner.
        """
        with self._read() as conn:
            return self._get(conn, owner, workspace_id)

    def _get(self, conn, owner: str | None, workspace_id: str) -> Workspace:
        row = conn.execute("SELECT id, name, owner, created, changed FROM workspaces WHERE id = ? AND owner = ?",
                           (str(workspace_id), owner_key(owner))).fetchone()
        if row is None:
            raise error("workspace.error.not_found")
        return self._workspace(row)

    def find(self, owner: str | None, name: str) -> Workspace | None:
        """The owner's workspace of this name (exact), or None."""
        with self._read() as conn:
            row = conn.execute("SELECT id, name, owner, created, changed FROM workspaces WHERE owner = ? AND name = ?",
                               (owner_key(owner), str(name).strip())).fetchone()
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
                     (wid, owner_key(owner), name, stamp, stamp))
        return Workspace(wid, name, owner_key(owner) or None, when(stamp), when(stamp))

    def _valid_name(self, conn, owner: str | None, name: str, keep: str | None = None) -> str:
        name = " ".join(str(name or "").split())
        if not name or len(name) > MAX_NAME:
            raise error("workspace.error.bad_name", most=MAX_NAME)
        row = conn.execute("SELECT id FROM workspaces WHERE owner = ? AND name = ?", (owner_key(owner), name)).fetchone()
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

    def restore(self, owner: str | None, content: Content, data: dict[str, bytes], *,
                replace: str | None = None) -> Workspace:
        """A new workspace holding ``content`` (an imported one), in one transaction.

        Items, proposals and files keep the times they carry.

        Args:
            owner: the new workspace's owner.
            content: what to put in it; its workspace's name is the new name.
            data: sha -> bytes of every file.
            replace: the id of the owner's workspace of the same name to replace
                (the caller asked the user first); None never replaces anything.

        Returns:
            The new workspace.

        Raises:
            LoyaltyError: the name is taken (and not by ``replace``), or ``replace``
                is not the owner's.
            ValueError: an unknown item, role, or a file's bytes missing or wrong.
        """
        unknown = set(content.items) - set(ITEMS)
        if unknown:
            raise ValueError(f"unknown workspace items: {sorted(unknown)}")
        with self._write() as conn:
            if replace is not None:
                self._get(conn, owner, replace)
                conn.execute("DELETE FROM workspaces WHERE id = ?", (replace,))
            new = self._create(conn, owner, content.workspace.name)
            stamp = now()
            for key, value in content.items.items():
                at = content.changed.get(key)
                conn.execute("INSERT INTO items (workspace, key, value, changed) VALUES (?, ?, ?, ?)",
                             (new.id, key, to_json(value), at.isoformat() if at else stamp))
            for position, (name, definition, at) in enumerate(content.proposals):
                conn.execute("INSERT INTO proposals (workspace, name, position, definition, changed) "
                             "VALUES (?, ?, ?, ?, ?)", (new.id, name, position, to_json(definition),
                                                        at.isoformat() if at else stamp))
            positions = {role: 0 for role in ROLES}
            for f in content.files:
                if f.role not in ROLES:
                    raise ValueError(f"unknown file role {f.role!r}")
                self._put_blob(conn, f.sha, data.get(f.sha))
                conn.execute("INSERT INTO files (workspace, role, position, name, sha, options, changed) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (new.id, f.role, positions[f.role], f.name, f.sha, to_json(f.options or {}),
                              f.changed.isoformat() if f.changed else stamp))
                positions[f.role] += 1
            if replace is not None:
                conn.execute("UPDATE owners SET last_workspace = ? WHERE last_workspace = ?", (new.id, replace))
                self._collect(conn)
            return new

    # ------------------------------------------------------------------ the last one opened

    def last(self, owner: str | None) -> Workspace | None:
        """The workspace the owner opened last (None when none is left)."""
        with self._read() as conn:
            row = conn.execute("SELECT w.id, w.name, w.owner, w.created, w.changed FROM owners o "
                               "JOIN workspaces w ON w.id = o.last_workspace AND w.owner = o.owner "
                               "WHERE o.owner = ?", (owner_key(owner),)).fetchone()
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
                         "changed = excluded.changed", (owner_key(owner), workspace_id, now()))

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
                files = [FileRecord(r[1], r[2], json.loads(r[3]), r[0], when(r[4])) for r in conn.execute(
                    "SELECT role, name, sha, options, changed FROM files WHERE workspace = ? "
                    "ORDER BY role = 'campaign', position", (ws.id,))]
                items, changed = {}, {}
                for key, value, at in conn.execute("SELECT key, value, changed FROM items WHERE workspace = ?",
                                                     (ws.id,)):
                    items[key], changed[key] = json.loads(value), when(at)
                proposals = [(r[0], json.loads(r[1]), when(r[2])) for r in conn.execute(
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
                                 "changed = excluded.changed", (workspace_id, key, to_json(value), stamp))
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
                text = to_json(data)
                at = old[name][1] if name in old and old[name][0] == text else stamp
                conn.execute("INSERT INTO proposals (workspace, name, position, definition, changed) "
                             "VALUES (?, ?, ?, ?, ?)", (workspace_id, name, position, text, at))
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
                options = to_json(f.options or {})
                at = old.get((f.name, f.sha, options), stamp)
                conn.execute("INSERT INTO files (workspace, role, position, name, sha, options, changed) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)", (workspace_id, role, position, f.name, f.sha,
                                                              options, at))
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
        """Drop bytes and kept tables no workspace's file refers to any more."""
        conn.execute("DELETE FROM blobs WHERE sha NOT IN (SELECT sha FROM files)")
        conn.execute("DELETE FROM tables WHERE sha NOT IN (SELECT sha FROM files)")

    # ------------------------------------------------------------------ tables as read

    def kept_table(self, sha: str, sheet: str | int | None, name: str):
        """The table kept for a file's bytes and sheet, when today's reader made it.

        Not tied to an owner: the caller holds the file's bytes (``sha`` is their
        hash), so the table tells him nothing he does not have.

        Args:
            sha: SHA-256 of the file's bytes.
            sheet: the sheet asked for (None = the reader's choice).
            name: the file name to give the table.

        Returns:
            A :class:`loyalty.readers.RawTable`, or None when none is kept, it was
            made by another reader, or it cannot be read (then it is dropped).
        """
        key = sheet_key(sheet)
        with self._read() as conn:
            row = conn.execute("SELECT reader FROM tables WHERE sha = ? AND sheet = ?", (sha, key)).fetchone()
            if row is None or row[0] != tables.reader_fingerprint():
                return None
            parts = [blobs.Part(*r) for r in conn.execute(
                "SELECT part, codec, size, data FROM table_parts WHERE sha = ? AND sheet = ? ORDER BY part",
                (sha, key))]
        try:
            return tables.from_parquet(blobs.unpack(parts), name)
        except Exception:  # noqa: BLE001 - a damaged copy is only a cache: the file is read again
            with self._write() as conn:
                conn.execute("DELETE FROM tables WHERE sha = ? AND sheet = ?", (sha, key))
            return None

    def has_table(self, sha: str, sheet: str | int | None) -> bool:
        """Whether a table made by today's reader is kept for these bytes and sheet."""
        with self._read() as conn:
            row = conn.execute("SELECT reader FROM tables WHERE sha = ? AND sheet = ?",
                               (sha, sheet_key(sheet))).fetchone()
        return row is not None and row[0] == tables.reader_fingerprint()

    def keep_table(self, sha: str, sheet: str | int | None, raw) -> bool:
        """Keep a file's table as read (Parquet), if some workspace holds the file.

        Args:
            sha: SHA-256 of the file's bytes.
            sheet: the sheet asked for (None = the reader's choice).
            raw: the :class:`loyalty.readers.RawTable` the reader returned.

        Returns:
            Whether it was kept (False when no workspace holds the file).
        """
        data = tables.to_parquet(raw)
        key, fingerprint = sheet_key(sheet), tables.reader_fingerprint()
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM files WHERE sha = ? LIMIT 1", (sha,)).fetchone() is None:
                return False
            conn.execute("DELETE FROM tables WHERE sha = ? AND sheet = ?", (sha, key))
            conn.execute("INSERT INTO tables (sha, sheet, reader, created) VALUES (?, ?, ?, ?)",
                         (sha, key, fingerprint, now()))
            for part in blobs.pack(data):
                conn.execute("INSERT INTO table_parts (sha, sheet, part, codec, size, data) VALUES (?, ?, ?, ?, ?, ?)",
                             (sha, key, part.index, part.codec, part.size, part.data))
        return True

    @staticmethod
    def _touch(conn, workspace_id: str, stamp: str) -> None:
        conn.execute("UPDATE workspaces SET changed = ? WHERE id = ?", (stamp, workspace_id))
