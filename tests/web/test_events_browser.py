"""A person registering for events in headless Chromium: the agenda, an event's form (with a
mistake first), the confirmation, then "mes inscriptions" opened from the link of the e-mail,
a members-only event reached from there, and a cancellation. Screenshots go to tests/artifacts/
(evenements-375.png, evenement-375.png, mes-inscriptions-375.png…)."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

from hub import notices
from hub.config import Config
from hub.db import Database
from hub.events.mailer import deliver_pending
from hub.events.service import Events, NewEvent
from hub.mail.factory import make_messenger, outbox_folder
from hub.subscribers.service import Person, Subscribers
from hub.web.app import create_app
from tests.web import test_subscription_browser as subscription_browser
from tests.web.conftest import serving
from tests.web.test_subscription_browser import check_page

page = subscription_browser.page  # the subscription pages' fixture: a French browser tab

EMAIL = "camille.martin@cpts-exemple.fr"
VIDEO = "https://visio.example.org/salle-4821"
JN = "Journées Nationales des CPTS 2026"
FLASH = "Réunion flash : le Ségur du numérique"


@pytest.fixture
def config_path(config_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return config_path


@pytest.fixture
def live_events(config: Config) -> Iterator[str]:
    """The hub's web app, live, with a public in-person event, a members-only online one, and
    Camille, a salariée of a member CPTS known to the federation."""

    async def seed() -> None:
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=30)
        async with await Database.open(config.database_path) as db:
            events = Events(db, config)
            await events.create(
                NewEvent(
                    title=JN,
                    kind="journees-nationales",
                    starts_at=start,
                    ends_at=start + timedelta(days=1, hours=8),
                    venue="Palais 2 l'Atlantique",
                    address="Cours Charles Bricaud, 33300 Bordeaux",
                    description="Deux jours de conférences, d'ateliers et de rencontres.",
                    publish=True,
                )
            )
            await events.create(
                NewEvent(
                    title=FLASH,
                    kind="reunion-flash",
                    starts_at=start - timedelta(days=7),
                    ends_at=start - timedelta(days=7) + timedelta(hours=1),
                    video_url=VIDEO,
                    capacity=50,
                    publish=True,
                )
            )
            await Subscribers(db, config).save_person(
                Person(EMAIL, "Camille", "Martin", "CPTS du Val", "salarie", True)
            )

    with serving(create_app(config), seed) as url:
        yield url


def registrations(config: Config) -> list[tuple[str, str]]:
    with sqlite3.connect(config.database_path) as conn:
        return conn.execute(
            "SELECT e.title, r.status FROM registrations AS r "
            "JOIN events AS e ON e.id = r.event_id ORDER BY r.id"
        ).fetchall()


def mailed_registrations_link(config: Config, live_server: str, title: str) -> str:
    """Deliver the queued event e-mails to the outbox, as `hub run` does, and take the "mes
    inscriptions" link from the confirmation of `title`, opened on the live server."""

    async def deliver() -> None:
        async with await Database.open(config.database_path) as db:
            messenger = make_messenger(config)
            try:
                await deliver_pending(db, config, messenger)
            finally:
                await messenger.close()

    # In a thread of its own: sync Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, deliver()).result(timeout=60)
    for eml in sorted(outbox_folder(config).rglob("*.eml")):
        message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
        if title in str(message["Subject"]) and str(message["To"]).endswith(f"<{EMAIL}>"):
            text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
            found = re.search(
                rf"{re.escape(config.web.base_url)}(/evenements/mes-inscriptions/\S+)", text
            )
            assert found, text
            return live_server + found[1]
    raise AssertionError(f"no e-mail about {title!r} to {EMAIL} in the outbox")


