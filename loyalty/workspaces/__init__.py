"""Workspaces: what a user uploads, maps, defines and writes, kept on disk.

A workspace holds the uploaded files (their original bytes), how each is read and
mapped, the currency, the working and the saved definition, the workshop's
proposals, persona notes and measures, each with when it changed.  The store is a
SQLite database in one folder (:mod:`~loyalty.workspaces.location`); the app
reopens the last workspace after a refresh or a restart, and the command line
scores a workspace by name.

==================  ==========================================================
``location``        where the store lives (``LOYALTY_WORKSPACE_DIR``)
``schema``          the tables, the schema version and the migrations
``blobs``           bytes in compressed parts
``tables``          a table as read, kept as Parquet, and the reader's fingerprint
``records``         what the store hands out (:class:`Workspace`, :class:`Content` …)
``db``              the database file: opening, damage, transactions
``store``           :class:`Store`: workspaces per owner and what they hold
``content``         definitions to and from items; a workspace's tables for the CLI
``bundle``          one workspace as one zip file: export, checked import
==================  ==========================================================
"""

import threading
from pathlib import Path

from loyalty.workspaces.content import (by_name, definition_from_items, definition_items, read_tables,
                                        saved_from_items)
from loyalty.workspaces.location import ENV_DIR, store_dir
from loyalty.workspaces.records import Content, FileRecord, Workspace
from loyalty.workspaces.store import ITEMS, MAX_NAME, ROLES, Store

__all__ = ["ENV_DIR", "ITEMS", "MAX_NAME", "ROLES", "Content", "FileRecord", "Store", "Workspace", "by_name",
           "definition_from_items", "definition_items", "open_store", "read_tables", "saved_from_items",
           "shared_store", "store_dir"]

_SHARED: dict[str, Store] = {}
_SHARED_LOCK = threading.Lock()
_SHARED_MOST = 4


def open_store(folder=None) -> Store:
    """The store in ``folder`` (default: :func:`store_dir`).

    Raises:
        LoyaltyError: the folder cannot be created, or a newer version wrote the store.
    """
    return Store(folder if folder is not None else store_dir())


def shared_store(folder=None) -> Store:
    """The one store object of this process for ``folder`` (default: :func:`store_dir`).

    The app's sessions share it (one SQLite connection per process).  Only the
    last few folders asked for stay open (tests use a folder each).

    Raises:
        LoyaltyError: as :func:`open_store`.
    """
    path = str(Path(folder if folder is not None else store_dir()).resolve())
    with _SHARED_LOCK:
        store = _SHARED.pop(path, None) or Store(path)
        _SHARED[path] = store  # most recent last
        while len(_SHARED) > _SHARED_MOST:
            _SHARED.pop(next(iter(_SHARED))).close()
        return store
