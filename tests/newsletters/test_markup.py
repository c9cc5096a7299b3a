"""Markdown for the plain-text part: French punctuation never starts a wrapped line."""

from __future__ import annotations

import pytest

from newsletters.markup import TEXT_WIDTH, markdown_to_text


@pytest.mark.parametrize("sign", [":", ";", "!", "?", "»"])
def test_wrapping_keeps_french_punctuation_with_its_word(sign: str) -> None:
    # Every prefix length, so that for one of them a plain wrap would break before the sign.
    for padding in range(1, TEXT_WIDTH):
        text = markdown_to_text("x" * padding + f" « mot {sign} suite de la phrase")
        for line in text.splitlines():
            assert len(line) <= TEXT_WIDTH
            assert not line.startswith(sign) and not line.rstrip().endswith("«"), text
