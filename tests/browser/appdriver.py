"""Drive the workbench in a real browser the way a marketer does.

:class:`App` wraps one Playwright page (one browser tab = one Streamlit
session) and offers the gestures the browser tests need: open the app, follow a
menu entry, switch the language, upload files, pick a value in a select box,
move a slider with the keyboard, open a tab, read a metric, download a file,
save a full-page screenshot.  Every wait is on a condition (the app idle, an
element with the expected text), never a fixed sleep; assertions use
Playwright's retrying ``expect``.

Texts are looked up in the message catalogue (``loyalty.i18n``), so a change of
wording does not break a test, and a test can run in either language.

Adding a scenario for a new page: ``app.open("<url path>")`` (or ``app.open()`` then
``app.go("nav.<page>")`` to keep the session), then
the gestures below; :func:`registered_pages` already makes the screenshot walk
include every page listed in app.py's ``PAGES`` whose file exists.
"""

from __future__ import annotations

import ast
import re
import time
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from loyalty.i18n import t as _t
from tests.helpers import ROOT

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
# placeholders Streamlit shows while a widget's code is still loading
SKELETONS = "[data-testid=stSkeleton], [data-testid=stSkeletonElement], [data-testid=stAppSkeleton]"
VIEWPORT = {"width": 1400, "height": 900}
MAX_SCREENSHOT_HEIGHT = 12_000  # px; a taller page is cut (a table of thousands of rows would be)

# A layout signature (page height and the size of every chart and table); the
# page is settled when it stays the same for four consecutive polls (0.3 s).
_SETTLED = """() => {
  const main = document.querySelector('[data-testid=stMain]');
  if (!main) return false;
  const parts = [main.scrollHeight];
  for (const el of document.querySelectorAll('[data-testid=stVegaLiteChart], [data-testid=stDataFrame]')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;  // in a tab that is not open
    parts.push(Math.round(r.width), Math.round(r.height));
    if (el.matches('[data-testid=stVegaLiteChart]') && !el.querySelector('svg, canvas')) return false;
  }
  const sig = parts.join(',');
  window.__loyaltyStable = window.__loyaltyLayout === sig ? (window.__loyaltyStable || 0) + 1 : 0;
  window.__loyaltyLayout = sig;
  return window.__loyaltyStable >= 3;
}"""


def registered_pages() -> list[tuple[str, str, str]]:
    """The pages app.py registers and whose file exists, in menu order.

    Read from the ``PAGES`` list in app.py without running it.

    Returns:
        ``(path, catalogue key of the title, icon)`` per page.
    """
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PAGES" for t in node.targets):
            return [p for p in ast.literal_eval(node.value) if (ROOT / p[0]).exists()]
    raise AssertionError("app.py has no PAGES list")


