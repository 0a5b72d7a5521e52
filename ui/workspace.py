"""Workspaces in the app: the sidebar card, and the two calls app.py makes.

* :func:`attach` and :func:`save_changes` (from :mod:`ui.workspace_session`): the
  session opens its workspace (after a refresh or a restart, the last one) and
  what a run changes is saved after it.
* :func:`switcher` draws the sidebar card: pick a workspace, when it was last
  saved, and a menu to make a new one, rename, duplicate, export, import and
  delete (with a confirmation).

Run locally the app is one person's: every tab sees the same workspaces (owner
None).  Hosted with login (:mod:`ui.auth`), the owner is the login's e-mail and
the store shows nobody anyone else's workspaces.
"""

from __future__ import annotations

import sqlite3
from zoneinfo import ZoneInfo

import streamlit as st

from loyalty.errors import LoyaltyError
from loyalty.i18n import error
from loyalty.workspaces import MAX_NAME, shared_store
from loyalty.workspaces.bundle import export_bundle, import_bundle, read_bundle
from ui import components, state
from ui.workspace_session import K_OFF, attach, open_workspace, owner, save_changes, store, sync

__all__ = ["attach", "save_changes", "show_saved", "switcher"]

K_PENDING = "space_pending"    # ("delete", id) or ("import", name, bytes, file name): a dialog to show
K_NOTICE = "space_notice_shown"
K_MENU = "w_space_menu"        # the 管理 popover (open or closed)


# --------------------------------------------------------------------------- the sidebar card


def switcher():
    """The workspace card of the sidebar (call inside ``st.sidebar``).

    Returns:
        A placeholder for :func:`show_saved` (the time is known only after the page
        ran and :func:`save_changes` wrote), or None when workspaces are off.
    """
    t = state.t
    with st.container(border=True):
        st.markdown(f":material/work_history: **{t('workspace.ui.title')}**")
        s = store()
        current = sync()
        if s is None or current is None:
            if K_OFF in st.session_state:
                st.caption(t("workspace.ui.off", reason=st.session_state[K_OFF].message(state.lang())))
            return None
        _notices(s, current)
        wid = current.workspace_id
        spaces = {w.id: w.name for w in s.list(current.owner)}
        if wid not in spaces:
            return None
        st.session_state["w_space_pick"] = wid
        st.selectbox(t("workspace.ui.pick"), list(spaces), format_func=lambda i: spaces.get(i, "—"),
                     key="w_space_pick", on_change=_on_pick, label_visibility="collapsed")
        slot = st.empty()
        # drawn only while open (one rerun when it opens): a slider move draws none of its widgets
        menu = st.popover(t("workspace.ui.manage"), icon=":material/folder_managed:", width="stretch",
                          key=K_MENU, on_change="rerun")
        if menu.open:
            with menu:
                _menu(s, wid, spaces[wid])
    _pending_dialog()
    return slot


def _notices(s, current) -> None:
    """A store moved aside (once per session) and the last action's outcome."""
    if s.notice is not None and not st.session_state.get(K_NOTICE):
        st.session_state[K_NOTICE] = True
        st.warning(s.notice.message(state.lang()), icon=":material/warning:")
    kind, text = current.message or (None, None)
    current.message = None
    if kind == "error":
        st.error(text, icon="⚠️")
    elif kind == "success":
        st.success(text, icon=":material/check_circle:")


def show_saved(slot) -> None:
    """Fill the card's placeholder: when the workspace was last saved (the browser's time zone).

    Args:
        slot: what :func:`switcher` returned (None: nothing to fill).
    """
    current = sync()
    when = current.saved_at if current is not None else None
    if slot is None or when is None:
        return
    try:
        zone = ZoneInfo(st.context.timezone) if st.context.timezone else None
    except Exception:  # noqa: BLE001 - an unknown zone name: the server's own time
        zone = None
    local = when.astimezone(zone)
    slot.caption(state.t("workspace.ui.saved_at", time=local.strftime("%Y/%m/%d %H:%M")))


