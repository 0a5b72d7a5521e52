"""The message catalogue: both languages have the same keys, and every key the
code uses exists."""

import json
import re
import string

import pytest

from loyalty.i18n import catalogue
from tests.helpers import ROOT

CALL = re.compile(r"""\b(?:t|error|_t)\(\s*["']([a-z_]+\.[A-Za-z0-9_.]+)["']""")


def _used_keys():
    keys = set()
    for path in [*ROOT.glob("loyalty/**/*.py"), *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py"), ROOT / "app.py"]:
        keys |= set(CALL.findall(path.read_text(encoding="utf-8")))
    return keys


def test_both_languages_have_the_same_keys():
    assert set(catalogue("ja")) == set(catalogue("en"))


def test_placeholders_agree_between_languages():
    fmt = string.Formatter()
    for key, ja in catalogue("ja").items():
        en = catalogue("en")[key]
        names = lambda s: {f for _, f, _, _ in fmt.parse(s) if f}
        assert names(ja) == names(en), key


def test_every_literal_key_in_the_code_exists():
    missing = sorted(k for k in _used_keys() if k not in catalogue("ja"))
    assert missing == []


def test_catalogue_files_are_valid_utf8_json_and_pair_up():
    for lang in ("ja", "en"):
        files = sorted((ROOT / "loyalty" / "locales" / lang).glob("*.json"))
        assert files
        for path in files:
            data = json.loads(path.read_text(encoding="utf-8"))
            assert all(isinstance(v, str) and v for v in data.values()), path
    ja = sorted(p.name for p in (ROOT / "loyalty" / "locales" / "ja").glob("*.json"))
    en = sorted(p.name for p in (ROOT / "loyalty" / "locales" / "en").glob("*.json"))
    assert ja == en


def test_english_counts_take_a_plural_ending_only_when_not_one():
    import numpy as np

    from loyalty.i18n import t

    assert t("golden.band.orders", "en", n=1) == "1 order"
    assert t("golden.band.orders", "en", n=3) == "3 orders"
    assert t("note.rows_after_as_of", "en", rows=np.int64(1234)) == "Not counted: 1,234 lines dated after the as-of date."
    assert t("note.rows_after_as_of", "en", rows=1) == "Not counted: 1 line dated after the as-of date."
    assert t("golden.band.orders", "ja", n=3) == "3回"


def test_a_plural_ending_on_text_instead_of_a_count_is_an_error():
    from loyalty.i18n import t

    with pytest.raises(TypeError):
        t("golden.band.orders", "en", n="1")  # would print "1 order1"
