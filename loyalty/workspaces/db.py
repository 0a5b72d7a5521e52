"""The store's database file: opened once per process, checked, migrated, moved aside
when SQLite cannot read it, and recreated when it was deleted while in use.

Why SQLite: it ships with Python, and in WAL mode several processes (the app's
server, a ``python -m loyalty score --workspace`` run, a second server) read and
write one store at once, each write a short transaction.  DuckDB allows one
writing process at a time, so the CLI could not open a store the app holds.

One connection per process is kept open and shared by the app's sessions (one
call at a time): closing the last connection to a WAL database checkpoints and
deletes the WAL, which made every call cost 10-20 ms instead of 0.1 ms.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from loyalty.errors import LoyaltyError
from loyalty.i18n import error
import loyalty.workspaces.schema as schema
from loyalty.workspaces.location import STORE_FILE

BUSY_TIMEOUT_S = 30.0


class Database:
    """The SQLite file of a store in ``folder`` (created when missing).

    Args:
        folder: the store's folder.

    Attributes:
        notice: set when an unreadable store was moved aside (the app says so once).

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
