"""The loyalty definition (ロイヤル定義): everything a user tunes, as a JSON file.

Schema (version 2) — documented in the README, validated here with messages
that name the bad field (``rfm.recency[2]``)::

    {
      "schema": "loyalty-definition", "version": 2,
      "name": "…", "preset": "b2c" | "b2b" | "saas" | null,
      "as_of": "YYYY-MM-DD" | null,          # null: the latest order date
      "window_days": 365,                    # frequency/monetary window
      "rfm": {"mode": "threshold" | "quantile",
              "recency":   [30, 60, 90, 179],      # R5 ≤ 30 days … R2 ≤ 179, R1 ≥ 180
              "frequency": [2, 3, 6, 10],          # F2 ≥ 2 orders … F5 ≥ 10
              "monetary":  [10000, 30000, 50000, 100000]},  # M2 ≥ ¥10,000 … M5 ≥ ¥100,000
      "factors": [{"key": "recency", "weight": 33.34}, …,
                  {"key": "nps", "weight": 20, "mode": "threshold", "cuts": [3, 5, 7, 9]}],
      "tiers": {"top": 80, "middle": 50},    # loyalty score cut-offs (0–100)
      "tier_labels": {"top": "…", …},        # optional own names
      "segments": [{"key", "ja", "en", "r": [lo, hi], "f": […], "m": […]}, …],  # optional
      "measures": [{"target": "tier:top", "title", "detail", "channel", "timing", "kpi"}, …],
                                             # optional, see loyalty.measures
      "persona_notes": {"tier:top": "…", "segment:at_risk": "…"},  # optional facilitator notes
      "measure_log": [{"target", "measure", "date", "sent", "responded", "revenue", "note", "effect"}, …]
                                             # optional, when each measure ran: see loyalty.measure_log
    }

Version 2 added ``measure_log``; a version-1 file is read as version 2 with an empty log
(:func:`migrate`), and every file is written as version 2.

Loyalty score = Σ weightᵢ × scoreᵢ / 5 with weights summing to 100 (weights
are normalised to their sum, so a file whose weights add up to 100 is taken
exactly as written).

A definition file comes from a user (an upload, a workshop proposal, ``--definition``),
so it is read defensively (:mod:`loyalty.user_json`): at most ``MAX_JSON_BYTES`` bytes
and ``MAX_JSON_DEPTH`` levels of nesting (checked before the JSON parser runs, so a
file nested 200,000 deep is refused with a message instead of exhausting the stack);
``NaN`` / ``Infinity`` are refused; every number must be finite and in range — a
weight 0–100 (not all 0), a cut point 0–``LOYALTY_MAX_AMOUNT``, a tier cut-off 0–100.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from loyalty.i18n import error
from loyalty.measure_log import validate_log
from loyalty.segments import SegmentRule, default_segments, parse_rules
from loyalty.user_json import MAX_JSON_BYTES, MAX_JSON_DEPTH, json_depth, parse_json  # noqa: F401
from loyalty.values import max_magnitude

SCHEMA = "loyalty-definition"
VERSION = 2
#: Older schema versions a file may have; :func:`migrate` brings them to :data:`VERSION`.
OLDER_VERSIONS = (1,)
PRESETS = ("b2c", "b2b", "saas")
RFM_MODES = ("threshold", "quantile")
FACTOR_MODES = ("threshold", "quantile", "as_is")
RFM_KEYS = ("recency", "frequency", "monetary")
TIER_KEYS = ("top", "middle", "low")
MEASURE_FIELDS = ("target", "title", "detail", "channel", "timing", "kpi")  # a measure row (loyalty.measures)
_DATA = Path(__file__).parent / "data"
_TOP_KEYS = {"schema", "version", "name", "preset", "as_of", "window_days", "rfm", "factors", "tiers",
             "tier_labels", "segments", "measures", "persona_notes", "description", "measure_log"}


@dataclass(frozen=True)
class FactorInfo:
    """A factor from the catalogue (``loyalty/data/factors.json``)."""

    key: str
    source: str
    group: str
    direction: str
    mode: str
    cuts: tuple[float, ...]
    counts_against: bool = False


@lru_cache(maxsize=None)
def factor_catalogue() -> dict[str, FactorInfo]:
    """All factors a definition can use, by key."""
    data = json.loads((_DATA / "factors.json").read_text(encoding="utf-8"))
    return {f["key"]: FactorInfo(key=f["key"], source=f["source"], group=f["group"],
                                 direction=f["direction"], mode=f.get("mode", "threshold"), cuts=tuple(f.get("cuts", ())),
                                 counts_against=bool(f.get("counts_against", False)))
            for f in data["factors"]}


@dataclass
class FactorSetting:
    """One factor of a definition: its weight and, for non-RFM factors, how it is scored."""

    key: str
    weight: float
    mode: str | None = None
    cuts: list[float] | None = None

    def effective_mode(self) -> str:
        """The mode used (the catalogue default when not set)."""
        return self.mode or factor_catalogue()[self.key].mode

    def effective_cuts(self) -> list[float]:
        """The cut points used (the catalogue default when not set)."""
        return list(self.cuts) if self.cuts is not None else list(factor_catalogue()[self.key].cuts)


@dataclass
class RFMSetting:
    """How R, F and M become 1–5 scores."""

    mode: str = "threshold"
    recency: list[float] = field(default_factory=lambda: [30, 60, 90, 179])
    frequency: list[float] = field(default_factory=lambda: [2, 3, 6, 10])
    monetary: list[float] = field(default_factory=lambda: [10000, 30000, 50000, 100000])


@dataclass
class Definition:
    """Everything a user tunes.  See the module docstring for the JSON form."""

    name: str = "BtoC EC（標準）"
    preset: str | None = "b2c"
    as_of: date | None = None
    window_days: int = 365
    rfm: RFMSetting = field(default_factory=RFMSetting)
    factors: list[FactorSetting] = field(default_factory=lambda: [
        FactorSetting("recency", 33.34), FactorSetting("frequency", 33.33), FactorSetting("monetary", 33.33)])
    tiers: dict[str, float] = field(default_factory=lambda: {"top": 80.0, "middle": 50.0})
    tier_labels: dict[str, str] = field(default_factory=dict)
    segments: list[SegmentRule] = field(default_factory=default_segments)
    measures: list[dict] | None = None
    persona_notes: dict[str, str] = field(default_factory=dict)
    description: str = ""
    measure_log: list[dict] = field(default_factory=list)

    # -- convenience -----------------------------------------------------
    def weights(self) -> dict[str, float]:
        """factor key -> weight, in order."""
        return {f.key: float(f.weight) for f in self.factors}

    def factor(self, key: str) -> FactorSetting | None:
        """The setting of factor ``key``, or None."""
        return next((f for f in self.factors if f.key == key), None)

    def copy(self, **changes) -> "Definition":
        """A deep copy with some fields replaced."""
        new = copy.deepcopy(self)
        for k, v in changes.items():
            setattr(new, k, v)
        return new

    # -- JSON ------------------------------------------------------------
    def to_dict(self) -> dict:
        """The JSON form (see module docstring)."""
        out: dict = {
            "schema": SCHEMA,
            "version": VERSION,
            "name": self.name,
            "preset": self.preset,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "window_days": int(self.window_days),
            "rfm": {"mode": self.rfm.mode, "recency": _nums(self.rfm.recency),
                    "frequency": _nums(self.rfm.frequency), "monetary": _nums(self.rfm.monetary)},
            "factors": [],
            "tiers": {"top": _num(self.tiers["top"]), "middle": _num(self.tiers["middle"])},
        }
        for f in self.factors:
            item: dict = {"key": f.key, "weight": _num(f.weight)}
            if f.mode is not None:
                item["mode"] = f.mode
            if f.cuts is not None:
                item["cuts"] = _nums(f.cuts)
            out["factors"].append(item)
        if self.tier_labels:
            out["tier_labels"] = dict(self.tier_labels)
        if [s.key for s in self.segments] != [s.key for s in default_segments()] or \
                self.segments != default_segments():
            out["segments"] = [{"key": s.key, "ja": s.ja, "en": s.en, "r": list(s.r), "f": list(s.f),
                                "m": list(s.m)} for s in self.segments]
        if self.measures is not None:
            out["measures"] = copy.deepcopy(self.measures)
        if self.persona_notes:
            out["persona_notes"] = dict(self.persona_notes)
        if self.description:
            out["description"] = self.description
        if self.measure_log:
            out["measure_log"] = copy.deepcopy(self.measure_log)
        return out

    def to_json(self) -> str:
        """Pretty JSON text (UTF-8, Japanese kept readable, short lists on one line)."""
        return pretty_json(self.to_dict())


_SCALAR_LIST = re.compile(r"\[\s*((?:-?[0-9.eE+]+|true|false|null|\"[^\"\n]*\")(?:,\s*(?:-?[0-9.eE+]+|true|false|null|\"[^\"\n]*\"))*)\s*\]")


def pretty_json(data: object) -> str:
    """Indented JSON with lists of scalars kept on one line ([30, 60, 90, 179])."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    text = _SCALAR_LIST.sub(lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text)
    return text + "\n"


