"""The records the workspace store hands out, and the small conversions it stores them with."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

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


def when(text: str) -> datetime:
    """A stored time as a datetime (UTC)."""
    return datetime.fromisoformat(text)


def owner_key(owner: str | None) -> str:
    """The stored form of an owner: '' without login, else the address in lower case."""
    return (owner or "").strip().lower()


def sheet_key(sheet: str | int | None) -> str:
    """A sheet choice as a key: '' (the reader's choice), ``#2`` (by position) or ``=name``."""
    if sheet is None:
        return ""
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        return f"#{sheet}"
    return f"={sheet}"


def to_json(value: object) -> str:
    """A value as stored: compact JSON, keys sorted (equal values give equal text)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
