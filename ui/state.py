"""Session state and caches shared by every page.

Every page calls these helpers instead of relying on app.py's widgets, so a page
reached directly (a browser refresh, AppTest's ``switch_page``) finds what it
needs, falling back to the built-in sample data.

Caching: reading/mapping/quality runs once per set of uploaded files (keyed by
their content hashes), features once per dataset and as-of/window, and a
:class:`loyalty.scoring.Scorer` is kept per feature table, so a slider move only
re-scores.  ``st.cache_resource`` is used (no pickling of large frames); the
cached objects are never mutated.

Progress: the first time a file is read, checked or aggregated, a status box
says which step is running (reading → checking → aggregating) and how long it
took; work already done in this server process shows nothing.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import streamlit as st

from loyalty import definition as defn
from loyalty.errors import LoyaltyError
from loyalty.features import Features
from loyalty.i18n import t as _t
from loyalty.pipeline import Dataset, TableInfo, assemble, build_features, default_as_of, map_table
from loyalty.readers import RawTable, read_table
from loyalty.scoring import ScoreResult, Scorer

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_FILES = ("orders_cp932.csv", "customers.csv")

K_LANG = "lang"
K_UPLOADS = "uploads"            # list[Upload] or absent (sample data)
K_TABLE_OPTS = "table_opts"      # sha -> {"sheet":…, "kind":…, "overrides": {...}}
K_DROP_DUPS = "drop_duplicates"
K_DEF = "definition"             # the working Definition
K_SAVED = "saved_definition"     # the last saved/loaded Definition (what-if baseline)
K_CURRENCY = "w_currency"        # the data's currency (ISO code; the data page's select box)


@dataclass(frozen=True)
class Upload:
    """An uploaded file kept in the session."""

    name: str
    data: bytes
    sha: str


#: The UI language while a download is built (see :func:`deferred`): that work runs
#: outside the script run, where the session's state cannot be read.
_DEFERRED_LANG: ContextVar[str | None] = ContextVar("loyalty_deferred_lang", default=None)


def lang() -> str:
    """The UI language ("ja" default)."""
    return _DEFERRED_LANG.get() or st.session_state.get(K_LANG, "ja")


def deferred(make):
    """A download's ``data`` callable that builds the file as this run would show it.

    Streamlit calls ``data`` when the button is clicked, on a worker thread outside
    the script run: the session's state (language, currency) cannot be read there.
    This captures both now and applies them while ``make`` runs.  ``make`` itself
    must take everything else from values computed in the script run.

    Args:
        make: ``make()`` returns the file's bytes (or text).

    Returns:
        A callable for the ``data`` of :func:`ui.components.download_button` (which applies it).
    """
    from loyalty.fmt import use_currency

    code, language = currency(), lang()

    def build():
        use_currency(code)
        token = _DEFERRED_LANG.set(language)
        try:
            return make()
        finally:
            _DEFERRED_LANG.reset(token)
            use_currency(None)

    return build


def currency() -> str:
    """The currency amounts are in ("JPY" unless the data page says otherwise)."""
    from loyalty.fmt import CURRENCIES

    code = st.session_state.get(K_CURRENCY, "JPY")
    return code if code in CURRENCIES else "JPY"


def apply_currency() -> None:
    """Make this run's formatting (screen, charts, exports) use :func:`currency`."""
    from loyalty.fmt import use_currency

    use_currency(currency())


def t(key: str, **values) -> str:
    """Translate a catalogue key into the UI language."""
    return _t(key, lang(), **values)


def definition_name(d=None) -> str:
    """The definition's name as shown: a preset left under its own (Japanese) name is
    named in the UI language; a name the user gave stays as it is."""
    from loyalty import definition as defn

    d = d or definition()
    if lang() != "ja" and d.preset in defn.PRESETS and d.name == defn.preset(d.preset).name:
        return t(f"preset.{d.preset}")
    return d.name


def join_list(items) -> str:
    """Items joined as a list in the UI language: 「A、B」 / "A, B"."""
    return t("polish.list_sep").join(str(i) for i in items)


# ---------------------------------------------------------------------------
# inputs


