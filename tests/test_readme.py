"""The README keeps its promises: the two opening commands, the command used by
CI, the everyday test command, the generated CLI reference, and every LOYALTY_*
setting in its generated table."""

import re
import tomllib
from dataclasses import fields

from loyalty.limits import Limits
from loyalty.settings import SETTINGS
from tests.helpers import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _opening_commands():
    block = re.search(r"```bash\n(.*?)```", README, re.S)
    assert block and README.index(block.group(0)) < README.index("\n## "), "the README must open with the commands"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_exactly_two_commands_start_and_test():
    start, test = _opening_commands()
    assert start.endswith("streamlit run app.py")
    assert "pytest" in test


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _opening_commands()[1] in ci.splitlines()


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    return README[start:README.index("\n## ", start + 1)]


def test_the_everyday_test_command_leaves_out_the_slow_tests():
    blocks = re.findall(r"```bash\n(.*?)```", _section("Tests"), re.S)
    assert [b.strip() for b in blocks] == ['python -m pytest -m "not slow" -q']
    pytest_ini = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert "--strict-markers" in pytest_ini["addopts"].split()  # a misspelt mark fails instead of running
    slow = next(m for m in pytest_ini["markers"] if m.startswith("slow:"))
    assert "more than 2 s" in slow and "more than 2 s" in _section("Tests")


def test_cli_reference_is_generated_from_the_parser():
    current, generated = _generated("cli_reference")
    assert current == generated, "run: python tools/cli_reference.py --write"


def _generated(module: str) -> tuple[str, str]:
    """(the README's text between the tool's markers, what the tool generates now)."""
    import importlib
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    tool = importlib.import_module(module)
    current = README[README.index(tool.BEGIN) + len(tool.BEGIN):README.index(tool.END)].strip()
    return current, tool.reference().strip()


def test_settings_table_is_generated_from_the_registry():
    current, generated = _generated("settings_reference")
    assert current == generated, "run: python tools/settings_reference.py --write"


def _undocumented(readme: str) -> list[str]:
    """Settings of the registry without exactly one README row showing their default."""
    missing = []
    for s in SETTINGS.values():
        rows = [line for line in readme.splitlines() if line.startswith(f"| `{s.name}` |")]
        if len(rows) != 1 or f"| {s.default_text()} |" not in rows[0]:
            missing.append(s.name)
    return missing


def test_every_setting_is_documented_with_its_default():
    assert _undocumented(README) == []
    for f in fields(Limits):  # the typed view of the limits reads registry settings only
        assert f.name in SETTINGS and f.default == SETTINGS[f.name].default, f.name


def test_a_removed_row_is_caught():
    """The check above can fail: drop one row, and that setting is reported."""
    row = next(line for line in README.splitlines() if line.startswith("| `LOYALTY_DUCKDB_THREADS` |"))
    assert _undocumented(README.replace(row + "\n", "")) == ["LOYALTY_DUCKDB_THREADS"]


def test_upload_limit_matches_the_streamlit_config():
    config = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert f"maxUploadSize = {Limits().LOYALTY_MAX_FILE_MB}" in config
