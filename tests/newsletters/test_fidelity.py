"""Our renderer (mjml-python) against the official MJML 4.15.3, on every template we ship.

Each template's MJML goes through both; the HTML must have the same structure: visible text,
links in order, images, table nesting, media queries, and, element by element, the same tags,
attributes and inline styles. Outlook conditional comments (<!--[if mso | IE]>…) are comments
to the parser and are ignored with everything inside them, as only Outlook reads them. The
official CLI runs with strict validation, so it also vouches for our MJML. It is installed by
`make test-setup` (npm ci --prefix tests/fidelity); without it this test fails, it never skips.
"""

from __future__ import annotations

import difflib
import re
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from hub.config import Config
from newsletters.mjml_check import check_mjml
from newsletters.render import issue_mjml
from newsletters.templating import compile_mjml, render_mjml
from tests.newsletters.factories import full_issue

MJML_CLI = Path(__file__).resolve().parents[1] / "fidelity" / "node_modules" / ".bin" / "mjml"

# mjml-python follows a newer MJML that labels the wrapper <div> for screen readers
# (role="article", aria-roledescription="email", aria-label=<title>); 4.15.3 does not.
# Invisible on screen: dropped from the comparison.
_NEWER_MJML_ARIA = frozenset({"role", "aria-roledescription", "aria-label"})


def run_official(mjml: str) -> subprocess.CompletedProcess[str]:
    """The official MJML CLI on `mjml`, with strict validation: invalid MJML fails."""
    if not MJML_CLI.exists():
        pytest.fail(
            f"MJML officiel introuvable ({MJML_CLI}) : lancez `make test-setup` "
            "(npm ci --prefix tests/fidelity)",
            pytrace=False,
        )
    return subprocess.run(
        [str(MJML_CLI), "-i", "-s", "--config.minify", "false",
         "--config.validationLevel", "strict"],
        input=mjml, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def official_html(mjml: str) -> str:
    proc = run_official(mjml)
    if proc.returncode != 0:
        raise AssertionError(f"le MJML officiel refuse ce document :\n{proc.stderr}")
    return proc.stdout


@dataclass
class Structure:
    """What a reader (or a mail client) gets from an HTML e-mail, normalized for comparison."""

    text: list[str] = field(default_factory=list)
    title: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    images: list[tuple[str | None, str | None]] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)  # "[" and "]": the nesting of tables
    media: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    elements: list[str] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.result = Structure()
        self._raw: str | None = None  # inside <style>, <title> or <script>
        self._media: str | None = None
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("style", "title", "script"):
            self._raw, self._media, self._buffer = tag, values.get("media"), []
        if tag == "a" and "href" in values:
            self.result.links.append(values["href"] or "")
        elif tag == "img":
            self.result.images.append((values.get("src"), values.get("alt")))
        elif tag == "table":
            self.result.tables.append("[")
        self.result.elements.append(_element(tag, values))

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.result.tables.append("]")
        if tag == self._raw:
            content = "".join(self._buffer)
            if tag == "style":
                self.result.media += _media_rules(content, self._media)
            elif tag == "title":
                self.result.title += content.split()
            self._raw = None

    def handle_data(self, data: str) -> None:
        if self._raw:
            self._buffer.append(data)
        else:
            self.result.text += data.split()


def _element(tag: str, attrs: dict[str, str | None]) -> str:
    """A tag with its attributes; the declarations of its inline style are sorted, since their
    order differs between the two renderers without changing what is displayed."""
    style = attrs.pop("style", None) or ""
    declarations = sorted(
        f"{name.strip().lower()}:{' '.join(value.split())}"
        for name, _, value in (d.partition(":") for d in style.split(";"))
        if value.strip()
    )
    if tag == "div" and "aria-roledescription" in attrs:
        attrs = {k: v for k, v in attrs.items() if k not in _NEWER_MJML_ARIA}
    return f"<{tag} {sorted(attrs.items())} style={declarations}>"


def _media_rules(css: str, media: str | None) -> list[tuple[str, tuple[str, ...]]]:
    """(condition, class names) of every media query: @media blocks and <style media=…>."""
    rules = [(_squeeze(media), _classes(css))] if media else []
    for match in re.finditer(r"@media([^{]+)\{", css):
        depth, end = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(css[end], 0)
            end += 1
        rules.append((_squeeze(match.group(1)), _classes(css[match.end() : end - 1])))
    return rules


def _squeeze(condition: str) -> str:
    return re.sub(r"\s+", "", condition).lower()


def _classes(css: str) -> tuple[str, ...]:
    selectors = re.sub(r"\{[^}]*\}", " ", css)
    return tuple(sorted(set(re.findall(r"\.([A-Za-z_][\w-]*)", selectors))))


def structure(html: str) -> Structure:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    reader.result.media.sort()
    return reader.result


def assert_same_structure(ours: str, official: str) -> None:
    mine, theirs = structure(ours), structure(official)
    for facet in ("text", "title", "links", "images", "tables", "media", "elements"):
        a, b = getattr(mine, facet), getattr(theirs, facet)
        if a != b:
            official, ours = list(map(str, b)), list(map(str, a))
            diff = "\n".join(
                difflib.unified_diff(official, ours, "officiel", "mjml-python", lineterm="", n=1)
            )
            raise AssertionError(f"{facet} : les deux rendus diffèrent\n{diff[:4000]}")
    assert mine.text and mine.links and mine.tables and mine.media


def base_alone(config: Config) -> str:
    """The shared layout with nothing in its blocks, as a transactional e-mail starts."""
    context = {"accent": config.editions["bimestrielle"].colour, "title": "Titre", "preheader": ""}
    return render_mjml("mjml/base.mjml.j2", context, config)


@pytest.mark.parametrize("edition", ["bimestrielle", "flash", "condense", "essentiel"])
def test_edition_matches_official_mjml(config: Config, edition: str) -> None:
    mjml = issue_mjml(full_issue(config, edition), config)
    assert_same_structure(compile_mjml(mjml), official_html(mjml))


def test_base_layout_matches_official_mjml(config: Config) -> None:
    mjml = base_alone(config)
    html = compile_mjml(mjml)
    assert config.federation.postal_address in html
    assert_same_structure(html, official_html(mjml))


def test_comparison_sees_a_difference(config: Config) -> None:
    """The comparison is not blind: one changed padding or link is caught."""
    mjml = base_alone(config)
    official = official_html(mjml)
    with pytest.raises(AssertionError, match="elements"):
        assert_same_structure(
            compile_mjml(mjml.replace('padding="24px 12px"', 'padding="20px"')), official
        )
    with pytest.raises(AssertionError, match="links"):
        assert_same_structure(compile_mjml(mjml.replace("mailto:", "mailto:x")), official)


_BROKEN = {
    "unknown tag": '<mj-column><mj-buton href="https://a.fr/">x</mj-buton></mj-column>',
    "bad attribute": '<mj-column><mj-text colour="#fff">x</mj-text></mj-column>',
    "misplaced": "<mj-column><mj-section></mj-section></mj-column>",
}


@pytest.mark.parametrize("case", sorted(_BROKEN))
def test_check_agrees_with_official_validator(case: str) -> None:
    """What our check rejects, the official validator rejects too."""
    mjml = f"<mjml><mj-body><mj-section>{_BROKEN[case]}</mj-section></mj-body></mjml>"
    assert check_mjml(mjml)
    assert run_official(mjml).returncode != 0