def _menu(s, wid: str, name: str) -> None:
    """New, rename, duplicate, export, import and delete (one per row: no label is cut in English)."""
    t = state.t
    st.text_input(t("workspace.ui.new_name"), key="w_space_new", placeholder=t("workspace.ui.new_placeholder"))
    st.button(t("workspace.ui.new"), on_click=_on_new, icon=":material/add:", key="w_space_new_btn",
              help=t("workspace.ui.new_help"), width="stretch")
    st.text_input(t("workspace.ui.rename_label"), key="w_space_rename", placeholder=name)
    st.button(t("workspace.ui.rename"), on_click=_on_rename, icon=":material/edit:", key="w_space_rename_btn",
              width="stretch")
    st.button(t("workspace.ui.duplicate"), on_click=_on_duplicate, icon=":material/content_copy:",
              key="w_space_dup_btn", width="stretch")
    who = owner()
    components.download_button(t("workspace.ui.export"), data=lambda: export_bundle(s, who, wid),
                               file_name=f"{_file_stem(name)}.zip", mime="application/zip", on_click="ignore",
                               icon=":material/download:", key="w_space_export", help=t("workspace.ui.export_help"),
                               width="stretch")
    st.file_uploader(t("workspace.ui.import"), type=["zip"], key="w_space_import", on_change=_on_import,
                     help=t("workspace.ui.import_help"))
    st.button(t("workspace.ui.delete"), on_click=_ask, args=(("delete", wid),), icon=":material/delete:",
              key="w_space_delete_btn", width="stretch")


def _file_stem(name: str) -> str:
    """A workspace name as a file name (characters Windows refuses replaced)."""
    stem = "".join("_" if c in '<>:"/\\|?*' or ord(c) < 32 else c for c in name).strip(" .")
    return stem or "workspace"


def _say(kind: str, text: str) -> None:
    current = sync()
    if current is not None:
        current.message = (kind, text)


def _act(action) -> None:
    """Run a store action from a callback; a user error becomes the card's message."""
    try:
        action()
    except LoyaltyError as exc:
        _say("error", exc.message(state.lang()))
    except (sqlite3.Error, OSError) as exc:
        _say("error", state.t("workspace.ui.save_failed", detail=str(exc)[:200]))


def _switch_to(workspace_id: str, *, save: bool = True) -> None:
    """Save this session's changes (unless done), then open another workspace; the menu closes."""
    if save:
        save_changes()
    open_workspace(workspace_id)
    st.session_state[K_MENU] = False


def _on_pick() -> None:
    target = st.session_state.get("w_space_pick")
    if target and target != sync().workspace_id:
        _act(lambda: _switch_to(target))


def _on_new() -> None:
    def run():
        s, who = shared_store(), owner()
        typed = (st.session_state.get("w_space_new") or "").strip()
        ws = s.create(who, typed or s.unique_name(who, state.t("workspace.ui.first_name")))
        _switch_to(ws.id)
        st.session_state["w_space_new"] = ""
        _say("success", state.t("workspace.ui.created", name=ws.name))
    _act(run)


def _on_rename() -> None:
    def run():
        typed = (st.session_state.get("w_space_rename") or "").strip()
        if not typed:
            raise error("workspace.error.bad_name", most=MAX_NAME)
        ws = shared_store().rename(owner(), sync().workspace_id, typed)
        st.session_state["w_space_rename"] = ""
        _say("success", state.t("workspace.ui.renamed", name=ws.name))
    _act(run)


def _on_duplicate() -> None:
    def run():
        s, who = shared_store(), owner()
        save_changes()
        current = s.get(who, sync().workspace_id)
        ws = s.duplicate(who, current.id, s.unique_name(who, state.t("workspace.ui.copy_name", name=current.name)))
        _switch_to(ws.id, save=False)
        _say("success", state.t("workspace.ui.duplicated", name=ws.name, source=current.name))
    _act(run)


