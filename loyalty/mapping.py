"""Column mapping: which source column plays which role.

Roles and the header names that suggest them are data (``loyalty/data/roles.json``).
Detection compares normalised header names: NFKC, lower case, bracketed units
such as "(%)" or "（年間）" removed, then spaces, underscores, hyphens and dots
removed.  An exact synonym beats a fragment; earlier roles claim a column first;
a column plays at most one role.  A role may name headers to *avoid* (monetary
avoids a campaign's outcome such as ``spend`` or ``conversion``): such a column is
taken for the role only when no other column fits it, so Hillstrom's purchase
``history`` is monetary and its post-campaign ``spend`` is not.  The app always shows the result and lets the
user change it; the command line takes ``--map ROLE=COLUMN``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from loyalty.i18n import error

KINDS = ("transactions", "customers")
_ROLES_FILE = Path(__file__).parent / "data" / "roles.json"


@dataclass(frozen=True)
class RoleSpec:
    """One role a column can play.

    Attributes:
        role: the role key (``customer_id``, ``order_date``, …).
        type: how its cells are parsed: id, date, amount, number or text.
        required: whether a table of this kind needs it.
        exact: normalised header names that certainly mean this role.
        contains: fragments that probably mean it.
        avoid_exact: normalised header names taken for the role only when no other
            column fits it (a campaign's outcome is not the purchase history).
        avoid_contains: fragments with the same meaning.
        units: unit -> header fragments saying a column is in that unit (recency).
    """

    role: str
    type: str
    required: bool
    exact: tuple[str, ...]
    contains: tuple[str, ...]
    avoid_exact: tuple[str, ...] = ()
    avoid_contains: tuple[str, ...] = ()
    units: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def avoids(self, normalised: str) -> bool:
        """Whether a (normalised) header is one this role takes only as a last resort."""
        return normalised in self.avoid_exact or any(f in normalised for f in self.avoid_contains)

    def unit_of(self, header: str) -> str | None:
        """The unit a header names ("経過月数", "Recency (months)" -> "months"), or None
        (see :attr:`units`); bracketed words count here."""
        norm = _PUNCT.sub("", unicodedata.normalize("NFKC", str(header)).lower())
        return next((unit for unit, words in self.units if any(w in norm for w in words)), None)


@lru_cache(maxsize=None)
def role_specs(kind: str) -> tuple[RoleSpec, ...]:
    """The roles of a table kind, in claiming order.

    Args:
        kind: "transactions" or "customers".

    Returns:
        The role specifications.
    """
    data = json.loads(_ROLES_FILE.read_text(encoding="utf-8"))
    return tuple(
        RoleSpec(role=r["role"], type=r["type"], required=bool(r.get("required")),
                 exact=tuple(r.get("exact", ())), contains=tuple(r.get("contains", ())),
                 avoid_exact=tuple(r.get("avoid", {}).get("exact", ())),
                 avoid_contains=tuple(r.get("avoid", {}).get("contains", ())),
                 units=tuple((u, tuple(w)) for u, w in r.get("units", {}).items()))
        for r in data[kind]
    )


def role_spec(kind: str, role: str) -> RoleSpec:
    """The spec of one role of ``kind`` (KeyError if unknown)."""
    for spec in role_specs(kind):
        if spec.role == role:
            return spec
    raise KeyError(role)


_BRACKETS = re.compile(r"[(\[（【［〔][^)\]）】］〕]*[)\]）】］〕]")
_PUNCT = re.compile(r"[\s_\-.・:：/／]+")


def normalise_header(name: str) -> str:
    """Normalise a header for comparison ("メール開封率（%）" -> "メール開封率")."""
    text = unicodedata.normalize("NFKC", str(name)).lower().strip()
    without = _BRACKETS.sub("", text)
    text = without if without.strip() else text
    return _PUNCT.sub("", text)


@dataclass
class ColumnMapping:
    """Which column plays which role in one table.

    Attributes:
        kind: "transactions" or "customers".
        roles: role key -> column name (roles without a column are absent).
    """

    kind: str
    roles: dict[str, str] = field(default_factory=dict)

    def column(self, role: str) -> str | None:
        """The column playing ``role``, or None."""
        return self.roles.get(role)

    def has(self, role: str) -> bool:
        """Whether some column plays ``role``."""
        return role in self.roles

    def to_dict(self) -> dict:
        """A JSON-friendly form."""
        return {"kind": self.kind, "roles": dict(self.roles)}

    @classmethod
    def from_dict(cls, data: dict) -> "ColumnMapping":
        """Rebuild from :meth:`to_dict`."""
        return cls(kind=data["kind"], roles=dict(data.get("roles", {})))


def detect_mapping(columns: list[str], kind: str) -> ColumnMapping:
    """Guess the mapping of ``columns`` for a table of ``kind``.

    Args:
        columns: the header names as read.
        kind: "transactions" or "customers".

    Returns:
        The guessed mapping (possibly incomplete; see :func:`missing_roles`).
    """
    norm = {c: normalise_header(c) for c in columns}
    claimed: set[str] = set()
    roles: dict[str, str] = {}
    specs = role_specs(kind)

    def claim(spec: RoleSpec, match, last_resort: bool) -> None:
        for syn in match(spec):
            hit = next((c for c in columns if c not in claimed and syn(norm[c])
                        and spec.avoids(norm[c]) == last_resort), None)
            if hit is not None:
                roles[spec.role] = hit
                claimed.add(hit)
                return

    exact = lambda spec: [lambda n, s=s: n == s for s in spec.exact]  # noqa: E731
    fragment = lambda spec: [lambda n, s=s: s in n for s in spec.contains]  # noqa: E731
    # pass 1: exact names, in synonym order (the first synonym present wins); pass 2: fragments
    # for roles still open; pass 3: the same for headers a role avoids, when nothing else fits
    for match, last_resort in ((exact, False), (fragment, False), (exact, True), (fragment, True)):
        for spec in specs:
            if spec.role not in roles:
                claim(spec, match, last_resort)
    return ColumnMapping(kind=kind, roles=roles)


#: Roles that say who a customer is, not what he did: a table of amounts with only these
#: besides its amounts is still a transaction log (e-mail and names ride along on order lines).
_CONTACT_ROLES = frozenset({"customer_id", "customer_name", "email", "last_name", "first_name"})


def detect_kind(columns: list[str]) -> str:
    """Tell a transaction table from a customer table by its columns.

    A table with a customer id, an order date and an amount (or quantity and
    unit price) is a transaction table; anything else is a customer table.

    Args:
        columns: the header names.

    Returns:
        "transactions" or "customers".
    """
    tx = detect_mapping(columns, "transactions")
    cu = detect_mapping(columns, "customers")
    has_amount = tx.has("amount") or (tx.has("quantity") and tx.has("unit_price"))
    if tx.has("customer_id") and tx.has("order_date") and has_amount:
        # a customer summary with a last-purchase date is not a transaction log
        if cu.has("last_purchase_date") and cu.column("last_purchase_date") == tx.column("order_date") \
                and (cu.has("frequency") or cu.has("recency_days")):
            return "customers"
        return "transactions"
    if has_amount and not (set(cu.roles) - _CONTACT_ROLES):
        # amounts per row and nothing a customer table would have: a transaction
        # log without a recognisable date (the mapping check then says so)
        return "transactions"
    return "customers"


def with_overrides(mapping: ColumnMapping, overrides: dict[str, str | None], columns: list[str],
                   file: str | None = None) -> ColumnMapping:
    """Apply user choices (role -> column, or None to unset) to a mapping.

    Args:
        mapping: the detected mapping.
        overrides: the user's choices.
        columns: the table's columns (to validate the choices).
        file: file name for messages.

    Returns:
        A new mapping; a column given to a role is taken from any other role.

    Raises:
        LoyaltyError: unknown role or column.
    """
    known = {s.role for s in role_specs(mapping.kind)}
    roles = dict(mapping.roles)
    for role, col in overrides.items():
        if role not in known:
            raise error("error.unknown_role", file=file, role=role, roles=", ".join(sorted(known)))
        if col is None or col == "":
            roles.pop(role, None)
            continue
        if col not in columns:
            raise error("error.unknown_column", file=file, column=col, columns="、".join(columns))
        for other, c in list(roles.items()):
            if c == col and other != role:
                del roles[other]
        roles[role] = col
    return ColumnMapping(kind=mapping.kind, roles=roles)


def missing_roles(mapping: ColumnMapping) -> list[str]:
    """Roles a table of this kind needs but the mapping lacks.

    For transactions: customer_id, order_date, and amount unless both quantity
    and unit_price are mapped.  For customers: customer_id.
    """
    missing = [s.role for s in role_specs(mapping.kind) if s.required and not mapping.has(s.role)]
    if mapping.kind == "transactions" and not mapping.has("amount") and not (
            mapping.has("quantity") and mapping.has("unit_price")):
        missing.append("amount")
    return missing


def require_complete(mapping: ColumnMapping, file: str) -> None:
    """Raise a clear error naming the first missing role.

    Raises:
        LoyaltyError: a required role has no column.
    """
    missing = missing_roles(mapping)
    if missing:
        raise error(f"error.missing_role.{missing[0]}", file=file)
