"""The e-mail engine's filters: event dates in French."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsletters.model import Article
from newsletters.templating import event_when
from tests.newsletters.factories import PARIS


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (
            datetime(2026, 11, 4, 9, tzinfo=PARIS),
            datetime(2026, 11, 5, 17, tzinfo=PARIS),
            "mercredi 4 novembre 2026, 9h → jeudi 5 novembre 2026, 17h",
        ),
        (
            datetime(2026, 11, 4, 9, 30, tzinfo=PARIS),
            datetime(2026, 11, 4, 12, tzinfo=PARIS),
            "mercredi 4 novembre 2026, 9h30 → 12h",
        ),
        (datetime(2026, 12, 1, 18, tzinfo=PARIS), None, "mardi 1er décembre 2026, 18h"),
        (datetime(2026, 12, 1, tzinfo=PARIS), None, "mardi 1er décembre 2026"),
        (
            datetime(2026, 12, 1, tzinfo=PARIS),
            datetime(2026, 12, 3, tzinfo=PARIS),
            "mardi 1er décembre 2026 → jeudi 3 décembre 2026",
        ),
        (datetime(2026, 11, 4, 8, tzinfo=UTC), None, "mercredi 4 novembre 2026, 9h"),
        (datetime(2026, 7, 1, 8, tzinfo=UTC), None, "mercredi 1er juillet 2026, 10h"),
        (datetime(2026, 11, 4, 9), None, "mercredi 4 novembre 2026, 9h"),  # naive: local time
    ],
)
def test_event_dates_in_french(start: datetime, end: datetime | None, expected: str) -> None:
    article = Article(title="t", link="https://a.fr/", event_start=start, event_end=end)
    assert event_when(article, PARIS) == expected