def _on_import() -> None:
    f = st.session_state.get("w_space_import")
    if f is None:
        return

    def run():
        data = f.getvalue()
        content, _ = read_bundle(data, f.name)  # checked before anything is asked or kept
        name = content.workspace.name
        if shared_store().find(owner(), name) is not None:
            _ask(("import", name, data, f.name))
            return
        _import(data, f.name)
    _act(run)


def _import(data: bytes, file: str, *, replace: str | None = None, rename: bool = False) -> None:
    """Import an exported workspace and open it."""
    s, who = shared_store(), owner()
    save_changes()
    name = None
    if rename:
        name = s.unique_name(who, read_bundle(data, file)[0].workspace.name)
    ws = import_bundle(s, who, data, file, name=name, replace=replace)
    _switch_to(ws.id, save=False)
    _say("success", state.t("workspace.ui.imported", name=ws.name, file=file))


def _ask(pending: tuple) -> None:
    st.session_state[K_PENDING] = pending
    st.session_state[K_MENU] = False  # the dialog takes over


def _pending_dialog() -> None:
    """The confirmation a callback asked for (a dialog opens only from the script run)."""
    pending = st.session_state.get(K_PENDING)
    if not pending:
        return
    t = state.t
    if pending[0] == "delete":
        name = next((w.name for w in shared_store().list(owner()) if w.id == pending[1]), None)
        if name is None:
            st.session_state.pop(K_PENDING, None)
            return
        st.dialog(t("workspace.ui.delete_title"), dismissible=True, on_dismiss=_cancel)(_delete_dialog)(pending[1],
                                                                                                    name)
    else:
        st.dialog(t("workspace.ui.import_title"), dismissible=True, on_dismiss=_cancel)(_import_dialog)(pending)


def _cancel() -> None:
    st.session_state.pop(K_PENDING, None)


def _delete_dialog(workspace_id: str, name: str) -> None:
    t = state.t
    if st.session_state.get(K_PENDING) is None:  # acted on: close with a full rerun
        st.rerun()
    st.write(t("workspace.ui.delete_text", name=name))
    c1, c2 = st.columns(2)
    c1.button(t("workspace.ui.delete_yes"), type="primary", icon=":material/delete:", key="w_space_delete_yes",
              on_click=_delete, args=(workspace_id, name))
    c2.button(t("workspace.ui.cancel"), key="w_space_delete_no", on_click=_cancel)


def _delete(workspace_id: str, name: str) -> None:
    def run():
        s, who = shared_store(), owner()
        current = sync().workspace_id
        s.delete(who, workspace_id)
        if current == workspace_id:
            rest = s.list(who)
            ws = rest[0] if rest else s.create(who, s.unique_name(who, state.t("workspace.ui.first_name")))
            open_workspace(ws.id)
        _say("success", state.t("workspace.ui.deleted", name=name))
    _cancel()
    _act(run)


def _import_dialog(pending: tuple) -> None:
    t = state.t
    if st.session_state.get(K_PENDING) is None:
        st.rerun()
    _, name, data, file = pending
    st.write(t("workspace.ui.import_exists", name=name))
    target = shared_store().find(owner(), name)
    c1, c2 = st.columns(2)
    c1.button(t("workspace.ui.import_both"), type="primary", key="w_space_import_both",
              on_click=_import_choice, args=(data, file, None, True))
    c2.button(t("workspace.ui.import_replace"), key="w_space_import_replace",
              on_click=_import_choice, args=(data, file, target.id if target else None, False))
    st.button(t("workspace.ui.cancel"), key="w_space_import_no", on_click=_cancel)


def _import_choice(data: bytes, file: str, replace: str | None, rename: bool) -> None:
    _cancel()
    _act(lambda: _import(data, file, replace=replace, rename=rename))
