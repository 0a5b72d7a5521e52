"""What the app and the command line take out of a workspace, and put into it.

The working definition is kept as three items: the definition itself, its persona
notes and its measures (a note typed in a workshop is then one small write with
its own time).  :func:`definition_items` splits a definition that way and
:func:`definition_from_items` puts it back together.  :func:`read_tables` reads a
workspace's files for the command line, using the kept Parquet tables where
today's reader made them; :func:`by_name` finds a workspace for the command line.
"""

from __future__ import annotations

from loyalty import definition as defn
from loyalty.i18n import error
from loyalty.workspaces.records import Content
from loyalty.workspaces.store import Store

DEFINITION, NOTES, MEASURES, SAVED = "definition", "notes", "measures", "saved_definition"


def definition_items(d: defn.Definition) -> dict[str, object]:
    """The working definition as the items it is kept in.

    Args:
        d: the working definition.

    Returns:
        ``{"definition": …, "notes": … or None, "measures": … or None}`` (None
        removes the item: no notes, the catalogue's measures).
    """
    data = d.to_dict()
    notes = {k: v for k, v in (data.pop("persona_notes", None) or {}).items() if str(v).strip()}
    measures = data.pop("measures", None)
    return {DEFINITION: data, NOTES: notes or None, MEASURES: measures}


def definition_from_items(items: dict[str, object], *, file: str = "workspace") -> defn.Definition | None:
    """The working definition from its items (None when the workspace has none yet).

    Args:
        items: the workspace's items (:attr:`loyalty.workspaces.Content.items`).
        file: the name messages give the workspace.

    Returns:
        The definition with its notes and measures.

    Raises:
        LoyaltyError: the kept definition is not valid any more.
    """
    core = items.get(DEFINITION)
    if core is None:
        return None
    data = dict(core)
    if items.get(NOTES):
        data["persona_notes"] = items[NOTES]
    if items.get(MEASURES) is not None:
        data["measures"] = items[MEASURES]
    return defn.from_dict(data, file=file)


def saved_from_items(items: dict[str, object], *, file: str = "workspace") -> defn.Definition | None:
    """The saved definition (the what-if baseline), or None.

    Raises:
        LoyaltyError: the kept definition is not valid any more.
    """
    data = items.get(SAVED)
    return None if data is None else defn.from_dict(data, file=file)


def read_tables(store: Store, owner: str | None, content: Content):
    """The workspace's data files read and mapped with its choices (kept tables first).

    Args:
        store: the store.
        owner: the workspace's owner.
        content: what :meth:`Store.load` returned.

    Returns:
        A list of :class:`loyalty.pipeline.TableInfo`, in upload order.

    Raises:
        LoyaltyError: a file cannot be read or a kept choice no longer fits it.
    """
    from loyalty.pipeline import map_table
    from loyalty.readers import read_table

    infos = []
    for f in content.files:
        if f.role != "data":
            continue
        sheet = f.options.get("sheet")
        raw = store.kept_table(f.sha, sheet, f.name)
        if raw is None:
            raw = read_table(store.file_bytes(owner, content.workspace.id, f.sha), f.name, sheet=sheet)
        infos.append(map_table(raw, f.options.get("kind"), dict(f.options.get("overrides") or {})))
    return infos


def by_name(store: Store, owner: str | None, name: str) -> Content:
    """The owner's workspace of this name, with everything in it.

    Args:
        store: the store.
        owner: the owner (None: the workspaces of the app run without login).
        name: the workspace's name as the sidebar shows it.

    Returns:
        What :meth:`Store.load` returns.

    Raises:
        LoyaltyError: no such workspace; the message lists the owner's workspaces.
    """
    found = store.find(owner, name)
    if found is None:
        names = [w.name for w in store.list(owner)]
        if not names:
            raise error("workspace.error.none", name=name, folder=str(store.folder))
        raise error("workspace.error.unknown_name", name=name, names="、".join(f"「{n}」" for n in names))
    return store.load(owner, found.id)
