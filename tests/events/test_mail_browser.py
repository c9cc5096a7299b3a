"""The events' e-mails as a phone (320 px) and a desktop client (600 px) show them, in Chromium:
long links (a video link, the offer's accept link) must not push the text off the screen.
Screenshots are left in tests/artifacts/ for a person to look at."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.config import Config
from hub.events.mailer import Pending, compose
from hub.events.model import Event, Registration
from hub.subscribers.service import Subscriber

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
START = datetime(2027, 3, 10, 13, 0, tzinfo=UTC)
EVENT = Event(
    id=7,
    slug="rendez-vous-des-cpts-2027-03-10",
    title="Rendez-vous des CPTS : retours d'expérience sur les soins non programmés",
    kind="rdv-cpts",
    description="",
    starts_at=START,
    ends_at=START + timedelta(hours=2),
    mode="online",
    video_url="https://visio.fcpts.org/rendez-vous-des-cpts/salle-principale?pwd=Zm9vYmFyYmF6cXV4",
    venue="",
    address="",
    audience="salaries+elus",
    capacity=80,
    waitlist="offer",
    offer_hours=48,
    opens_at=None,
    closes_at=None,
    questions=[],
    reminders_minutes=[1440, 60],
    status="published",
    ics_uid="0d5c2a4e-rendez-vous@www.fcpts.org",
    ics_sequence=0,
    created_at=NOW,
    updated_at=NOW,
)
IN_PERSON = replace(
    EVENT,
    mode="in-person",
    video_url="",
    venue="Centre de congrès de la Communauté d'agglomération",
    address="Esplanade de l'Europe, 17500 Jonzac",
)
REGISTRATION = Registration(
    id=42,
    event_id=7,
    subscriber_id=12,
    status="confirmed",
    source="web",
    answers={},
    waitlisted_at=None,
    offer_expires_at=None,
    confirmed_at=NOW,
    cancelled_at=None,
    created_at=NOW,
)
PERSON = Subscriber(
    12, "marie@cpts-exemple.fr", "Marie", "Durand", "CPTS", "salarie", True, NOW, NOW, 77
)
CASES = {
    "confirmed": Pending(1, "confirmed", EVENT, REGISTRATION, PERSON, False),
    "offered": Pending(
        2,
        "offered",
        IN_PERSON,
        replace(REGISTRATION, status="offered", offer_expires_at=NOW + timedelta(hours=48)),
        PERSON,
        False,
    ),
}


@pytest.mark.parametrize("width", [320, 600])
@pytest.mark.parametrize("kind", sorted(CASES))
def test_event_mail_reads_well(
    browser: Any,
    config: Config,
    artifacts: Path,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    width: int,
) -> None:
    html = compose(config, CASES[kind], NOW).html.replace("[[first_name]]", " Marie")
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.route("**/*", lambda route: route.abort())
        page.set_content(html, wait_until="load")
        page.screenshot(path=str(artifacts / f"evenement-{kind}-{width}.png"), full_page=True)

        sizes = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert sizes[0] <= sizes[1], f"débordement horizontal à {width} px : {sizes}"
        overflowing = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(e => e.childElementCount === 0 && e.textContent.trim())
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
                .map(e => e.textContent.trim().slice(0, 40))"""
        )
        assert overflowing == []
        fonts = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(e => e.childElementCount === 0 && e.textContent.trim()
                             && e.offsetParent !== null)
                .map(e => parseFloat(getComputedStyle(e).fontSize))"""
        )
        assert min(fonts) >= 13
        assert page.locator("h1").is_visible()
        if kind == "offered":
            button = page.get_by_role("link", name="Accepter la place")
            assert button.is_visible()
            assert (button.get_attribute("href") or "").startswith(
                "http://127.0.0.1:8080/evenements/offre/"
            )
        else:
            assert page.get_by_text(EVENT.video_url).is_visible()
    finally:
        page.close()