def _num(x: float) -> float | int:
    x = float(x)
    return int(x) if x.is_integer() else x


def _nums(xs) -> list:
    return [_num(x) for x in xs]


# ---------------------------------------------------------------------------
# loading and validation


def preset(name: str = "b2c") -> Definition:
    """A preset definition.

    Args:
        name: "b2c", "b2b" or "saas".

    Returns:
        A fresh :class:`Definition`.

    Raises:
        LoyaltyError: unknown preset.
    """
    if name not in PRESETS:
        raise error("error.unknown_preset", preset=name, presets=", ".join(PRESETS))
    return _preset(name).copy()


@lru_cache(maxsize=None)
def _preset(name: str) -> Definition:
    """A preset as read from its file, once per process (callers get copies: pages
    compare the working definition with the presets on every rerun)."""
    data = json.loads((_DATA / "presets" / f"{name}.json").read_text(encoding="utf-8"))
    return from_dict(data, file=f"{name}.json")


def loads(text: str | bytes, file: str = "definition.json") -> Definition:
    """Parse a definition file's text.

    Raises:
        LoyaltyError: too large, nested too deeply, not JSON, or a field is invalid
            (the message names it).
    """
    return from_dict(parse_json(text, file), file=file)


def load(path: str | Path) -> Definition:
    """Read a definition file from disk.

    Raises:
        LoyaltyError: missing file or invalid content.
    """
    p = Path(path)
    if not p.is_file():
        raise error("error.file_not_found", file=str(path))
    return loads(p.read_bytes(), file=p.name)


