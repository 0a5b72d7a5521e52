"""Where the workspace store lives on disk: the ``LOYALTY_WORKSPACE_DIR`` setting.

The store is one folder holding one SQLite database (:mod:`loyalty.workspaces.store`).
Without the setting it is the usual per-user data folder of the system:

* Linux and other Unix: ``$XDG_DATA_HOME/loyalty-workbench`` (when that variable
  holds an absolute path), else ``~/.local/share/loyalty-workbench``;
* macOS: ``~/Library/Application Support/loyalty-workbench``;
* Windows: ``%LOCALAPPDATA%\\loyalty-workbench`` (``%APPDATA%`` when unset).

Nothing is written outside that folder.  The setting is declared in
:mod:`loyalty.settings` and read in :func:`store_dir` only.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from loyalty import settings

ENV_DIR = "LOYALTY_WORKSPACE_DIR"
APP_FOLDER = "loyalty-workbench"
STORE_FILE = "workspaces.sqlite3"


def store_dir(environ: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    """The folder of the workspace store.

    Args:
        environ: the environment (default: the process's, :func:`loyalty.settings.system_environ`).
        platform: ``sys.platform`` to assume (default: this one's).

    Returns:
        ``LOYALTY_WORKSPACE_DIR`` when set (``~`` expanded), else the system's
        per-user data folder followed by ``loyalty-workbench``.
    """
    env = settings.system_environ() if environ is None else environ
    chosen = (settings.read(ENV_DIR, env) or "").strip()
    if chosen:
        if chosen == "~" or chosen.startswith(("~/", "~\\")):
            return _home(env) / chosen[2:]
        return Path(chosen)
    return _data_home(env, platform or sys.platform) / APP_FOLDER


def _home(env: Mapping[str, str]) -> Path:
    """The user's home folder as the environment names it."""
    for key in ("HOME", "USERPROFILE"):
        if env.get(key, "").strip():
            return Path(env[key])
    return Path.home()


def _data_home(env: Mapping[str, str], platform: str) -> Path:
    """The per-user folder for application data on ``platform``."""
    if platform.startswith("win"):
        for key in ("LOCALAPPDATA", "APPDATA"):
            if env.get(key, "").strip():
                return Path(env[key])
        return _home(env) / "AppData" / "Local"
    if platform == "darwin":
        return _home(env) / "Library" / "Application Support"
    xdg = env.get("XDG_DATA_HOME", "").strip()
    if xdg and Path(xdg).is_absolute():  # the XDG spec: a relative value is ignored
        return Path(xdg)
    return _home(env) / ".local" / "share"
