"""Session state and caches shared by every page.

Every page calls these helpers instead of relying on app.py's widgets, so a page
reached directly (a browser refresh, AppTest's ``switch_page``) finds what it
needs, falling back to the built-in sample data.

Caching: reading/mapping/quality runs once per set of uploaded files (keyed by
their content hashes), features once per dataset and as-of/window, and a
:class:`loyalty.scoring.Scorer` is kept per feature table, so a slider move only
re-scores.  ``st.cache_resource`` is used (no pickling of large frames); the
cached objects are never mutated.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import streamlit as st

from loyalty import definition as defn
from loyalty.errors import LoyaltyError
from loyalty.features import Features
from loyalty.i18n import t as _t
from loyalty.pipeline import Dataset, TableInfo, assemble, build_features, default_as_of, map_table
from loyalty.reading import RawTable, read_table
from loyalty.scoring import ScoreResult, Scorer

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_FILES = ("orders_cp932.csv", "customers.csv")

K_LANG = "lang"
K_UPLOADS = "uploads"            # list[Upload] or absent (sample data)
K_TABLE_OPTS = "table_opts"      # sha -> {"sheet":…, "kind":…, "overrides": {...}}
K_DROP_DUPS = "drop_duplicates"
K_DEF = "definition"             # the working Definition
K_SAVED = "saved_definition"     # the last saved/loaded Definition (what-if baseline)


@dataclass(frozen=True)
class Upload:
    """An uploaded file kept in the session."""

    name: str
    data: bytes
    sha: str


def lang() -> str:
    """The UI language ("ja" default)."""
    return st.session_state.get(K_LANG, "ja")


def t(key: str, **values) -> str:
    """Translate a catalogue key into the UI language."""
    return _t(key, lang(), **values)


# ---------------------------------------------------------------------------
# inputs


def sample_uploads() -> list[Upload]:
    """The built-in demo files."""
    out = []
    for name in SAMPLE_FILES:
        data = (ROOT / "sample_data" / name).read_bytes()
        out.append(Upload(name=name, data=data, sha=hashlib.sha256(data).hexdigest()))
    return out


def make_upload(name: str, data: bytes) -> Upload:
    """An :class:`Upload` with its content hash."""
    return Upload(name=name, data=data, sha=hashlib.sha256(data).hexdigest())


def uploads() -> list[Upload]:
    """The files in use: the user's uploads, or the sample data."""
    ups = st.session_state.get(K_UPLOADS)
    return ups if ups else sample_uploads()


def using_sample() -> bool:
    """Whether the sample data is in use."""
    return not st.session_state.get(K_UPLOADS)


def set_uploads(files: list[Upload] | None) -> None:
    """Replace the files in use (None or [] = back to the sample data)."""
    st.session_state[K_UPLOADS] = list(files) if files else []
    st.session_state.pop(K_TABLE_OPTS, None)


def table_options(sha: str) -> dict:
    """The user's sheet/kind/mapping choices for one file."""
    opts = st.session_state.setdefault(K_TABLE_OPTS, {})
    return opts.setdefault(sha, {"sheet": None, "kind": None, "overrides": {}})


def _choices_key() -> str:
    parts = []
    for up in uploads():
        o = table_options(up.sha)
        parts.append(json.dumps([up.sha, up.name, o["sheet"], o["kind"], sorted(o["overrides"].items())],
                                ensure_ascii=False, default=str))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


@st.cache_resource(show_spinner=False, max_entries=8)
def _raw(sha: str, name: str, sheet: str | int | None, _data: bytes) -> RawTable:
    return read_table(_data, name, sheet=sheet)


@st.cache_resource(show_spinner=False, max_entries=6)
def _assemble(key: str, drop: bool, today: date, _infos: list[TableInfo]) -> Dataset:
    return assemble(_infos, drop_duplicates=drop, today=today)