def test_register_then_see_and_cancel_from_mes_inscriptions(
    page: Any, live_events: str, config: Config, artifacts: Path
) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_events}/")
    page.get_by_role("link", name="Événements").click()
    assert page.locator("h1").inner_text() == "Les événements de la FCPTS"
    check_page(page, artifacts, "evenements-375")
    main = page.locator("main").inner_text()
    assert JN in main and FLASH not in main  # members-only: not without the person's link
    assert "Palais 2 l'Atlantique" in main and "1200 places restantes" in main

    page.get_by_role("link", name=JN).click()
    assert page.locator("h1").inner_text() == JN
    check_page(page, artifacts, "evenement-375")
    trap = page.locator("#site_web")
    box = trap.bounding_box()
    assert box is not None and box["x"] + box["width"] < 0  # out of sight

    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_label("Prénom").fill("Camille")
    page.get_by_label("Votre profession").fill("Coordinatrice")
    page.get_by_role("button", name="M'inscrire").click()  # structure, days, consent missing
    assert page.locator(".error-summary").is_visible()
    assert page.locator(".field-error").count() == 3
    check_page(page, artifacts, "evenement-erreurs-375")
    assert page.get_by_label("Votre profession").input_value() == "Coordinatrice"  # kept
    page.locator(".error-summary a", has_text="Vous serez présent(e)").click()
    assert page.evaluate("document.activeElement.id") == "q-jours-1"
    assert registrations(config) == []

    page.get_by_label("Votre CPTS ou votre structure").fill("CPTS du Val")
    page.get_by_label("Le premier jour").check()
    page.get_by_label("J'accepte que la FCPTS utilise").check()
    page.get_by_role("button", name="M'inscrire").click()
    # Anyone may type an address: the page says the request is received, the e-mail the rest.
    assert page.locator("h1").inner_text() == "Demande reçue"
    assert EMAIL in page.locator("main").inner_text()
    check_page(page, artifacts, "demande-recue-375")
    assert registrations(config) == [(JN, "confirmed")]

    # The link of the e-mail: her registrations, and the members-only events she may join.
    page.goto(mailed_registrations_link(config, live_events, JN))
    assert page.locator("h1").inner_text() == "Mes inscriptions"
    assert JN in page.locator("main").inner_text()
    page.get_by_role("link", name="Voir les événements auxquels je peux m'inscrire").click()
    assert FLASH in page.locator("main").inner_text()
    check_page(page, artifacts, "evenements-lien-personnel-375")
    page.get_by_role("link", name=FLASH).click()
    assert EMAIL in page.locator("form").inner_text()
    assert page.get_by_label("Adresse e-mail").count() == 0  # hers, not typed
    page.get_by_label("J'accepte que la FCPTS utilise").check()
    page.get_by_role("button", name="M'inscrire").click()
    assert page.locator("h1").inner_text() == "Inscription confirmée"
    assert VIDEO not in page.content()
    assert registrations(config) == [(JN, "confirmed"), (FLASH, "confirmed")]

    page.get_by_role("link", name="Voir mes inscriptions").click()
    assert page.locator("h1").inner_text() == "Mes inscriptions"
    assert page.locator(".registration-status").all_inner_texts() == [
        "Inscription confirmée",
        "Inscription confirmée",
    ]
    check_page(page, artifacts, "mes-inscriptions-375")
    page.get_by_role("button", name=f"Annuler mon inscription à « {JN} »").click()
    assert page.get_by_role("status").inner_text() == f"Votre inscription à « {JN} » est annulée."
    assert page.locator(".registration-status").all_inner_texts() == [
        "Inscription confirmée",  # the réunion flash comes first: it is earlier
        "Inscription annulée",
    ]
    assert page.get_by_role("button", name=f"Annuler mon inscription à « {JN} »").count() == 0
    check_page(page, artifacts, "mes-inscriptions-annulee-375")
    assert registrations(config) == [(JN, "cancelled"), (FLASH, "confirmed")]


@pytest.mark.parametrize("width", [600, 1280])
def test_the_events_pages_at_wider_widths(
    page: Any, live_events: str, artifacts: Path, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_events}/evenements/")
    check_page(page, artifacts, f"evenements-{width}")
    page.get_by_role("link", name=JN).click()
    check_page(page, artifacts, f"evenement-{width}")


@pytest.fixture
def live_offer(config: Config) -> Iterator[str]:
    """The app, live, where a seat of a full in-person event has just been offered to Camille;
    yields the path of the offer's link."""
    offer: list[str] = []

    async def seed() -> None:
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=30)
        async with await Database.open(config.database_path) as db:
            events = Events(db, config)
            event = await events.create(
                NewEvent(
                    title="Étape du Tour de France : Nouvelle-Aquitaine",
                    kind="tour-de-france",
                    starts_at=start,
                    ends_at=start + timedelta(hours=7),
                    venue="Hôtel de Région",
                    capacity=1,
                    publish=True,
                )
            )
            answers = {"cpts": "CPTS du Val"}
            first = Person("premier@cpts-exemple.fr", role="salarie", member=True)
            camille = Person(EMAIL, "Camille", "Martin", "CPTS du Val", "salarie", True)
            await events.register(event.slug, first, source="cli", answers=answers)
            registered = await events.register(event.slug, camille, source="cli", answers=answers)
            await events.unregister(event.slug, first.email)
            registration = registered.registration
            person = await Subscribers(db, config).get(registration.subscriber_id)
            assert person is not None
            offer.append(notices.signed_path(config, "offer", person, str(registration.id)))

    with serving(create_app(config), seed) as url:
        yield url + offer[0]


def test_accept_an_offered_seat(
    page: Any, live_offer: str, config: Config, artifacts: Path
) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(live_offer)
    assert page.locator("h1").inner_text() == "Une place vous est proposée"
    check_page(page, artifacts, "offre-375")
    assert registrations(config)[1] == ("Étape du Tour de France : Nouvelle-Aquitaine", "offered")
    page.get_by_role("button", name="Accepter la place").click()
    assert page.locator("h1").inner_text() == "Place confirmée"
    check_page(page, artifacts, "offre-acceptee-375")
    assert registrations(config)[1] == ("Étape du Tour de France : Nouvelle-Aquitaine", "confirmed")
    page.get_by_role("link", name="Voir mes inscriptions").click()
    assert page.locator(".registration-status").all_inner_texts() == ["Inscription confirmée"]
