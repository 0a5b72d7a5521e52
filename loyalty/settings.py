"""Every ``LOYALTY_*`` environment setting, declared once, and the one way to read it.

An administrator configures a copy of the workbench with environment variables
(limits of the reader, the command line's language and currency, DuckDB's memory,
the login gate of a hosted app, the browser tests in CI).  Each is a
:class:`Setting` in :data:`SETTINGS`: its name, the kind of value it takes, its
default and a one-line meaning.  Code reads a setting only through
:func:`read`; ``tests/test_settings.py`` fails when some other code reads the
environment or names a ``LOYALTY_*`` variable that is not declared here.

The README's "Settings" table is generated from this registry by
``tools/settings_reference.py --write`` and ``tests/test_readme.py`` fails when
the table is stale or a setting is missing from it.

A value that does not fit its kind is a configuration mistake: :func:`read`
raises a :class:`~loyalty.errors.LoyaltyError` naming the setting, the value, what
was expected and the default.  It is never silently replaced by the default.  An
unset or blank variable means the default.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from loyalty.fmt import CURRENCIES
from loyalty.i18n import LANGUAGES, error, t

_COUNT = re.compile(r"\d{1,3}(?:[,_]\d{3})+|\d+")
_SIZE = re.compile(r"\d+(?:\.\d+)?\s*(?:[KMGT]B|[KMGT]iB)", re.I)
_ON = ("1", "true", "yes", "on")
_OFF = ("0", "false", "no", "off")


def _count(text: str) -> int:
    """A positive whole number; "1000", "1_000" and "1,000" are accepted."""
    if not _COUNT.fullmatch(text) or int(re.sub(r"[,_]", "", text)) <= 0:
        raise ValueError(text)
    return int(re.sub(r"[,_]", "", text))


def _flag(text: str) -> bool:
    """On (1, true, yes, on) or off (0, false, no, off), in any case."""
    low = text.lower()
    if low not in _ON + _OFF:
        raise ValueError(text)
    return low in _ON


def _size(text: str) -> str:
    """A memory size as DuckDB writes it (512MB, 1GB, 1.5GiB)."""
    if not _SIZE.fullmatch(text):
        raise ValueError(text)
    return text


@dataclass(frozen=True)
class Kind:
    """The kind of value a setting takes.

    Attributes:
        name: what the README's table says a value looks like.
        expected: catalogue key of the words "what was expected" in the error
            message (empty for free text, which cannot be wrong).
        parse: turns the stripped text into the value; raises ``ValueError``.
    """

    name: str
    expected: str
    parse: Callable[[str], object]


COUNT = Kind("positive whole number", "settings.expect.count", _count)
FLAG = Kind("1 or 0 (also true/false, yes/no, on/off)", "settings.expect.flag", _flag)
SIZE = Kind("memory size (512MB, 1GB, 2GiB)", "settings.expect.size", _size)
TEXT = Kind("text", "", str)


@dataclass(frozen=True)
class Setting:
    """One environment setting.

    Attributes:
        name: the environment variable (``LOYALTY_…``).
        kind: the kind of value it takes.
        default: the value when the variable is unset or blank (None: nothing,
            e.g. "all cores" or "no provider").
        meaning: one line for the README: what it changes.
        choices: the only values allowed, when there is such a list (compared
            after ``normalize``).
        normalize: applied to the text before ``choices`` are checked (e.g.
            ``str.upper`` for currency codes).
        shown_default: how the README shows the default when it is not a value
            (e.g. "all cores" for None).
    """

    name: str
    kind: Kind
    default: object
    meaning: str
    choices: tuple[str, ...] = ()
    normalize: Callable[[str], str] | None = None
    shown_default: str = ""

    def parse(self, text: str) -> object:
        """The value of ``text`` (already stripped, not blank).

        Raises:
            ValueError: the text is not a value of this setting.
        """
        if self.normalize is not None:
            text = self.normalize(text)
        if self.choices and text not in self.choices:
            raise ValueError(text)
        return self.kind.parse(text)

    def default_text(self) -> str:
        """The default as the README and error messages show it ("20,000,000", "off", "ja")."""
        if self.shown_default:
            return self.shown_default
        if isinstance(self.default, bool):
            return "1 (on)" if self.default else "0 (off)"
        if isinstance(self.default, int):
            return f"{self.default:,}"
        return str(self.default)

    def value_text(self) -> str:
        """What a value looks like, for the README ("positive whole number", "ja or en")."""
        if self.choices:
            quoted = [f"`{c}`" for c in self.choices]
            return ", ".join(quoted[:-1]) + " or " + quoted[-1] if len(quoted) > 1 else quoted[0]
        return self.kind.name


def _limit(name: str, default: int, meaning: str) -> Setting:
    return Setting(name, COUNT, default, meaning)


#: Every setting, in the order of the README's table.
SETTINGS: dict[str, Setting] = {s.name: s for s in (
    # limits of the reader (typed view: loyalty.limits.Limits)
    _limit("LOYALTY_MAX_FILE_MB", 1000,
           "size of one input file in MB, and of a .gz file once decompressed "
           "(also `server.maxUploadSize` in `.streamlit/config.toml`)"),
    _limit("LOYALTY_MAX_ROWS", 20_000_000, "data rows in one file"),
    _limit("LOYALTY_MAX_COLUMNS", 1_000, "columns in one table"),
    _limit("LOYALTY_MAX_CELL_CHARS", 32_767, "characters in one cell (Excel's own limit)"),
    _limit("LOYALTY_XLSX_MAX_UNCOMPRESSED_MB", 1_000,
           "total decompressed size of an .xlsx/.ods in MB, checked before parsing (each part must also "
           "inflate to no more than the zip directory says)"),
    _limit("LOYALTY_XLSX_MAX_ENTRIES", 10_000, "entries in an .xlsx zip"),
    _limit("LOYALTY_XLSX_MAX_RATIO", 200, "decompressed/compressed ratio of an .xlsx entry larger than 10 MB"),
    _limit("LOYALTY_MAX_AMOUNT", 10_000_000_000_000,
           "magnitude of one number read from a cell (amount, quantity, unit price, a customer table's monetary, "
           "frequency, …): a larger or non-finite value (inf, 1e309) is a bad amount, excluded and counted; 1e13 is "
           "above any real yen total, keeps sums of up to 900 such lines exact to the yen, and no sum can overflow"),
    # workspaces (loyalty.workspaces)
    Setting("LOYALTY_WORKSPACE_DIR", TEXT, None,
            "folder of the workspace store (one SQLite file); `~` is the home folder",
            shown_default="the user's data folder: `$XDG_DATA_HOME` or `~/.local/share`, "
                          "`~/Library/Application Support` on macOS, `%LOCALAPPDATA%` on Windows; "
                          "then `loyalty-workbench`"),
    # the command line
    Setting("LOYALTY_LANG", TEXT, "ja", "language of the command line's messages (`--lang` wins)",
            choices=LANGUAGES, normalize=str.lower),
    Setting("LOYALTY_CURRENCY", TEXT, "JPY",
            "currency of the amounts for the command line: symbol in texts and .xlsx formats (`--currency` wins)",
            choices=tuple(CURRENCIES), normalize=str.upper),
    Setting("LOYALTY_DEBUG", FLAG, False,
            "the command line prints the traceback of an unexpected error (a bug) instead of only a message"),
    # SQL pushdown (loyalty.warehouse)
    Setting("LOYALTY_DUCKDB_MEMORY_LIMIT", SIZE, "1GB",
            "memory DuckDB may use for `score --source` on files before it spills to disk"),
    Setting("LOYALTY_DUCKDB_THREADS", COUNT, None, "DuckDB worker threads for `score --source` on files",
            shown_default="all cores"),
    # the login gate of a hosted app (ui.auth; README "Hosting safely")
    Setting("LOYALTY_REQUIRE_LOGIN", FLAG, False,
            "every visitor must log in (OpenID Connect, `st.login`) before the app reads any data"),
    Setting("LOYALTY_LOGIN_PROVIDER", TEXT, None,
            "use the identity provider in `[auth.NAME]` of `.streamlit/secrets.toml` instead of `[auth]` itself",
            shown_default="none"),
    Setting("LOYALTY_ALLOWED_EMAILS", TEXT, None,
            "only these addresses may use the app once logged in: comma separated, `@domain` admits a domain",
            shown_default="everyone who can log in"),
    # the tests
    Setting("LOYALTY_REQUIRE_BROWSER", FLAG, False,
            "the browser tests fail instead of being skipped when Chromium or Playwright is missing "
            "(`.ci/run` sets it)"),
)}


def read(name: str, environ: Mapping[str, str] | None = None) -> object:
    """The value of the setting ``name``: its default, or the environment's override.

    Args:
        name: a key of :data:`SETTINGS`.
        environ: the variables to read (default: ``os.environ``).

    Returns:
        The typed value (an int, a bool, a str or None as the setting's kind says).

    Raises:
        KeyError: ``name`` is not declared in :data:`SETTINGS` (a bug).
        LoyaltyError: the variable is set to something that is not a value of
            the setting; the message names the setting, the value, what was
            expected and the default.
    """
    setting = SETTINGS[name]
    env = os.environ if environ is None else environ
    raw = env.get(name)
    if raw is None or not raw.strip():
        return setting.default
    try:
        return setting.parse(raw.strip())
    except ValueError:
        raise _bad_value(setting, raw) from None


def system_environ() -> Mapping[str, str]:
    """The process environment, for the system's own variables (HOME, XDG_DATA_HOME,
    LOCALAPPDATA…) that say where things live; ``LOYALTY_*`` settings go through :func:`read`."""
    return os.environ


def is_set(name: str, environ: Mapping[str, str] | None = None) -> bool:
    """Whether the environment overrides the setting ``name`` (a non-blank value), so a
    caller can tell "the default" from "asked for the default value".

    Raises:
        KeyError: ``name`` is not declared in :data:`SETTINGS` (a bug).
    """
    SETTINGS[name]
    env = os.environ if environ is None else environ
    return bool((env.get(name) or "").strip())


def _bad_value(setting: Setting, raw: str):
    if setting.choices:
        expected = {lang: t("settings.expect.choice", lang, choices=", ".join(setting.choices))
                    for lang in LANGUAGES}
    else:
        expected = {lang: t(setting.kind.expected, lang) for lang in LANGUAGES}
    return error("error.bad_setting", setting=setting.name, value=raw, expected=expected,
                 default=setting.default_text())
