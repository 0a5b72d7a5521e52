"""Every page registered in app.py, in both languages, in a real browser: it
renders without an error or a raw catalogue key, and a full-page screenshot is
saved as ``artifacts/screenshots/<page>-<lang>.png``.

New pages join automatically once their file exists (app.py's ``PAGES``)."""

import shutil
import subprocess
from pathlib import Path

import pytest

from loyalty.i18n import catalogue

from .appdriver import raw_keys, registered_pages

pytestmark = [pytest.mark.browser, pytest.mark.slow]
AREAS = sorted({key.split(".")[0] for key in catalogue("ja")})


def test_a_japanese_font_is_installed(chromium):
    """Without a Japanese font Chromium draws tofu (□) instead of Japanese."""
    fc_list = shutil.which("fc-list")
    assert fc_list, "fontconfig's fc-list is missing (it comes with Chromium's dependencies)"
    fonts = subprocess.run([fc_list, ":lang=ja", "family"], capture_output=True, text=True, check=True).stdout
    assert fonts.strip(), "no Japanese font: install fonts-noto-cjk"


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_page_renders_and_is_saved_as_a_screenshot(app, lang):
    pages = registered_pages()
    app.open()
    app.set_language(lang)
    problems, shots = {}, []
    for path, nav_key, _icon in pages:
        name = Path(path).stem
        app.go(nav_key)
        app.expect_no_exception()
        shots.append(app.screenshot(f"{name}-{lang}"))
        found = raw_keys(app.page.get_by_test_id("stAppViewContainer").inner_text(), AREAS)
        if found:
            problems[name] = found
    assert problems == {}, "raw catalogue keys or unfilled placeholders on screen"
    assert [p.name for p in shots] == [f"{Path(path).stem}-{lang}.png" for path, _k, _i in pages]
    assert all(p.stat().st_size > 10_000 for p in shots), "a screenshot is (nearly) blank"