class App:
    """One browser tab on the workbench.

    Args:
        page: the Playwright page (a fresh tab).
        base_url: the server's address, e.g. ``http://127.0.0.1:8601``.
    """

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")
        self.lang = "ja"

    # --- texts -----------------------------------------------------------------

    def t(self, key: str, **values) -> str:
        """A catalogue text in the tab's current language."""
        return _t(key, self.lang, **values)

    # --- waiting -----------------------------------------------------------------

    def wait_idle(self) -> None:
        """Wait until no script run is in progress and no spinner is shown."""
        expect(self.page.locator(IDLE)).to_be_attached()
        expect(self.page.get_by_test_id("stSpinner")).to_have_count(0)

    def settle(self) -> None:
        """Wait until the app is idle, every widget is drawn (no loading
        placeholder) and the layout (charts drawn, sizes) stops changing."""
        self.wait_idle()
        expect(self.page.locator(SKELETONS).filter(visible=True)).to_have_count(0)
        self.page.evaluate("() => { window.__loyaltyLayout = null; window.__loyaltyStable = 0; }")
        self.page.wait_for_function(_SETTLED, polling=100)

    # --- navigation ------------------------------------------------------------------

    @property
    def heading(self) -> Locator:
        """The page's title (its first h1)."""
        return self.page.get_by_test_id("stMain").locator("h1").first

    def open(self, path: str = "") -> App:
        """Load the app in the tab (``path`` = a page's url path; "" = the first page).

        Loading a URL starts a new Streamlit session: session state is fresh and
        the language is Japanese again.
        """
        self.page.goto(f"{self.base_url}/{path}")
        self.lang = "ja"
        expect(self.heading).not_to_be_empty()
        self.wait_idle()
        return self

    def nav_link(self, nav_key: str) -> Locator:
        """The sidebar menu entry whose title is the catalogue text ``nav_key``."""
        nav = self.page.get_by_test_id("stSidebarNav")
        return nav.get_by_role("link").filter(has=self.page.get_by_text(self.t(nav_key), exact=True))

    def go(self, nav_key: str) -> None:
        """Follow a sidebar menu entry (same session) and wait for its page."""
        link = self.nav_link(nav_key)
        if link.get_attribute("aria-current") == "page":
            self.wait_idle()
            return
        self.wait_idle()
        before = self.heading.inner_text()
        link.click()
        expect(link).to_have_attribute("aria-current", "page")
        expect(self.heading).not_to_have_text(before)
        self.wait_idle()

    def set_language(self, lang: str) -> None:
        """Switch the UI language with the sidebar toggle ("English")."""
        if lang == self.lang:
            return
        self.wait_idle()
        self.page.get_by_test_id("stSidebar").get_by_text("English", exact=True).click()
        self.lang = lang
        expect(self.nav_link("nav.home")).to_be_visible()
        self.wait_idle()

    def expand(self, label: str, nth: int = 0) -> None:
        """Open the (``nth``) expander with this label, if it is closed."""
        summary = self.page.get_by_test_id("stExpander").filter(has_text=label).nth(nth).locator("summary")
        details = summary.locator("xpath=..")
        self.wait_idle()
        if details.get_attribute("open") is None:
            summary.click()
        expect(details).to_have_attribute("open", "")

    def tab(self, label: str) -> None:
        """Open the tab with this label."""
        tab = self.page.get_by_role("tab", name=label, exact=True)
        self.wait_idle()
        tab.click()
        expect(tab).to_have_attribute("aria-selected", "true")

    # --- reading ---------------------------------------------------------------------

    def metric(self, label: str) -> Locator:
        """The value of the metric with exactly this label (not a stale copy that a
        rerun has not cleared yet: Streamlit keeps the previous run's elements, marked
        ``data-stale``, until the new run has drawn the page)."""
        labelled = self.page.get_by_test_id("stMetricLabel").filter(
            has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
        current = self.page.locator("[data-testid=stElementContainer]:not([data-stale=true])")
        return current.filter(has=self.page.get_by_test_id("stMetric").filter(has=labelled)) \
            .get_by_test_id("stMetricValue")

    @property
    def sidebar(self) -> Locator:
        """The sidebar."""
        return self.page.get_by_test_id("stSidebar")

    def charts(self) -> Locator:
        """The visible Altair/Vega-Lite charts (drawn as SVG, so their texts can be read)."""
        return self.page.get_by_test_id("stVegaLiteChart").filter(visible=True)

    def expect_no_exception(self) -> None:
        """No traceback box and no error box on the page."""
        expect(self.page.get_by_test_id("stException")).to_have_count(0)
        expect(self.page.get_by_test_id("stAlertContentError")).to_have_count(0)

    def expect_image_change(self, locator: Locator, before: bytes, timeout_s: float = 30.0) -> None:
        """Wait until an element drawn on a canvas (a table, a chart) looks
        different from ``before`` (a PNG screenshot of it taken earlier).

        Raises:
            AssertionError: it still looks the same after ``timeout_s`` seconds.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            self.settle()
            if locator.screenshot(animations="disabled") != before:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{locator} did not change within {timeout_s:g} s")
            self.page.wait_for_timeout(250)  # poll interval while re-checking the picture

    # --- gestures ----------------------------------------------------------------------

    def upload(self, label: str, *paths: Path) -> None:
        """Choose files in the uploader with this label (the real file input)."""
        uploader = self.page.get_by_test_id("stFileUploader").filter(
            has=self.page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True))
        uploader.locator("input[type=file]").set_input_files([str(p) for p in paths])
        for p in paths:
            expect(uploader.get_by_text(Path(p).name, exact=True)).to_be_visible()
        self.wait_idle()

    def widget(self, testid: str, label: str) -> Locator:
        """The widget of a kind (``stSelectbox``, ``stSlider``, …) with exactly this label."""
        return self.page.get_by_test_id(testid).filter(
            has=self.page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True))

    def selectbox(self, label: str) -> Locator:
        """The input of the select box with this label (its value is the choice shown)."""
        return self.widget("stSelectbox", label).get_by_role("combobox")

    def select(self, label: str, option: str) -> None:
        """Pick ``option`` in the select box with this label."""
        box = self.selectbox(label)
        opener = self.widget("stSelectbox", label).locator("button[aria-haspopup=listbox]")
        listbox = self.page.get_by_role("listbox")
        for _attempt in range(3):
            self.wait_idle()
            opener.click()
            try:
                expect(listbox).to_be_visible(timeout=5_000)
                break
            except AssertionError:  # a rerun redrew the box while it opened: open it again
                continue
        listbox.get_by_role("option", name=option, exact=True).click()
        expect(box).to_have_value(option)
        self.wait_idle()

    def slider_thumbs(self, label: str) -> Locator:
        """The thumb(s) of the slider with this label (two for a range slider)."""
        return self.widget("stSlider", label).get_by_role("slider")

    def move_slider(self, label: str, steps: int, *, thumb: int = 0) -> str:
        """Move a slider thumb by ``steps`` keyboard steps (negative = left) and
        wait until the thumb shows the new value.

        Streamlit sliders are ``<input type=range>`` elements: the thumb is
        focused and the arrow keys pressed, as a keyboard user would.

        Args:
            label: the slider's label.
            steps: arrow-key presses; each moves one slider step.
            thumb: which thumb of a range slider (0 = the lower one).

        Returns:
            The thumb's new value (the input's value, e.g. "7" or "40.0").
        """
        handle = self.slider_thumbs(label).nth(thumb)
        self.wait_idle()
        start, step = float(handle.input_value()), float(handle.get_attribute("step") or 1)
        lowest, highest = float(handle.get_attribute("min")), float(handle.get_attribute("max"))
        target = min(max(start + steps * step, lowest), highest)
        handle.focus()
        key = "ArrowRight" if steps > 0 else "ArrowLeft"
        for _ in range(abs(steps)):
            handle.press(key)
        expect(handle).to_have_value(re.compile(rf"^{re.escape(_number(target))}(\.0+)?$"))
        self.wait_idle()
        return handle.input_value()

    def drag_slider(self, label: str, fraction: float) -> float:
        """Drag a slider's thumb to ``fraction`` (0–1) of its track, as a mouse
        user does: one change on release, one rerun (keyboard presses that arrive
        while a callback's rerun runs can be overtaken by it).  Returns the new value."""
        handle = self.slider_thumbs(label).first
        self.wait_idle()
        before = handle.input_value()
        handle.locator("xpath=ancestor::div[@role='group']").scroll_into_view_if_needed()
        track = handle.locator("xpath=ancestor::div[@role='group']/div[1]").bounding_box()  # the visible track
        thumb = handle.locator("xpath=../..").bounding_box()  # the visible thumb
        y = thumb["y"] + thumb["height"] / 2
        self.page.mouse.move(thumb["x"] + thumb["width"] / 2, y)
        self.page.mouse.down()
        self.page.mouse.move(track["x"] + track["width"] * fraction, y, steps=8)
        self.page.mouse.up()
        expect(handle).not_to_have_value(before)
        self.wait_idle()
        return float(handle.input_value())

    def download(self, label: str, folder: Path) -> Path:
        """Click the (visible) download button with this label and save the file
        in ``folder`` under the name the app suggests."""
        button = self.page.get_by_test_id("stDownloadButton").filter(has_text=label).filter(visible=True)
        self.wait_idle()
        with self.page.expect_download() as info:
            button.click()
        path = Path(folder) / info.value.suggested_filename
        info.value.save_as(path)
        return path

    # --- pictures ------------------------------------------------------------------------

    def screenshot(self, name: str) -> Path:
        """Save a screenshot of the whole page (not just the window) as
        ``artifacts/screenshots/<name>.png``.

        The main area scrolls inside the window, so the window is made as tall
        as the page for the picture, then restored.
        """
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.settle()
        height = self.page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
        size = self.page.viewport_size or VIEWPORT
        self.page.set_viewport_size({"width": size["width"],
                                     "height": min(max(size["height"], height), MAX_SCREENSHOT_HEIGHT)})
        try:
            self.settle()
            self.page.screenshot(path=str(path), animations="disabled")
        finally:
            self.page.set_viewport_size(size)
        return path


def raw_keys(text: str, areas) -> list[str]:
    """Catalogue keys (``segments.tab.list``) and unfilled ``{placeholders}`` in
    a text shown to the user: a text lookup that went wrong.

    Args:
        text: what the page shows.
        areas: the catalogue areas (the first part of every key).

    Returns:
        The offending fragments (empty when the text is clean).
    """
    areas_re = "|".join(map(re.escape, areas))
    keys = re.compile(rf"(?<![A-Za-z0-9_.])(?:{areas_re})\.[a-z0-9_]+(?:\.[a-z0-9_]+)*(?![A-Za-z0-9_.])")
    files = re.compile(r"\.(csv|tsv|txt|xlsx|xlsm|xls|ods|json|gz|parquet|png)$")
    found = [m.group(0) for m in keys.finditer(text) if not files.search(m.group(0))]
    found += re.findall(r"\{[a-z_][a-z0-9_]*\}", text)
    return found


def _number(value: float) -> str:
    """A slider value without a needless ".0" (7, 7.5)."""
    return str(int(value)) if float(value).is_integer() else str(value)
