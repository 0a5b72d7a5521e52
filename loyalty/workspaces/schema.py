"""The store's tables and how a store written by an older version is brought up to date.

The schema version is SQLite's ``user_version`` (0 in a new, empty database).
:data:`STEPS` ``[n]`` turns a version ``n - 1`` store into version ``n``; the steps
run in one transaction together with the new version number, so a store is
always at one version, never half-way.  A store of a version newer than this
program knows is refused, never changed.

Version 1: workspaces (id, owner, name, created, changed), their items (JSON with
when each changed), workshop proposals, uploaded files (name, role, position,
reading options) and the files' bytes (content-addressed, in compressed parts),
and per owner the workspace opened last.

Version 2: the tables as read, kept as Parquet beside the files' bytes (``tables``,
``table_parts``; see :mod:`loyalty.workspaces.tables`), and the working definition's
persona notes and measures as items of their own (``notes``, ``measures``), each
with its own time; version 1 kept them inside the ``definition`` item.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

V1 = """
CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,                -- '' when the app runs without login
    name TEXT NOT NULL,
    created TEXT NOT NULL,              -- ISO 8601, UTC
    changed TEXT NOT NULL,
    UNIQUE (owner, name)
);
CREATE TABLE items (
    workspace TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    key TEXT NOT NULL,                  -- currency, drop_duplicates, definition, saved_definition
    value TEXT NOT NULL,                -- JSON
    changed TEXT NOT NULL,
    PRIMARY KEY (workspace, key)
);
CREATE TABLE proposals (
    workspace TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    definition TEXT NOT NULL,           -- the definition file's JSON
    changed TEXT NOT NULL,
    PRIMARY KEY (workspace, name)
);
CREATE TABLE blobs (
    sha TEXT PRIMARY KEY,               -- SHA-256 of the original bytes
    size INTEGER NOT NULL
);
CREATE TABLE blob_parts (
    sha TEXT NOT NULL REFERENCES blobs (sha) ON DELETE CASCADE,
    part INTEGER NOT NULL,
    codec TEXT NOT NULL,                -- zstd | none
    size INTEGER NOT NULL,              -- before compression
    data BLOB NOT NULL,
    PRIMARY KEY (sha, part)
);
CREATE TABLE files (
    workspace TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    role TEXT NOT NULL,                 -- data (the analysis) | campaign (the effect page's list)
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    sha TEXT NOT NULL REFERENCES blobs (sha),
    options TEXT NOT NULL,              -- JSON {"sheet", "kind", "overrides"}
    changed TEXT NOT NULL,
    PRIMARY KEY (workspace, role, position)
);
CREATE INDEX files_sha ON files (sha);
CREATE TABLE owners (
    owner TEXT PRIMARY KEY,
    last_workspace TEXT,
    changed TEXT NOT NULL
);
"""


def _to_v1(conn: sqlite3.Connection) -> None:
    for statement in _statements(V1):
        conn.execute(statement)


V2 = """
CREATE TABLE tables (
    sha TEXT NOT NULL,                  -- the file's SHA-256
    sheet TEXT NOT NULL,                -- the sheet asked for ('' = the reader's choice)
    reader TEXT NOT NULL,               -- loyalty.workspaces.tables.reader_fingerprint()
    created TEXT NOT NULL,
    PRIMARY KEY (sha, sheet)
);
CREATE TABLE table_parts (
    sha TEXT NOT NULL,
    sheet TEXT NOT NULL,
    part INTEGER NOT NULL,
    codec TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (sha, sheet, part),
    FOREIGN KEY (sha, sheet) REFERENCES tables (sha, sheet) ON DELETE CASCADE
);
"""

#: The working definition's parts that became items of their own in version 2.
SPLIT_ITEMS = {"persona_notes": "notes", "measures": "measures"}


def _to_v2(conn: sqlite3.Connection) -> None:
    for statement in _statements(V2):
        conn.execute(statement)
    rows = conn.execute("SELECT workspace, value, changed FROM items WHERE key = 'definition'").fetchall()
    for workspace, value, changed in rows:
        data = json.loads(value)
        for field, key in SPLIT_ITEMS.items():
            if field in data:
                conn.execute("INSERT INTO items (workspace, key, value, changed) VALUES (?, ?, ?, ?)",
                             (workspace, key, json.dumps(data.pop(field), ensure_ascii=False, sort_keys=True,
                                                         separators=(",", ":")), changed))
        conn.execute("UPDATE items SET value = ? WHERE workspace = ? AND key = 'definition'",
                     (json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")), workspace))


def _statements(script: str) -> list[str]:
    """The statements of a script of CREATE statements (no ``;`` inside them)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


#: ``STEPS[n]`` upgrades a store from version ``n - 1`` to ``n``.
STEPS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _to_v1, 2: _to_v2}
LATEST = max(STEPS)


class StoreTooNew(Exception):
    """The store was written by a newer version of the program."""

    def __init__(self, version: int) -> None:
        super().__init__(f"store schema version {version} is newer than {LATEST}")
        self.version = version


def version(conn: sqlite3.Connection) -> int:
    """The store's schema version (0 for an empty database)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int = LATEST) -> int:
    """Bring the store up to ``target`` (every step in one transaction).

    Args:
        conn: a connection in autocommit mode (``isolation_level=None``).
        target: the version to reach (tests stop at an older one).

    Returns:
        The version the store had before.

    Raises:
        StoreTooNew: the store's version is above :data:`LATEST`.
    """
    conn.execute("BEGIN IMMEDIATE")  # one process migrates; the others wait, then see the new version
    try:
        before = version(conn)
        if before > LATEST:
            raise StoreTooNew(before)
        for step in range(before + 1, target + 1):
            STEPS[step](conn)
            conn.execute(f"PRAGMA user_version = {int(step)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return before