def sample_uploads() -> list[Upload]:
    """The built-in demo files.

    Read and hashed once per version of each file: a script run asks for the
    files in use some 30 times, and hashing 3.6 MB each time cost a quarter of a
    second per rerun.
    """
    out = []
    for name in SAMPLE_FILES:
        stat = (ROOT / "sample_data" / name).stat()
        out.append(_sample_upload(name, stat.st_mtime_ns, stat.st_size))
    return out


@functools.lru_cache(maxsize=8)
def _sample_upload(name: str, mtime_ns: int, size: int) -> Upload:
    return make_upload(name, (ROOT / "sample_data" / name).read_bytes())


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
    """The user's sheet/kind/mapping/recency-unit choices for one file."""
    opts = st.session_state.setdefault(K_TABLE_OPTS, {})
    return opts.setdefault(sha, {"sheet": None, "kind": None, "overrides": {}, "recency_unit": None})


def _choices_key() -> str:
    parts = []
    for up in uploads():
        o = table_options(up.sha)
        parts.append(json.dumps([up.sha, up.name, o["sheet"], o["kind"], sorted(o["overrides"].items()),
                                 o.get("recency_unit")], ensure_ascii=False, default=str))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


@st.cache_resource(show_spinner=False, max_entries=8)
def _raw(sha: str, name: str, sheet: str | int | None, _data: bytes) -> RawTable:
    # a workspace reopened after a restart has the table as read kept (Parquet): no parse
    from ui.workspace_session import kept_table

    kept = kept_table(sha, name, sheet)
    return kept if kept is not None else read_table(_data, name, sheet=sheet)


@st.cache_resource(show_spinner=False, max_entries=6)
def _assemble(key: str, drop: bool, today: date, currency_code: str, _infos: list[TableInfo]) -> Dataset:
    return assemble(_infos, drop_duplicates=drop, today=today, currency=currency_code)


@st.cache_resource(show_spinner=False, max_entries=12)
def _features(key: str, as_of: date | None, window: int, _dataset: Dataset) -> Features:
    return build_features(_dataset, as_of=as_of, window_days=window)


@st.cache_resource(show_spinner=False, max_entries=12)
def _scorer(key: str, as_of: date | None, window: int, _features: Features) -> Scorer:
    return Scorer(_features.frame)


def dataset_key() -> str:
    """A key identifying the files and choices in use (the currency too: amounts naming
    another currency are left out)."""
    return _choices_key() + f"|dup={drop_duplicates()}|cur={currency()}"


def drop_duplicates() -> bool:
    """Whether exact duplicate rows are dropped (kept by default)."""
    return bool(st.session_state.get(K_DROP_DUPS, False))


#: Uploads at least this large (bytes, all files together) show their progress;
#: smaller ones (the sample data) load in well under a second and show nothing.
PROGRESS_MIN_BYTES = 5 * 1024 * 1024

_DONE: set[tuple] = set()  # steps already run in this server process (no progress for them)
_DONE_LOCK = threading.Lock()
_BOX = threading.local()  # the status box of preload(), while it runs


def _large() -> bool:
    return sum(len(up.data) for up in uploads()) >= PROGRESS_MIN_BYTES


@contextmanager
def _progress(step: str, key: tuple):
    """Say which step runs (reading / checking / aggregating) the first time it runs on a large upload.

    Inside :func:`preload` the steps are lines of its one status box; elsewhere
    (a page reached first after an upload) each step gets its own box.

    Args:
        step: "reading", "checking" or "aggregating" (catalogue ``perf.step.<step>``).
        key: what identifies the work (the same key later means it is cached).

    Yields:
        None.  The box ends "complete" with the elapsed time, or "error".
    """
    with _DONE_LOCK:
        done = key in _DONE
    if done or not _large():
        yield
        return
    label = t(f"perf.step.{step}")
    start = time.perf_counter()
    outer = getattr(_BOX, "box", None)
    try:
        if outer is not None:
            outer.update(label=label)
            yield
            outer.markdown(f":material/check: {label.rstrip('…')} — {time.perf_counter() - start:.1f}s")
        else:
            with st.status(label, expanded=False) as box:
                try:
                    yield
                except LoyaltyError:
                    box.update(label=t("perf.step.failed"), state="error")
                    raise
                box.update(label=f"{label.rstrip('…')} — {time.perf_counter() - start:.1f}s", state="complete")
    finally:
        # a failed step is "done" too: the error is shown by the page, not a lingering box
        with _DONE_LOCK:
            _DONE.add(key)


