"""The archive in headless Chromium: layout at phone and desktop widths, and accessibility basics.

Screenshots go to tests/artifacts/ (index-375.png, archives-600.png…) for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# name, server, path, whether the page is the hub's own (an issue is the e-mail document as is)
PAGES = [
    ("index", "live_server", "/", True),
    ("archives", "live_server", "/archives/", True),
    ("issue", "live_server", "/archives/bimestrielle/2", False),
    ("introuvable", "live_server", "/archives/bimestrielle/99", True),
    ("apercu-texte", "live_preview", "/texte", True),
]
WIDTHS = [375, 600, 1280]

# Text whose colour contrasts less than 4.5:1 with the first opaque background behind it.
LOW_CONTRAST_JS = """() => {
  const rgba = c => c.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => {
    const f = v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgba(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] === 1) return c;
    }
    return [255, 255, 255];
  };
  const low = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    const box = el.getBoundingClientRect();
    if (!walker.currentNode.textContent.trim() || box.width <= 1 || box.height <= 1) continue;
    const [a, b] = [luminance(rgba(getComputedStyle(el).color)), luminance(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) low.push(`${walker.currentNode.textContent.trim()}: ${ratio.toFixed(2)}`);
  }
  return low;
}"""

LINKS_WITHOUT_NAME_JS = """() => [...document.querySelectorAll('a[href]')]
  .filter(a => !(a.textContent.trim() || a.getAttribute('aria-label')
                 || a.querySelector('img[alt]:not([alt=""])')))
  .map(a => a.outerHTML)"""

CONTROLS_WITHOUT_LABEL_JS = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(e => e.type !== 'hidden' && !e.labels.length && !e.getAttribute('aria-label')
               && !e.getAttribute('aria-labelledby'))
  .map(e => e.outerHTML)"""


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="fr-FR")
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("name", "server", "path", "own"), PAGES)
def test_page_layout_and_accessibility(
    request: pytest.FixtureRequest,
    page: Any,
    artifacts: Path,
    name: str,
    server: str,
    path: str,
    own: bool,
    width: int,
) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    response = page.goto(request.getfixturevalue(server) + path)
    assert response.status == (404 if name == "introuvable" else 200)
    page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)

    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert page.evaluate("[...document.images].every(i => i.hasAttribute('alt'))")
    assert page.evaluate(LINKS_WITHOUT_NAME_JS) == []
    assert page.evaluate(CONTROLS_WITHOUT_LABEL_JS) == []
    if own:
        assert page.locator("h1").count() == 1
        for landmark in ("header", "nav", "main", "footer"):
            assert page.locator(landmark).count() >= 1, landmark
        assert page.locator("main").count() == 1
        assert page.evaluate(LOW_CONTRAST_JS) == []


@pytest.mark.parametrize("path", ["/", "/archives/"])
def test_keyboard_starts_at_the_skip_link_and_focus_is_visible(
    page: Any, live_server: str, artifacts: Path, path: str
) -> None:
    page.set_viewport_size({"width": 375, "height": 700})
    page.goto(live_server + path)

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    box = page.locator("a.skip").bounding_box()
    assert box is not None and box["y"] >= 0 and box["width"] > 1  # shown once focused
    if path == "/":
        page.screenshot(path=str(artifacts / "skip-link-375.png"))

    page.keyboard.press("Tab")  # the next link (white on blue) must show the focus, readably
    style = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth]; })()"
    )
    assert style == ["solid", "3px"]
    assert page.evaluate(LOW_CONTRAST_JS) == []
    if path == "/":
        page.screenshot(path=str(artifacts / "focus-375.png"))

    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # following the skip link lands in the main content
    assert page.evaluate("document.activeElement.id") == "contenu"
