"""Target lists: the customers of one tier or named segment, ready to import into a CRM/MA tool.

Columns are kept to what an import needs, and only those the data has:

==================  ==============================================  =================
key (system form)   header (Japanese form)                          when
==================  ==============================================  =================
customer_id         顧客ID                                           always
customer_name       顧客名                                           the data has names
tier                層 (the tier's name; ``top`` … in system form)   always
rfm_segment         RFMセグメント (name; ``at_risk`` … in system form) R, F and M exist
loyalty_score       ロイヤルティスコア (0–100, one decimal)             always
last_order          最終購入日 (``YYYY-MM-DD``)                       order dates exist
recency_days        最終購入からの日数                                 no order dates, but recency
==================  ==============================================  =================

Two forms: ``"label"`` (Japanese headers and names, for people and for tools
that map columns by hand) and ``"key"`` (English snake_case headers and the
stable keys ``top``/``at_risk``, for automated imports).  Rows are sorted by
loyalty score (highest first), then customer id.

**Pass-through columns** (:func:`customer_columns`): any column of the customer
table can ride along, its cells exactly as read (text: ids keep their leading
zeros, codes are never turned into numbers), under its own header — or, for a
column the mapping recognised as e-mail / last name / first name / name, under
that role's header (``メールアドレス`` / ``email``).  Customers the customer table
lacks get empty cells.

**CRM templates** (``loyalty/data/crm_templates.json``, :func:`crm_templates`):
a list can be shaped for the contact import of HubSpot, Salesforce, Zoho CRM or
Klaviyo: the e-mail first under the header that tool's import expects, then the
names, then the customer id, tier, segment, score and last order under English
headers a user maps to custom properties, then the other pass-through columns.
Tier and segment values follow the form (labels or keys).

Files are written with :func:`loyalty.export.csv_bytes`: UTF-8 with BOM by default,
CP932 on request (characters CP932 cannot hold become ``?``;
:func:`unencodable_cells` tells beforehand how many cells that touches), CRLF,
formula injection defused.  Dates are ISO (``2024-01-05``), which CRM imports accept.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from loyalty.columns import header as column_header
from loyalty.definition import TIER_KEYS, Definition
from loyalty.export import CsvExport, csv_bytes
from loyalty.i18n import catalogue, t
from loyalty.labels import segment_labels, tier_label
from loyalty.measures import target_of, targets
from loyalty.values import normalize_ids

__all__ = ["CONTACT_ROLES", "LIST_COLUMNS", "CrmTemplate", "PassThrough", "crm_templates", "customer_columns",
           "list_file_name", "target_csv", "target_list", "target_lists_zip", "unencodable_cells"]

#: Every column a target list can have, in order (see the module docstring).
LIST_COLUMNS = ("customer_id", "customer_name", "tier", "rfm_segment", "loyalty_score", "last_order",
                "recency_days")
#: Customer-table roles a pass-through column can play in a list (their headers come from the role).
CONTACT_ROLES = ("email", "last_name", "first_name", "customer_name")
_DATE_FORMAT = "%Y-%m-%d"
_TEMPLATES = Path(__file__).parent / "data" / "crm_templates.json"
_PT = "\x00pt:"  # prefix of pass-through columns while a list is built (no clash with list keys)


@dataclass(frozen=True)
class PassThrough:
    """Columns of the customer table carried into lists unchanged.

    Attributes:
        frame: one row per customer id (index ``customer_id``, text), the columns as
            read from the file, in the order chosen.
        roles: column -> contact role (:data:`CONTACT_ROLES`) for the columns that play one.
    """

    frame: pd.DataFrame
    roles: dict[str, str] = field(default_factory=dict)

    def pick(self, columns) -> "PassThrough":
        """The same with only ``columns`` (in that order; unknown names are ignored)."""
        chosen = [c for c in columns if c in self.frame.columns]
        return PassThrough(self.frame[chosen], {c: r for c, r in self.roles.items() if c in chosen})


def customer_columns(tables: list[tuple[pd.DataFrame, str, dict[str, str]]]) -> PassThrough:
    """The customer tables' own columns, as read, one row per customer id.

    Ids are normalised as everywhere (:func:`loyalty.values.normalize_ids`: full-width
    digits made half-width, spaces trimmed, leading zeros kept); rows without an id
    are left out and the first row of a repeated id is kept, as in the customer table.
    With several tables, a column name already taken by an earlier table is skipped.

    Args:
        tables: per customer table, ``(cells as read, id column, role -> column mapping)``.

    Returns:
        The :class:`PassThrough` of every column but the ids (roles from the mappings).
    """
    merged: pd.DataFrame | None = None
    roles: dict[str, str] = {}
    for cells, id_column, mapping in tables:
        ids = normalize_ids(cells[id_column])
        keep = (ids.notna() & ~ids.duplicated(keep="first")).to_numpy()
        part = cells.loc[keep, [c for c in cells.columns if c != id_column]]
        part.index = pd.Index(ids[keep].astype("str"), name="customer_id")
        if merged is not None:
            part = part[[c for c in part.columns if c not in merged.columns]]
            merged = merged.join(part, how="outer")
        else:
            merged = part
        for role in CONTACT_ROLES:
            column = mapping.get(role)
            if column in part.columns and role not in roles.values():
                roles[column] = role
    if merged is None:
        merged = pd.DataFrame(index=pd.Index([], dtype="str", name="customer_id"))
    return PassThrough(merged, roles)


@dataclass(frozen=True)
class CrmTemplate:
    """The column layout a CRM/MA tool's contact import expects (``loyalty/data/crm_templates.json``).

    Attributes:
        key: "hubspot", "salesforce", "zoho" or "klaviyo".
        name: the tool's name.
        columns: ``{"from": list column or contact role, "header": …, "unless": [...]}`` in
            file order; a column is left out when the data lacks it or has one of ``unless``.
        sources: the help pages the headers come from.
    """

    key: str
    name: str
    columns: tuple[dict, ...]
    sources: tuple[str, ...]

    def headers(self) -> list[str]:
        """Every header the template can write, in order (each once)."""
        return list(dict.fromkeys(c["header"] for c in self.columns))


@lru_cache(maxsize=None)
def crm_templates() -> dict[str, CrmTemplate]:
    """The CRM import templates, by key, in the file's order."""
    data = json.loads(_TEMPLATES.read_text(encoding="utf-8"))
    return {t_["key"]: CrmTemplate(key=t_["key"], name=t_["name"], columns=tuple(t_["columns"]),
                                   sources=tuple(t_["sources"]))
            for t_ in data["templates"]}