def raw_table(up: Upload) -> RawTable:
    """One file as read (cached per content and sheet; a status box the first time).

    Raises:
        LoyaltyError: the file cannot be read.
    """
    sheet = table_options(up.sha)["sheet"]
    with _progress("reading", ("read", up.sha, up.name, sheet)):
        return _raw(up.sha, up.name, sheet, up.data)


def tables() -> list[TableInfo]:
    """The files in use, read and mapped (reading cached; mapping is cheap).

    Raises:
        LoyaltyError: a file cannot be read or a choice is invalid.
    """
    return [map_table_for(up) for up in uploads()]


def dataset() -> Dataset:
    """The typed and checked dataset (cached per files and choices).

    Raises:
        LoyaltyError: nothing usable in the files.
    """
    infos = tables()
    key = dataset_key()
    with _progress("checking", ("check", key, drop_duplicates(), date.today())):
        return _assemble(key, drop_duplicates(), date.today(), currency(), infos)


# ---------------------------------------------------------------------------
# definition


def definition() -> defn.Definition:
    """The working definition (the BtoC preset at first)."""
    if K_DEF not in st.session_state:
        st.session_state[K_DEF] = defn.preset("b2c")
        st.session_state.setdefault(K_SAVED, st.session_state[K_DEF].copy())
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


def definition_unsaved() -> bool:
    """Whether the working definition differs from the last saved or loaded one."""
    if K_SAVED not in st.session_state:
        return False
    return _comparable(definition()) != _comparable(st.session_state[K_SAVED])


def _comparable(d: defn.Definition) -> dict:
    """A definition as its file would read back (tuples as lists, 40 == 40.0), blank notes dropped."""
    data = json.loads(json.dumps(d.to_dict(), ensure_ascii=False, default=str))
    notes = {k: v for k, v in (data.get("persona_notes") or {}).items() if str(v).strip()}
    if notes:
        data["persona_notes"] = notes
    else:
        data.pop("persona_notes", None)
    return data


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
    return _features_for(d.as_of, d.window_days)


def features_of(d: defn.Definition) -> Features:
    """Customer features for ``d``'s as-of date and window (cached; a proposal may differ
    from the working definition)."""
    return _features_for(d.as_of, d.window_days)


def _features_for(as_of: date | None, window: int) -> Features:
    ds = dataset()
    key = dataset_key()
    with _progress("aggregating", ("features", key, as_of, window, date.today())):
        return _features(key, as_of, window, ds)


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
    f = _features_for(d.as_of, d.window_days)
    return _scorer(dataset_key(), d.as_of, d.window_days, f).score(d)


def preload() -> None:
    """Read, check and aggregate the files in use now, in one status box.

    Called right after an upload so the progress shows at the top of the page
    (a callback's elements come first): the box names the running step and
    lists the finished ones with their times.  A user error is left for the
    pages to show.
    """
    d = definition()
    with _DONE_LOCK:
        done = ("features", dataset_key(), d.as_of, d.window_days, date.today()) in _DONE
    if done or not _large():
        try:
            features()
        except LoyaltyError:
            pass
        return
    start = time.perf_counter()
    with st.status(t("perf.step.reading"), expanded=True) as box:
        _BOX.box = box
        try:
            features()
            box.update(label=t("perf.step.ready", seconds=f"{time.perf_counter() - start:.1f}"),
                       state="complete", expanded=False)
        except LoyaltyError:
            box.update(label=t("perf.step.failed"), state="error", expanded=False)
        finally:
            _BOX.box = None


def show_error(exc: LoyaltyError) -> None:
    """Show a user error as an error box in the UI language."""
    st.error(exc.message(lang()), icon="⚠️")


def map_table_for(up: Upload) -> TableInfo:
    """One file read and mapped with the user's current choices.

    Raises:
        LoyaltyError: the file cannot be read or a choice is invalid.
    """
    o = table_options(up.sha)
    return map_table(raw_table(up), o["kind"], dict(o["overrides"]), recency_unit=o.get("recency_unit"))
