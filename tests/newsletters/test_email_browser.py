"""The bimonthly issue as a phone (320 px) and a desktop client (600 px) show it, in Chromium.

The network is cut: remote images do not load and their alt text shows, as in a client that
blocks images by default. Screenshots are left in tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub.config import Config
from newsletters.render import render_issue
from tests.newsletters.factories import full_issue


@pytest.mark.parametrize("width", [320, 600])
def test_bimestrielle_reads_well(browser: Any, config: Config, artifacts: Path, width: int) -> None:
    html = render_issue(full_issue(config, "bimestrielle"), config).html
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.route("**/*", lambda route: route.abort())
        page.set_content(html, wait_until="load")
        page.screenshot(path=str(artifacts / f"bimestrielle-{width}.png"), full_page=True)

        sizes = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert sizes[0] <= sizes[1], f"débordement horizontal à {width} px : {sizes}"

        alts = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.getAttribute('alt'))")
        assert alts, "aucune image dans le numéro de test"
        assert all(alt and alt.strip() for alt in alts), alts

        # Every element that shows text fits in the viewport (nothing cut on the right).
        overflowing = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(e => e.childElementCount === 0 && e.textContent.trim())
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
                .map(e => e.textContent.trim().slice(0, 40))"""
        )
        assert overflowing == []

        # Text stays legible: nothing smaller than 13 px, the edition name is the largest.
        sizes = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(e => e.childElementCount === 0 && e.textContent.trim()
                             && e.offsetParent !== null)
                .map(e => parseFloat(getComputedStyle(e).fontSize))"""
        )
        assert len(sizes) > 50 and min(sizes) >= 13
        title = page.locator("h1")
        assert title.inner_text() == "La lettre de la FCPTS"
        assert title.is_visible()
    finally:
        page.close()
