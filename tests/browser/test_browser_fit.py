"""Texts a user reads follow the UI language and fit their boxes, in a real browser.

* Streamlit's own file-uploader texts ("Upload", "1GB per file • …", "Drag and drop
  files here") read in Japanese in the Japanese UI (ui.theme.localise_uploaders) on
  every page with an uploader, and Streamlit's English in the English UI.  The visible
  text is read as a person sees it: text of elements drawn at a size above zero, plus
  the CSS ``::before``/``::after`` content.
* At the default width (a 1280-px window, the sidebar open) no metric label or value,
  button, tab, widget label or option is cut off: every page in both languages, the
  workshop with three and with four proposals.  Full-page pictures are saved as
  ``artifacts/screenshots/fit-<page>-<lang>.png``.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from loyalty.i18n import t

from .appdriver import registered_pages

pytestmark = pytest.mark.browser
DEFAULT_WINDOW = {"width": 1280, "height": 900}

# the text a person sees in an element: text drawn at a size above zero, CSS generated content, no icons
VISIBLE_TEXT = """(root) => {
  const parts = [];
  const generated = (el, which) => {
    const c = getComputedStyle(el, which).content;
    if (c && c !== 'none' && c !== 'normal' && c.startsWith('"')) parts.push(JSON.parse(c));
  };
  const walk = (el) => {
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden' || el.matches('[data-testid=stIconMaterial]')) return;
    generated(el, '::before');
    for (const node of el.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) {
        if (parseFloat(cs.fontSize) > 0 && node.textContent.trim()) parts.push(node.textContent.trim());
      } else if (node.nodeType === Node.ELEMENT_NODE) {
        walk(node);
      }
    }
    generated(el, '::after');
  };
  walk(root);
  return parts;
}"""

# texts cut off: an element holding text that is wider than its box, where the box clips or scrolls
CLIPPED = """() => {
  const out = [];
  const skip = '[data-testid=stDataFrame], [data-testid=stVegaLiteChart], [data-testid=stTable], '
             + '[data-testid=stCode], iframe';
  for (const el of document.querySelectorAll('[data-testid=stMain] *, [data-testid=stSidebar] *')) {
    if (el.clientWidth === 0 || el.scrollWidth <= el.clientWidth + 1 || el.closest(skip)) continue;
    const cs = getComputedStyle(el);
    const clips = cs.textOverflow === 'ellipsis' || ['hidden', 'auto', 'scroll', 'clip'].includes(cs.overflowX);
    const text = (el.innerText || '').trim();
    if (clips && text) out.push(text.replace(/\\s+/g, ' ').slice(0, 80));
  }
  return out;
}"""


def _visible(locator) -> list[str]:
    return locator.evaluate(VISIBLE_TEXT)


def _uploader_texts(app, kinds: str) -> None:
    """Every uploader on the page reads in the tab's language."""
    zones = app.page.get_by_test_id("stFileUploaderDropzone")
    expect(zones.first).to_be_visible()
    for zone in zones.all():
        if app.lang == "ja":
            line = t("uploader.with_kinds", "ja", line=t("uploader.limit", "ja", limit="1GB"), kinds=kinds)
            assert _visible(zone) == [t("uploader.button", "ja"), line]
        else:  # Streamlit's own English
            seen = " ".join(_visible(zone))
            assert seen.startswith("Upload 1GB per file • "), seen


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_streamlit_uploader_texts_follow_the_ui_language(app, lang):
    tables, json_files = t("uploader.kinds.tables", "ja"), t("uploader.kinds.json", "ja")
    app.open()
    app.set_language(lang)
    app.go("nav.data")
    _uploader_texts(app, tables)
    zone = app.page.get_by_test_id("stFileUploaderDropzone").first
    # a file dragged over the box: the drop hint
    drag = app.page.evaluate_handle(
        "() => { const d = new DataTransfer(); d.items.add(new File(['x'], 'x.csv', {type: 'text/csv'})); return d; }")
    zone.dispatch_event("dragenter", {"dataTransfer": drag})
    expect(zone.locator("xpath=./div[not(@data-testid)]")).to_be_visible()
    hint = _visible(zone.locator("xpath=./div[not(@data-testid)]"))
    assert hint == [t("uploader.drop", "ja") if lang == "ja" else "Drag and drop files here"]
    zone.dispatch_event("dragleave", {"dataTransfer": drag})
    app.go("nav.workshop")
    _uploader_texts(app, json_files)
    app.go("nav.effect")
    _uploader_texts(app, tables)
    app.go("nav.definition")
    app.tab(app.t("wb.tab.file"))
    _uploader_texts(app, json_files)


def _add_workshop_proposal(app, button: str) -> None:
    app.wait_idle()
    app.page.get_by_role("button", name=app.t(button)).click()
    app.settle()
    expect(app.page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
    app.settle()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_no_label_or_button_is_cut_off_at_the_default_width(app, lang):
    app.page.set_viewport_size(DEFAULT_WINDOW)
    app.open()
    app.set_language(lang)
    clipped: dict[str, list[str]] = {}
    for path, nav_key, _icon in registered_pages():
        name = Path(path).stem
        app.go(nav_key)
        app.settle()
        if name == "workshop":
            _add_workshop_proposal(app, "ws.add_samples")  # three proposals
            found = app.page.evaluate(CLIPPED)
            if found:
                clipped["workshop (3 proposals)"] = found
            _add_workshop_proposal(app, "ws.add_current")  # four
        found = app.page.evaluate(CLIPPED)
        if found:
            clipped[name] = found
        app.screenshot(f"fit-{name}-{lang}")
    assert clipped == {}, "texts cut off at 1280 px"


def test_the_clipping_check_can_fail(app):
    """A label made too long for its box is reported (the check above can see a cut text)."""
    app.page.set_viewport_size(DEFAULT_WINDOW)
    app.open()
    label = app.page.get_by_test_id("stMetricLabel").first
    expect(label).to_be_visible()
    assert app.page.evaluate(CLIPPED) == []
    label.locator("p").first.evaluate("p => { p.textContent = p.textContent.repeat(80); }")
    assert any(text.startswith(t("home.kpi.customers", "ja") * 2) for text in app.page.evaluate(CLIPPED))


def test_an_empty_column_choice_reads_in_japanese(app):
    """Streamlit's own "Choose options" is replaced by a catalogue placeholder."""
    app.open("export")
    box = app.widget("stMultiSelect", app.t("export.columns")).get_by_role("combobox")
    expect(box).to_have_attribute("placeholder", t("widget.choose_options", "ja"))
