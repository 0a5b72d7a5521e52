"""The settings registry (loyalty/settings.py): every LOYALTY_* variable is declared
there and read only through it; values of each kind are parsed exactly, and a
wrong value is a configuration error that names the setting, the value, what was
expected and the default, in both languages, wherever the setting is read."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from loyalty import limits, settings
from loyalty.cli import main
from loyalty.errors import LoyaltyError
from loyalty.i18n import LANGUAGES, catalogue
from tests.helpers import ROOT, app_test

NAME = re.compile(r"\bLOYALTY_[A-Z0-9_]*[A-Z0-9]\b")
ENV_READ = re.compile(r"\bos\.environ\b|\bos\.getenv\b|\bgetenv\(")


def _sources(*folders: str) -> list:
    return [p for folder in folders for p in sorted((ROOT / folder).rglob("*.py"))]


# ------------------------------------------------------------------ one registry


def test_the_code_reads_the_environment_only_through_the_registry():
    readers = [str(p.relative_to(ROOT)) for p in [*_sources("loyalty", "ui", "pages"), ROOT / "app.py"]
               if ENV_READ.search(p.read_text(encoding="utf-8"))]
    assert readers == ["loyalty/settings.py"]


def test_every_loyalty_variable_named_anywhere_is_declared():
    files = [*_sources("loyalty", "ui", "pages", "tests", "tools", "bench"), ROOT / "app.py",
             ROOT / "README.md", ROOT / ".ci" / "run"]
    named = {m for p in files if p.exists() for m in NAME.findall(p.read_text(encoding="utf-8"))}
    assert sorted(named - set(settings.SETTINGS)) == []
    assert sorted(set(settings.SETTINGS) - named) == []  # and every declared one is used somewhere


def test_limits_are_the_registry_limits():
    assert {f: getattr(limits.Limits(), f) for f in limits.Limits.__dataclass_fields__} == {
        name: settings.SETTINGS[name].default for name in limits.Limits.__dataclass_fields__}


def test_every_setting_has_a_meaning_and_a_shown_default():
    for s in settings.SETTINGS.values():
        assert s.name.startswith("LOYALTY_") and s.meaning and "\n" not in s.meaning, s.name
        assert s.default_text() not in ("", "None"), s.name


def test_the_expected_value_words_exist_in_both_languages():
    keys = {s.kind.expected for s in settings.SETTINGS.values() if s.kind.expected} | {"settings.expect.choice"}
    for lang in LANGUAGES:
        assert keys <= set(catalogue(lang)), lang


# ------------------------------------------------------------------ values


@pytest.mark.parametrize("name, raw, value", [
    ("LOYALTY_MAX_ROWS", "1_000", 1000),
    ("LOYALTY_MAX_ROWS", " 2,000 ", 2000),
    ("LOYALTY_DUCKDB_THREADS", "3", 3),
    ("LOYALTY_DEBUG", "1", True),
    ("LOYALTY_DEBUG", " TRUE ", True),
    ("LOYALTY_DEBUG", "on", True),
    ("LOYALTY_DEBUG", "No", False),
    ("LOYALTY_DEBUG", "0", False),
    ("LOYALTY_DUCKDB_MEMORY_LIMIT", "512MB", "512MB"),
    ("LOYALTY_DUCKDB_MEMORY_LIMIT", "1.5GiB", "1.5GiB"),
    ("LOYALTY_LANG", "EN", "en"),
    ("LOYALTY_CURRENCY", "usd", "USD"),
    ("LOYALTY_LOGIN_PROVIDER", " microsoft ", "microsoft"),
    ("LOYALTY_ALLOWED_EMAILS", "@example.co.jp, a@b.jp", "@example.co.jp, a@b.jp"),
])
def test_values_are_parsed(name, raw, value):
    assert settings.read(name, {name: raw}) == value


@pytest.mark.parametrize("name, value", [
    ("LOYALTY_MAX_FILE_MB", 1000), ("LOYALTY_DUCKDB_THREADS", None), ("LOYALTY_DUCKDB_MEMORY_LIMIT", "1GB"),
    ("LOYALTY_DEBUG", False), ("LOYALTY_LANG", "ja"), ("LOYALTY_CURRENCY", "JPY"),
    ("LOYALTY_LOGIN_PROVIDER", None), ("LOYALTY_REQUIRE_LOGIN", False),
])
def test_unset_or_blank_means_the_default(name, value):
    assert settings.read(name, {}) == value
    assert settings.read(name, {name: "  "}) == value


COUNT = ("正の整数", "a positive whole number")
FLAG = ("1 か 0（true/false、yes/no、on/off でも可）", "1 or 0 (true/false, yes/no and on/off also work)")


def _messages(name: str, raw: str, expected: tuple[str, str], default: str) -> tuple[str, str]:
    """The whole error message in Japanese and English."""
    return (f"設定 {name} の値「{raw}」は{expected[0]}ではありません。管理者は環境変数を正しい値にするか、"
            f"削除して既定値（{default}）に戻してください。",
            f"Setting {name} is '{raw}', not {expected[1]}. Administrators: set the environment variable to a "
            f"valid value, or remove it to use the default ({default}).")


@pytest.mark.parametrize("name, raw, expected, default", [
    ("LOYALTY_MAX_ROWS", "1,00", COUNT, "20,000,000"),
    ("LOYALTY_MAX_FILE_MB", "200MB", COUNT, "1,000"),
    ("LOYALTY_DUCKDB_THREADS", "0", COUNT, "all cores"),
    ("LOYALTY_DEBUG", "maybe", FLAG, "0 (off)"),
    ("LOYALTY_REQUIRE_LOGIN", "ture", FLAG, "0 (off)"),
    ("LOYALTY_DUCKDB_MEMORY_LIMIT", "80%",
     ("512MB、1GB、2GiB のようなメモリの大きさ", "a memory size such as 512MB, 1GB or 2GiB"), "1GB"),
    ("LOYALTY_LANG", "fr", ("ja, en のいずれか", "one of ja, en"), "ja"),
    ("LOYALTY_CURRENCY", "YEN", ("JPY, USD, GBP, EUR のいずれか", "one of JPY, USD, GBP, EUR"), "JPY"),
])
def test_a_wrong_value_names_the_setting_the_value_and_the_default(name, raw, expected, default):
    with pytest.raises(LoyaltyError) as info:
        settings.read(name, {name: raw})
    assert (info.value.message("ja"), info.value.message("en")) == _messages(name, raw, expected, default)


# ------------------------------------------------------------------ where they are read


def test_the_command_line_reports_a_wrong_setting_and_exits_2(monkeypatch, capsys):
    monkeypatch.setenv("LOYALTY_CURRENCY", "YEN")
    assert main(["definition"]) == 2
    err = capsys.readouterr().err
    assert "LOYALTY_CURRENCY" in err and "YEN" in err and "Traceback" not in err
    monkeypatch.delenv("LOYALTY_CURRENCY")
    monkeypatch.setenv("LOYALTY_DEBUG", "maybe")
    assert main(["definition"]) == 2
    assert "LOYALTY_DEBUG" in capsys.readouterr().err


@pytest.mark.slow
def test_python_m_loyalty_reports_a_wrong_setting_in_a_real_process():
    """The other command-line tests call loyalty.cli.main in this process; this one runs
    ``python -m loyalty`` itself."""
    res = subprocess.run([sys.executable, "-m", "loyalty", "definition"], cwd=ROOT, capture_output=True,
                         timeout=120, env={**os.environ, "LOYALTY_CURRENCY": "YEN"})
    expected = ("JPY, USD, GBP, EUR のいずれか", "one of JPY, USD, GBP, EUR")
    assert (res.returncode, res.stdout) == (2, b"")
    assert res.stderr.decode("utf-8") == _messages("LOYALTY_CURRENCY", "YEN", expected, "JPY")[0] + "\n"


def test_the_command_line_language_comes_from_the_setting(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("LOYALTY_LANG", "en")
    assert main(["quality", str(tmp_path / "missing.csv")]) == 2
    err = capsys.readouterr().err
    assert err.isascii() and "missing.csv" in err, err


def test_duckdb_gets_its_memory_and_threads_from_the_settings(monkeypatch, tmp_path):
    from loyalty import warehouse as wh

    path = tmp_path / "orders.csv"
    path.write_text("customer_id,order_date,amount\n1,2024-01-01,100\n", encoding="utf-8")
    monkeypatch.setenv("LOYALTY_DUCKDB_THREADS", "1")
    monkeypatch.setenv("LOYALTY_DUCKDB_MEMORY_LIMIT", "512MB")
    with wh.open_source(str(path)) as src:
        got = src.backend.raw_sql("SELECT current_setting('threads'), current_setting('memory_limit')").fetchone()
    assert got == (1, "488.2 MiB")  # DuckDB shows 512 MB (10^6) in MiB
    monkeypatch.setenv("LOYALTY_DUCKDB_MEMORY_LIMIT", "lots")
    with pytest.raises(LoyaltyError, match="LOYALTY_DUCKDB_MEMORY_LIMIT"):
        wh.open_source(str(path))


def test_a_wrong_login_switch_keeps_the_app_closed(monkeypatch):
    monkeypatch.setenv("LOYALTY_REQUIRE_LOGIN", "ture")
    at = app_test()
    assert [e.value for e in at.error] == [_messages("LOYALTY_REQUIRE_LOGIN", "ture", FLAG, "0 (off)")[0]]
    assert not at.metric and not at.dataframe and not at.button and not at.get("file_uploader")