def from_dict(data: object, file: str = "definition.json") -> Definition:
    """Validate a parsed definition and build a :class:`Definition`.

    Args:
        data: the parsed JSON.
        file: the file name, for messages.

    Returns:
        The definition.

    Raises:
        LoyaltyError: naming the first invalid field.
    """
    def bad(path: str, key: str = "error.definition_field", **kw):
        return error(key, file=file, field=path, **kw)

    if not isinstance(data, dict):
        raise bad("(root)", "error.definition_not_object")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise bad(unknown[0], "error.definition_unknown_field")
    if data.get("schema", SCHEMA) != SCHEMA:
        raise bad("schema", "error.definition_schema", expected=SCHEMA)
    version = data.get("version")
    if version != VERSION and version not in OLDER_VERSIONS:
        raise bad("version", "error.definition_version", version=version,
                  expected=", ".join(str(v) for v in (*OLDER_VERSIONS, VERSION)))
    data = migrate(data)

    d = Definition()
    d.name = _str(data.get("name", d.name), "name", bad)
    p = data.get("preset")
    if p is not None and p not in PRESETS:
        raise bad("preset", "error.definition_choice", choices=", ".join(PRESETS))
    d.preset = p
    d.description = _str(data.get("description", ""), "description", bad)
    d.as_of = _as_of(data.get("as_of"), bad)
    w = data.get("window_days", 365)
    if not isinstance(w, int) or isinstance(w, bool) or not 1 <= w <= 3650:
        raise bad("window_days", "error.definition_range", low=1, high=3650)
    d.window_days = w
    d.rfm = _rfm(data.get("rfm", {}), bad)
    if data.get("factors") is not None:
        d.factors = _factors(data["factors"], bad)
    d.tiers = _tiers(data.get("tiers", {"top": 80, "middle": 50}), bad)
    d.tier_labels = _tier_labels(data.get("tier_labels", {}), bad)
    if "segments" in data:
        d.segments = parse_rules(data["segments"], bad)
    measures = data.get("measures")
    if measures is not None:
        d.measures = validate_measures(measures, lambda path, key="error.definition_field", **kw:
                                       bad(f"measures{path}", key, **kw))
    notes = data.get("persona_notes", {})
    if not isinstance(notes, dict) or any(not isinstance(v, str) for v in notes.values()):
        raise bad("persona_notes", "error.definition_not_object")
    d.persona_notes = dict(notes)
    if data.get("measure_log") is not None:
        d.measure_log = validate_log(data["measure_log"], lambda path, key="error.definition_field", **kw:
                                     bad(f"measure_log{path}", key, **kw))
    return d


