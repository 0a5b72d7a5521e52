"""The README keeps its promises: the two opening commands, the command used by
CI, the generated CLI reference, and every limit documented."""

import re
from dataclasses import fields

from loyalty.limits import Limits
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


def test_cli_reference_is_generated_from_the_parser():
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    from cli_reference import BEGIN, END, reference

    current = README[README.index(BEGIN) + len(BEGIN):README.index(END)].strip()
    assert current == reference().strip(), "run: python tools/cli_reference.py --write"


def test_every_limit_is_documented_with_its_default():
    for f in fields(Limits):
        row = next((line for line in README.splitlines() if line.startswith(f"| `{f.name}`")), None)
        assert row is not None, f"{f.name} is not in the README's Limits table"
        assert f"{f.default:,}".replace(",", "") in row.replace(",", ""), f.name


def test_upload_limit_matches_the_streamlit_config():
    config = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert f"maxUploadSize = {Limits().LOYALTY_MAX_FILE_MB}" in config