@st.cache_resource(show_spinner=False, max_entries=12)
def _features(key: str, as_of: date | None, window: int, _dataset: Dataset) -> Features:
    return build_features(_dataset, as_of=as_of, window_days=window)


@st.cache_resource(show_spinner=False, max_entries=12)
def _scorer(key: str, as_of: date | None, window: int, _features: Features) -> Scorer:
    return Scorer(_features.frame)


def dataset_key() -> str:
    """A key identifying the files and choices in use."""
    return _choices_key() + f"|dup={drop_duplicates()}"


def drop_duplicates() -> bool:
    """Whether exact duplicate rows are dropped (kept by default)."""
    return bool(st.session_state.get(K_DROP_DUPS, False))


def raw_table(up: Upload) -> RawTable:
    """One file as read (cached per content and sheet).

    Raises:
        LoyaltyError: the file cannot be read.
    """
    return _raw(up.sha, up.name, table_options(up.sha)["sheet"], up.data)


def tables() -> list[TableInfo]:
    """The files in use, read and mapped (reading cached; mapping is cheap).

    Raises:
        LoyaltyError: a file cannot be read or a choice is invalid.
    """
    out = []
    for up in uploads():
        o = table_options(up.sha)
        out.append(map_table(raw_table(up), o["kind"], dict(o["overrides"])))
    return out


def dataset() -> Dataset:
    """The typed and checked dataset (cached per files and choices).

    Raises:
        LoyaltyError: nothing usable in the files.
    """
    return _assemble(dataset_key(), drop_duplicates(), date.today(), tables())


# ---------------------------------------------------------------------------
# definition


def definition() -> defn.Definition:
    """The working definition (the BtoC preset at first)."""
    if K_DEF not in st.session_state:
        st.session_state[K_DEF] = defn.preset("b2c")
    return st.session_state[K_DEF]


def set_definition(d: defn.Definition, *, saved: bool = False) -> None:
    """Replace the working definition (and the what-if baseline when ``saved``)."""
    st.session_state[K_DEF] = d
    if saved:
        st.session_state[K_SAVED] = d.copy()


def saved_definition() -> defn.Definition:
    """The last saved or loaded definition (the what-if baseline)."""
    if K_SAVED not in st.session_state:
        st.session_state[K_SAVED] = definition().copy()
    return st.session_state[K_SAVED]


def as_of_default() -> date | None:
    """The latest order date of the data in use."""
    return default_as_of(dataset())


def effective_as_of() -> date | None:
    """The as-of date in force: the definition's, else the data's latest order date."""
    d = definition()
    return d.as_of or as_of_default()


def features() -> Features:
    """Customer features for the working definition's as-of and window (cached)."""
    d = definition()
    return _features(dataset_key(), d.as_of, d.window_days, dataset())


def scorer() -> Scorer:
    """The scorer of the current features (cached)."""
    d = definition()
    f = features()
    return _scorer(dataset_key(), d.as_of, d.window_days, f)


def scores(d: defn.Definition | None = None) -> ScoreResult:
    """Score the current customers under ``d`` (default: the working definition).

    A definition with another as-of date or window gets its own features.
    """
    d = d or definition()
    cur = definition()
    if d.as_of == cur.as_of and d.window_days == cur.window_days:
        return scorer().score(d)
    f = _features(dataset_key(), d.as_of, d.window_days, dataset())
    return _scorer(dataset_key(), d.as_of, d.window_days, f).score(d)


def show_error(exc: LoyaltyError) -> None:
    """Show a user error as an error box in the UI language."""
    st.error(exc.message(lang()), icon="⚠️")


def map_table_for(up: Upload) -> TableInfo:
    """One file read and mapped with the user's current choices.

    Raises:
        LoyaltyError: the file cannot be read or a choice is invalid.
    """
    o = table_options(up.sha)
    return map_table(raw_table(up), o["kind"], dict(o["overrides"]))