def migrate(data: dict) -> dict:
    """A parsed definition of an older schema version as the current one.

    Version 1 -> 2: version 2 only added the optional ``measure_log`` (none in an older file).

    Args:
        data: the parsed JSON (a dict with ``version`` in :data:`OLDER_VERSIONS` or :data:`VERSION`).

    Returns:
        The data as version :data:`VERSION` (a new dict; the input is not changed).
    """
    out = dict(data)
    if out.get("version") == 1:
        out["version"] = 2
    return out


def _as_of(value: object, bad) -> date | None:
    """The ``as_of`` field: None (the latest order date) or an ISO date."""
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise bad("as_of", "error.definition_date") from None


def _rfm(rfm: object, bad) -> RFMSetting:
    """The ``rfm`` section: mode and the four cut points of each axis."""
    if not isinstance(rfm, dict):
        raise bad("rfm", "error.definition_not_object")
    extra = sorted(set(rfm) - {"mode", *RFM_KEYS})
    if extra:
        raise bad(f"rfm.{extra[0]}", "error.definition_unknown_field")
    mode = rfm.get("mode", "threshold")
    if mode not in RFM_MODES:
        raise bad("rfm.mode", "error.definition_choice", choices=", ".join(RFM_MODES))
    default = RFMSetting()
    return RFMSetting(mode=mode, **{axis: _cuts(rfm.get(axis, getattr(default, axis)), f"rfm.{axis}", bad)
                                    for axis in RFM_KEYS})


def _factors(factors: object, bad) -> list[FactorSetting]:
    """The ``factors`` list: known keys once each, weights ≥ 0 summing to more than 0."""
    if not isinstance(factors, list) or not factors:
        raise bad("factors", "error.definition_factors_empty")
    seen: set[str] = set()
    parsed = [_factor(item, f"factors[{i}]", seen, bad) for i, item in enumerate(factors)]
    total = sum(f.weight for f in parsed)
    if total <= 0:
        raise bad("factors", "error.definition_weights_zero")
    if not math.isclose(sum(f.weight * 100.0 / total for f in parsed), 100.0, abs_tol=1e-6):
        raise bad("factors", "error.definition_weights_sum", total=f"{total:g}")
    return parsed


def _factor(item: object, path: str, seen: set[str], bad) -> FactorSetting:
    """One entry of ``factors`` (``seen``: the keys before it, this one is added)."""
    catalogue = factor_catalogue()
    if not isinstance(item, dict):
        raise bad(path, "error.definition_not_object")
    extra = sorted(set(item) - {"key", "weight", "mode", "cuts"})
    if extra:
        raise bad(f"{path}.{extra[0]}", "error.definition_unknown_field")
    key = item.get("key")
    if key not in catalogue:
        raise bad(f"{path}.key", "error.definition_choice", choices=", ".join(catalogue))
    if key in seen:
        raise bad(f"{path}.key", "error.definition_duplicate", value=key)
    seen.add(key)
    weight = item.get("weight")
    if not _is_number(weight) or not 0 <= weight <= 100:  # inf, 1e308 and NaN fail too
        raise bad(f"{path}.weight", "error.definition_number", low=0, high=100)
    fmode = item.get("mode")
    if fmode is not None and (fmode not in FACTOR_MODES or (key in RFM_KEYS)):
        raise bad(f"{path}.mode", "error.definition_choice", choices=", ".join(FACTOR_MODES))
    cuts = item.get("cuts")
    if cuts is not None:
        if key in RFM_KEYS:
            raise bad(f"{path}.cuts", "error.definition_rfm_cuts_in_factor")
        cuts = _cuts(cuts, f"{path}.cuts", bad)
    return FactorSetting(key=key, weight=float(weight), mode=fmode, cuts=cuts)


def _tiers(tiers: object, bad) -> dict[str, float]:
    """The ``tiers`` cut-offs: top > middle, both 0–100."""
    if not isinstance(tiers, dict):
        raise bad("tiers", "error.definition_not_object")
    for k in ("top", "middle"):
        v = tiers.get(k)
        if not _is_number(v) or not 0 <= v <= 100:
            raise bad(f"tiers.{k}", "error.definition_range", low=0, high=100)
    extra = sorted(set(tiers) - {"top", "middle"})
    if extra:
        raise bad(f"tiers.{extra[0]}", "error.definition_unknown_field")
    if not tiers["top"] > tiers["middle"]:
        raise bad("tiers.top", "error.definition_tiers_order")
    return {"top": float(tiers["top"]), "middle": float(tiers["middle"])}


