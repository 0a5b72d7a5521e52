"""The session and its workspace: load on opening, save what changed after each run.

* :func:`attach` (app.py, before anything reads the session) opens the workspace
  of this session, or after a refresh or a restart the one its owner opened last
  (the first one is made on the sample data), and puts what it holds into the
  session state the pages already use (:mod:`ui.state`'s keys, the workshop's
  proposals, the effect page's list).
* :func:`save_changes` (app.py, after the page) compares what the run left in the
  session with what was last loaded or saved, item by item, and writes only what
  changed: a slider move writes the definition's JSON (about 0.1 ms), an upload
  its files once.  The pages therefore need no save calls of their own.

After ``st.stop()`` Streamlit refuses every ordinary read of the session state
(each one raises the stop again), and a page stops often (a file to fix, a page
waiting for two proposals).  :func:`save_changes` therefore reads the whole state
at once with ``st.session_state.to_dict()``, which does not, and records what it
wrote in a :class:`Sync` object kept in the session and changed in place.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from dataclasses import dataclass, field
from datetime import datetime

import streamlit as st

from loyalty import definition as defn
from loyalty.errors import LoyaltyError
from loyalty.i18n import error
from loyalty.workspaces import (FileRecord, definition_from_items, definition_items, saved_from_items,
                                shared_store)
from loyalty.workspaces.records import to_json
from ui import auth, state
from ui.workshop import K_PROPOSALS

K_SYNC = "space_sync"          # the session's Sync
K_OFF = "space_off"            # why workspaces are off in this session (LoyaltyError)
K_EFFECT_UPLOAD = "effect_upload"  # ui.effect.K_UPLOAD (not imported: ui.effect draws charts on import)

#: Widget state that belongs to the workspace's content: forgotten on a switch, so
#: each page draws the new workspace's values.
RESET_PREFIXES = ("w_def_", "w_kind_", "w_sheet_", "w_note_", "w_measures_")
RESET_KEYS = ("seg_editor_base", "w_preset", "w_ws_from", "w_ws_to", "ws_errors", "ws_loaded", "ws_edit_pending",
              "def_load_error", "_deliverables_personas")


@dataclass
class Sync:
    """This session's workspace and what the store holds of it.

    Attributes:
        workspace_id: the workspace open in this session.
        owner: its owner (the login's e-mail, or None without login).
        seen: item -> its JSON text as last loaded or saved.
        saved_at: when the workspace last changed.
        kept: ``(sha, sheet)`` of files whose table as read the store holds.
        message: ``("error"|"success", text)`` for the sidebar's next run.
    """

    workspace_id: str
    owner: str | None
    seen: dict[str, str] = field(default_factory=dict)
    saved_at: datetime | None = None
    kept: set = field(default_factory=set)
    message: tuple[str, str] | None = None


def owner() -> str | None:
    """The owner of this session's workspaces: the login's e-mail when login is on, else None.

    Raises:
        LoyaltyError: login is on but the login gives no address (workspaces stay off).
    """
    if not auth.login_required():
        return None
    try:
        who = str(st.user.get("email") or "").strip().lower()
    except Exception:  # noqa: BLE001 - outside a script run there is no user
        who = ""
    if not who:
        raise error("workspace.error.no_owner")
    return who


def sync() -> Sync | None:
    """This session's :class:`Sync`, or None when workspaces are off."""
    return st.session_state.get(K_SYNC)


def store():
    """The process's store, or None when workspaces are off for this session (the reason kept)."""
    if K_OFF in st.session_state:
        return None
    try:
        return shared_store()
    except LoyaltyError as exc:
        st.session_state[K_OFF] = exc
        return None


def attach() -> None:
    """Put this session on a workspace: its own, else the owner's last, else a new first one.

    Called by app.py on every run, after the login gate and before any page reads
    the session.  Never raises: without a store the app works as before (the
    session only), and the sidebar says why.
    """
    s = store()
    if s is None:
        return
    try:
        current, who = sync(), owner()
        if current is not None and current.owner != who:  # another login in this browser session
            _forget_everything()
            current = None
        if current is not None:
            try:
                s.get(who, current.workspace_id)
                keep_tables(current)  # files of a run that ended with st.stop()
                return
            except LoyaltyError:  # deleted in another tab: reopen the last one
                pass
        ws = s.last(who) or next(iter(s.list(who)), None)
        if ws is None:
            ws = s.create(who, s.unique_name(who, state.t("workspace.ui.first_name")))
        open_workspace(ws.id, reset=current is not None)
        if current is not None:
            sync().message = ("error", state.t("workspace.ui.gone"))
    except LoyaltyError as exc:
        st.session_state[K_OFF] = exc
    except (sqlite3.Error, OSError) as exc:
        st.session_state[K_OFF] = error("workspace.error.unavailable", detail=str(exc)[:200])


def open_workspace(workspace_id: str, *, reset: bool = True) -> None:
    """Make ``workspace_id`` the session's workspace and load what it holds.

    Args:
        workspace_id: one of the owner's workspaces.
        reset: forget the pages' widget state (a switch; not needed in a new session).

    Raises:
        LoyaltyError: not the owner's workspace.
    """
    s, who = shared_store(), owner()
    content = s.load(who, workspace_id)
    ss = st.session_state
    data = [f for f in content.files if f.role == "data"]
    ss[state.K_UPLOADS] = [state.Upload(f.name, s.file_bytes(who, workspace_id, f.sha), f.sha) for f in data]
    ss[state.K_TABLE_OPTS] = {f.sha: _options(f.options) for f in data}
    campaign = next((f for f in content.files if f.role == "campaign"), None)
    ss[K_EFFECT_UPLOAD] = (state.Upload(campaign.name, s.file_bytes(who, workspace_id, campaign.sha), campaign.sha)
                           if campaign else None)
    ss[state.K_DROP_DUPS] = bool(content.items.get("drop_duplicates", False))
    ss[state.K_CURRENCY] = content.items.get("currency") or "JPY"
    problems = _load_definitions(content)
    if reset:
        _forget_widgets()
    seen = {key: text for key, (text, _) in _snapshot(ss.to_dict()).items()}
    ss[K_SYNC] = Sync(workspace_id, who, seen, content.workspace.changed,
                      message=("error", problems[0].message(state.lang())) if problems else None)
    s.set_last(who, workspace_id)
    state.apply_currency()


def _options(options: dict) -> dict:
    """A file's reading options in the session's form."""
    return {"sheet": options.get("sheet"), "kind": options.get("kind"),
            "overrides": dict(options.get("overrides") or {})}


def _load_definitions(content) -> list[LoyaltyError]:
    """The working and saved definitions and the proposals into the session.

    Returns:
        The kept definitions that no longer validate (dropped; the sidebar says so).
    """
    ss, problems = st.session_state, []
    for key, read in ((state.K_DEF, definition_from_items), (state.K_SAVED, saved_from_items)):
        try:
            d = read(content.items, file=content.workspace.name)
        except LoyaltyError as exc:
            d = None
            problems.append(exc)
        if d is None:
            ss.pop(key, None)
        else:
            ss[key] = d
    proposals = {}
    for name, data, _ in content.proposals:
        try:
            proposals[name] = defn.from_dict(data, file=name)
        except LoyaltyError as exc:
            problems.append(exc)
    ss[K_PROPOSALS] = proposals
    return problems


def _forget_everything() -> None:
    """Drop the whole session state but the language: nothing of one user may reach the next."""
    ss = st.session_state
    for key in list(ss.keys()):
        if key not in (state.K_LANG, "w_lang_en"):
            del ss[key]


def _forget_widgets() -> None:
    """Drop the pages' widget state tied to the previous workspace's content."""
    ss = st.session_state
    for key in list(ss.keys()):
        if str(key).startswith(RESET_PREFIXES) or key in RESET_KEYS:
            del ss[key]


def _snapshot(ss: dict) -> dict[str, tuple[str, object]]:
    """What the session holds, item by item: ``key -> (JSON text, value)``.

    Args:
        ss: the session state as a dict (``st.session_state.to_dict()``).
    """
    ups = ss.get(state.K_UPLOADS) or []
    opts = ss.get(state.K_TABLE_OPTS) or {}
    campaign = ss.get(K_EFFECT_UPLOAD)
    out: dict[str, object] = {
        "files:data": [(u.name, u.sha, _options(opts.get(u.sha) or {})) for u in ups],
        "files:campaign": [(campaign.name, campaign.sha)] if campaign else [],
        "currency": ss.get(state.K_CURRENCY) or "JPY",
        "drop_duplicates": bool(ss.get(state.K_DROP_DUPS, False)) or None,
        "proposals": [(name, d.to_dict()) for name, d in (ss.get(K_PROPOSALS) or {}).items()],
        "saved_definition": ss[state.K_SAVED].to_dict() if state.K_SAVED in ss else None,
    }
    if state.K_DEF in ss:
        out.update(definition_items(ss[state.K_DEF]))
    return {key: (to_json(value), value) for key, value in out.items()}


def save_changes() -> None:
    """Write what this run changed in the session to the workspace (only that).

    Called by app.py after the page ran (also when it stopped or asked for a
    rerun).  Never raises a store error: a failure is said in the sidebar.
    """
    ss = st.session_state.to_dict()  # readable even after st.stop() (see the module docstring)
    current = ss.get(K_SYNC)
    if current is None or K_OFF in ss:
        return
    now_ = _snapshot(ss)
    changed = {key for key, (text, _) in now_.items() if current.seen.get(key) != text}
    try:
        if changed:
            _write(shared_store(), current, changed, now_, ss)
            current.seen.update({key: now_[key][0] for key in changed})
            current.saved_at = datetime.now().astimezone()
        if sys.exc_info()[0] is None:  # the page ran to its end: the session is readable as usual
            keep_tables(current)
    except LoyaltyError as exc:  # the workspace was deleted in another tab (the next run reopens one)
        current.message = ("error", exc.message(state.lang()))
    except (sqlite3.Error, OSError) as exc:
        current.message = ("error", state.t("workspace.ui.save_failed", detail=str(exc)[:200]))


def _write(s, current: Sync, changed: set[str], now_: dict, ss: dict) -> None:
    """Write the changed items (files, items, proposals) of one run."""
    who, wid = current.owner, current.workspace_id
    if "files:data" in changed:
        ups = ss.get(state.K_UPLOADS) or []
        records = [FileRecord(name, sha, options) for name, sha, options in now_["files:data"][1]]
        s.put_files(who, wid, "data", records, {u.sha: u.data for u in ups})
    if "files:campaign" in changed:
        up = ss.get(K_EFFECT_UPLOAD)
        s.put_files(who, wid, "campaign", [FileRecord(up.name, up.sha, {}, "campaign")] if up else [],
                    {up.sha: up.data} if up else {})
    items = {key: now_[key][1] for key in changed if not key.startswith("files:") and key != "proposals"}
    if items:
        s.put_items(who, wid, items)
    if "proposals" in changed:
        s.put_proposals(who, wid, now_["proposals"][1])


def keep_tables(current: Sync) -> None:
    """Keep each stored upload's table as read in the store (once; the next reopen reads it).

    Only files the store holds already (saved by an earlier run) are considered,
    and they have been read by then (the sidebar reads every file in use), so the
    table comes from the reading cache.
    """
    stored = {sha for _, sha, _ in json.loads(current.seen.get("files:data") or "[]")}
    s = shared_store()
    for up in st.session_state.get(state.K_UPLOADS) or []:
        sheet = state.table_options(up.sha)["sheet"]
        key = (up.sha, sheet)
        if key in current.kept or up.sha not in stored:
            continue
        if not s.has_table(up.sha, sheet):
            try:
                raw = state.raw_table(up)
            except LoyaltyError:
                raw = None
            if raw is not None and not s.keep_table(up.sha, sheet, raw):
                continue  # not stored after all (deleted meanwhile): try again next run
        current.kept.add(key)


def kept_table(sha: str, name: str, sheet):
    """The table as read kept in the store for these bytes, or None (then the file is read).

    For :mod:`ui.state`'s reading cache; never raises.
    """
    try:
        return shared_store().kept_table(sha, sheet, name)
    except Exception:  # noqa: BLE001 - a kept table only saves time: without it the file is read
        return None