def _everyone(features: pd.DataFrame, scored: pd.DataFrame, definition: Definition, lang: str,
              form: str, passthrough: PassThrough | None = None,
              template: str | None = None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
    """Every customer's list row, sorted and shaped, with the tier and segment keys of each row."""
    if form not in ("label", "key"):
        raise ValueError(f"form must be 'label' or 'key', not {form!r}")
    if template is not None and template not in crm_templates():
        raise ValueError(f"unknown CRM template {template!r}")
    tier = scored["tier"].reindex(features.index)
    segment = (scored["rfm_segment"].reindex(features.index)
               if "rfm_segment" in scored and scored["rfm_segment"].notna().any() else None)
    out = pd.DataFrame(index=features.index)
    out["customer_id"] = features.index.astype("str")
    if "customer_name" in features:
        out["customer_name"] = features["customer_name"].astype("str")
    if form == "label":
        out["tier"] = _relabel(tier, {k: tier_label(k, definition, lang) for k in TIER_KEYS})
        if segment is not None:
            out["rfm_segment"] = _relabel(segment, segment_labels(definition.segments, lang))
    else:
        out["tier"] = tier.astype("str")
        if segment is not None:
            out["rfm_segment"] = segment.astype("str")
    out["loyalty_score"] = scored["loyalty_score"].reindex(features.index).astype(float).round(1)
    if "last_order" in features and features["last_order"].notna().any():
        out["last_order"] = pd.to_datetime(features["last_order"]).dt.normalize()
    elif "recency_days" in features:
        out["recency_days"] = pd.to_numeric(features["recency_days"]).round().astype("Int64")
    if passthrough is not None and len(passthrough.frame.columns):
        # the cells as read; a customer the customer table lacks gets empty cells
        extra = passthrough.frame.reindex(out.index.astype("str"))
        for column in extra.columns:
            out[_PT + str(column)] = extra[column].to_numpy()
    order = np.lexsort((out["customer_id"].to_numpy(dtype=object),
                        -out["loyalty_score"].fillna(-np.inf).to_numpy(dtype=float)))
    out = out.iloc[order].reset_index(drop=True)
    tier_keys = tier.astype("str").to_numpy(dtype=object)[order]
    segment_keys = segment.astype("str").to_numpy(dtype=object)[order] if segment is not None else None
    return _shape(out, lang, form, passthrough, template), tier_keys, segment_keys


def _shape(out: pd.DataFrame, lang: str, form: str, passthrough: PassThrough | None,
           template: str | None) -> pd.DataFrame:
    """The list's columns in order under their headers (form, pass-through roles, template)."""
    roles = {(_PT + str(c)): r for c, r in (passthrough.roles if passthrough else {}).items()}
    extra = [c for c in out.columns if c.startswith(_PT)]
    if template is not None:
        available = {c: c for c in out.columns if not c.startswith(_PT)}
        available.update({r: c for c, r in roles.items()})  # a chosen column beats the list's own one
        picked = [(available[spec["from"]], spec["header"]) for spec in crm_templates()[template].columns
                  if spec["from"] in available and not any(u in available for u in spec.get("unless", ()))]
        taken = {c for c, _ in picked}
        picked += [(c, c[len(_PT):]) for c in extra if c not in taken]
    else:
        # a chosen name column replaces the list's own (trimmed) one
        standard = [c for c in out.columns if not c.startswith(_PT)
                    and not (c == "customer_name" and "customer_name" in roles.values())]
        picked = [(c, _header(c, lang) if form == "label" else c) for c in standard]
        for c in extra:
            if c in roles:
                picked.append((c, t(f"role.{roles[c]}", lang) if form == "label" else roles[c]))
            else:
                picked.append((c, c[len(_PT):]))
    headers: list[str] = []
    for _column, header in picked:
        while header in headers:  # a source column named like a list column
            header = t("targets.source_column", lang, name=header)
        headers.append(header)
    shaped = out[[c for c, _ in picked]]
    shaped.columns = headers
    return shaped


def _relabel(values: pd.Series, labels: dict[str, str]) -> pd.Series:
    """Keys (categorical or text) → labels, as text; keys without a label stay as they are."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = [labels.get(str(c), str(c)) for c in values.cat.categories]
        if len(set(cats)) == len(cats):
            return values.cat.rename_categories(cats).astype("str")
    return values.astype("str").map(lambda k: labels.get(k, k)).astype("str")


def _pick(everyone: tuple[pd.DataFrame, np.ndarray, np.ndarray | None], target: str | None) -> pd.DataFrame:
    frame, tier_keys, segment_keys = everyone
    if target is None:
        return frame
    group, sep, key = target.partition(":")
    if not sep or group not in ("tier", "segment"):
        raise ValueError(f"target must be 'tier:<key>' or 'segment:<key>', not {target!r}")
    keys = tier_keys if group == "tier" else segment_keys
    if keys is None:
        return frame.iloc[:0]
    return frame[keys == key].reset_index(drop=True)


def target_list(features: pd.DataFrame, scored: pd.DataFrame, definition: Definition, lang: str = "ja",
                target: str | None = None, *, form: str = "label", passthrough: PassThrough | None = None,
                template: str | None = None) -> pd.DataFrame:
    """The customers of one target as an import-ready table.

    Args:
        features: the customer features frame (index customer_id).
        scored: the score frame (same index) with loyalty_score, tier, rfm_segment.
        definition: the definition (tier and segment names).
        lang: language of headers and names in the ``"label"`` form.
        target: "tier:<key>", "segment:<key>", or None for every customer.
        form: ``"label"`` (localized headers and names) or ``"key"`` (column keys
            and tier/segment keys).
        passthrough: customer-table columns to carry along (:meth:`PassThrough.pick`).
        template: a key of :func:`crm_templates` to shape the list for that tool's import.

    Returns:
        The table (a fresh index), columns as in the module docstring.

    Raises:
        ValueError: unknown ``form`` or ``template``, or a malformed ``target``.
    """
    if target is not None and target.partition(":")[0] not in ("tier", "segment"):
        raise ValueError(f"target must be 'tier:<key>' or 'segment:<key>', not {target!r}")
    return _pick(_everyone(features, scored, definition, lang, form, passthrough, template), target)


def _header(key: str, lang: str) -> str:
    if key == "tier":
        return t("common.tier", lang)
    if key == "rfm_segment":
        return t("col.rfm_segment_label", lang)
    if key == "customer_name":
        return t("role.customer_name", lang)
    return column_header(key, lang)


def _encoding_name(encoding: str, lang: str) -> str:
    """An encoding as people name it ("UTF-8（BOM付き）"), not as Python does ("utf-8-sig")."""
    key = f"targets.encoding_name.{encoding.lower()}"
    return t(key, lang) if key in catalogue(lang) else encoding


def target_csv(frame: pd.DataFrame, encoding: str = "utf-8-sig") -> CsvExport:
    """A target list as CSV (see the module docstring).

    Args:
        frame: from :func:`target_list`.
        encoding: ``"utf-8-sig"`` (default) or ``"cp932"``.

    Returns:
        The :class:`loyalty.export.CsvExport` (bytes and replaced-cell counts).

    Raises:
        LoyaltyError: unknown encoding.
    """
    return csv_bytes(frame, encoding=encoding, date_format=_DATE_FORMAT)


def unencodable_cells(frame: pd.DataFrame, encoding: str = "cp932") -> dict[str, int]:
    """Cells that would lose characters in ``encoding``, per column (header cells included).

    Checks each distinct text once, so it is cheap enough to show a warning before
    the file is built; the counts equal :attr:`CsvExport.replaced_by_column`.

    Args:
        frame: the table to be written.
        encoding: the target encoding.

    Returns:
        Column label → number of cells with at least one character the encoding
        cannot hold (columns without such cells are left out).
    """
    def fits(text: str) -> bool:
        try:
            text.encode(encoding)
            return True
        except UnicodeEncodeError:
            return False

    out: dict[str, int] = {}
    for label in frame.columns:
        column = frame[label]
        n = 0 if fits(str(label)) else 1
        if pd.api.types.is_string_dtype(column.dtype) or column.dtype == object:
            values = column.dropna().astype(str)
            bad = [v for v in values.unique() if not fits(v)]
            if bad:
                n += int(values.isin(bad).sum())
        if n:
            out[str(label)] = n
    return out


def list_file_name(target: str | None, index: int | None = None) -> str:
    """An ASCII file name for a target's list: ``tier_top.csv``, ``03_segment_at_risk.csv``.

    Characters other than ASCII letters, digits, ``_`` and ``-`` (a segment key
    in Japanese, say) are dropped; a key left empty becomes ``segment``.

    Args:
        target: the target, or None for every customer (``all_customers``).
        index: an optional sequence number put in front (two digits).

    Returns:
        The file name.
    """
    if target is None:
        stem = "all_customers"
    else:
        group, _, key = target.partition(":")
        clean = re.sub(r"[^A-Za-z0-9_-]+", "", key)
        stem = f"{group}_{clean}" if clean else group
    return (f"{index:02d}_" if index is not None else "") + stem + ".csv"


def target_lists_zip(features: pd.DataFrame, scored: pd.DataFrame, definition: Definition, lang: str = "ja",
                     *, encoding: str = "utf-8-sig", form: str = "label", passthrough: PassThrough | None = None,
                     template: str | None = None) -> tuple[bytes, int]:
    """Every non-empty tier and segment list, and all customers, as one ZIP of CSV files.

    The archive also holds ``README.txt`` (UTF-8 with BOM) naming each file's
    target and customer count.

    Args:
        features, scored, definition, lang, form, passthrough, template: as for :func:`target_list`.
        encoding: the CSV encoding.

    Returns:
        ``(zip bytes, cells with replaced characters over all files)``.
    """
    buffer = io.BytesIO()
    replaced = 0
    lines = [t("targets.readme_title", lang), ""]
    everyone = _everyone(features, scored, definition, lang, form, passthrough, template)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=3) as archive:
        entries: list[tuple[str | None, str]] = [(None, t("targets.all_customers", lang))]
        entries += list(targets(definition, lang))
        number = 0
        for target, label in entries:
            frame = _pick(everyone, target)
            if target is not None and frame.empty:
                continue
            number += 1
            name = list_file_name(target, number)
            result = target_csv(frame, encoding)
            replaced += result.replaced_cells
            archive.writestr(name, result.data)
            lines.append(t("targets.readme_line", lang, file=name, target=label, n=f"{len(frame):,}"))
        columns = t("polish.list_sep", lang).join(str(c) for c in everyone[0].columns)
        lines += ["", t("targets.readme_columns", lang, columns=columns),
                  t("targets.readme_encoding", lang, encoding=_encoding_name(encoding, lang))]
        archive.writestr("README.txt", "\r\n".join(lines).encode("utf-8-sig"))
    return buffer.getvalue(), replaced


def counts_by_target(scored: pd.DataFrame) -> dict[str, int]:
    """Customers per target ("tier:top" → 228, "segment:at_risk" → 293).

    Args:
        scored: the score frame with tier and rfm_segment.

    Returns:
        The counts (targets without customers are left out).
    """
    out = {target_of("tier", str(k)): int(n) for k, n in scored["tier"].value_counts().items() if n}
    if "rfm_segment" in scored:
        seg = scored["rfm_segment"].value_counts()
        out.update({target_of("segment", str(k)): int(n) for k, n in seg.items() if n})
    return out