def _tier_labels(labels: object, bad) -> dict[str, str]:
    """The optional own tier names: a tier key to a non-blank text."""
    if not isinstance(labels, dict) or any(k not in TIER_KEYS or not isinstance(v, str) or not v.strip()
                                           for k, v in labels.items()):
        raise bad("tier_labels", "error.definition_labels")
    return {k: v.strip() for k, v in labels.items()}


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v


def _str(v: object, path: str, bad) -> str:
    if not isinstance(v, str):
        raise bad(path, "error.definition_text")
    return v


def _cuts(v: object, path: str, bad) -> list[float]:
    if not isinstance(v, list) or len(v) != 4:
        raise bad(path, "error.definition_cuts")
    for i, x in enumerate(v):
        if not _is_number(x) or x < 0:
            raise bad(f"{path}[{i}]", "error.definition_cuts")
        if not x <= max_magnitude():  # inf and 1e308 are numbers, but no cut point
            raise bad(f"{path}[{i}]", "error.definition_cut_range", high=f"{max_magnitude():,.0f}")
    i = first_unordered_cut(v)
    if i is not None:
        raise bad(f"{path}[{i}]", "error.definition_cuts_order")
    return [float(x) for x in v]


def first_unordered_cut(cuts) -> int | None:
    """Where a list of cut points stops rising.

    Args:
        cuts: cut points, meant to be strictly ascending.

    Returns:
        The index of the first cut that is not above the one before it, or None
        when every cut is above the one before: ``first_unordered_cut([30, 60, 60, 90]) == 2``.
    """
    return next((i for i in range(1, len(cuts)) if not cuts[i] > cuts[i - 1]), None)


def validate_measures(value: object, bad) -> list[dict]:
    """Check a definition's ``measures`` list (see :mod:`loyalty.measures` for what a row means).

    Args:
        value: the parsed JSON value.
        bad: ``bad(path, key, **kw)`` returning a LoyaltyError for a field path.

    Returns:
        The cleaned list: every row with all of ``MEASURE_FIELDS``, missing texts as "".

    Raises:
        LoyaltyError: through ``bad`` when a row or field is invalid.
    """
    if not isinstance(value, list):
        raise bad("", "error.definition_measures")
    out = []
    for i, row in enumerate(value):
        if not isinstance(row, dict):
            raise bad(f"[{i}]", "error.definition_measures")
        target = row.get("target")
        if not isinstance(target, str) or not (target.startswith("tier:") or target.startswith("segment:")):
            raise bad(f"[{i}].target", "error.definition_measures")
        clean = {"target": target}
        for k in MEASURE_FIELDS[1:]:
            v = row.get(k, "")
            if v is None:
                v = ""
            if not isinstance(v, str):
                raise bad(f"[{i}].{k}", "error.definition_text")
            clean[k] = v
        out.append(clean)
    return out


def rebalance(weights: dict[str, float], changed: str, value: float, total: float = 100.0) -> dict[str, float]:
    """Keep weights summing to ``total`` after one of them is set to ``value``.

    The other weights are scaled in proportion to their previous values (shared
    equally when they were all 0) and rounded to whole numbers by largest
    remainder, so the sliders always add up to exactly 100.

    Args:
        weights: factor key -> weight (in display order).
        changed: the factor the user moved.
        value: its new weight (clipped to 0..total).
        total: the sum to keep (100).

    Returns:
        A new dict in the same order.
    """
    value = float(min(max(value, 0.0), total))
    others = [k for k in weights if k != changed]
    if not others:
        return {changed: total}
    value = round(value)
    remaining = total - value
    base = [max(float(weights[k]), 0.0) for k in others]
    if sum(base) <= 0:
        base = [1.0] * len(others)
    raw = [remaining * b / sum(base) for b in base]
    floors = [int(x // 1) for x in raw]
    leftover = int(round(remaining - sum(floors)))
    order = sorted(range(len(others)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    out = {}
    for k in weights:
        out[k] = float(value) if k == changed else float(floors[others.index(k)])
    return out


def equal_weights(keys: list[str], total: float = 100.0) -> dict[str, float]:
    """Whole-number weights as equal as possible, summing to ``total`` (earlier keys get the extra)."""
    if not keys:
        return {}
    base = int(total // len(keys))
    extra = int(round(total - base * len(keys)))
    return {k: float(base + (1 if i < extra else 0)) for i, k in enumerate(keys)}
