"""Text helpers: cutting on words, and feed text that stays text once in Markdown."""

from __future__ import annotations

import pytest

from newsletters.markup import markdown_to_html, markdown_to_text
from newsletters.text import escape_markdown, shorten


def test_shorten_cuts_on_a_word() -> None:
    assert shorten("court", 10) == "court"
    assert shorten("un deux trois quatre", 12) == "un deux…"
    assert len(shorten("mot " * 50, 40)) <= 40
    assert shorten("x" * 30, 10) == "x" * 9 + "…"


@pytest.mark.parametrize(
    "text",
    [
        "Le code <iframe src=x> reste du texte </p><p> et &lt;b&gt; aussi",
        "*important* et _souligné_ et `code` et [lien](https://x.org)",
        "# pas un titre",
        "- pas une liste\n+ non plus\n1986. Une année, pas une liste",
        "R&D, 5 € & 10 %, a \\ b, {accolades}",
    ],
)
def test_feed_text_reads_the_same_once_rendered(text: str) -> None:
    html = markdown_to_html(escape_markdown(text))
    assert html.startswith("<p>") and "<iframe" not in html and "<em>" not in html
    assert "<h1>" not in html and "<li>" not in html and "<a " not in html
    rendered = " ".join(markdown_to_text(escape_markdown(text)).split())
    assert rendered == " ".join(text.split())
