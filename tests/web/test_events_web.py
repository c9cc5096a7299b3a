"""The events' pages over real HTTP on loopback and a real SQLite file: the agenda, the
registration form and who may use it, "mes inscriptions", offered seats, signed links that are
forged or altered, and the video link that no page may show."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from icalendar import Calendar

from hub.config import Config
from hub.db import Database
from hub.events.model import Event, EventChanges
from hub.events.service import Events
from hub.subscribers.service import Person, Subscriber, Subscribers
from hub.tokens import TokenSigner
from hub.web import SERVICES_KEY
from hub.web.app import create_app
from hub.web.subscriptions import HONEYPOT
from tests.events import conftest as event_fixtures
from tests.events.conftest import MakeEvent

make_event = event_fixtures.make_event  # the events tests' fixture: a published event

LIMIT = 5
VIDEO = "https://visio.example.org/salle-secrete-4821"
VENUE = "Palais 2 l'Atlantique"
ANONYMOUS = "camille.durand@exemple.fr"

# One eligible and one ineligible person for every members-only audience: (role, member).
AUDIENCES = {
    "members": (("partenaire", True), ("coordinateur", False)),
    "salaries": (("salarie", True), ("elu", True)),
    "elus": (("elu", True), ("salarie", True)),
    "salaries+elus": (("coordinateur", True), ("partenaire", True)),
    "coordinateurs": (("coordinateur", True), ("salarie", True)),
}


@pytest.fixture
def config_path(config_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(
        text.replace(
            "registrations_per_ip_per_hour = 20", f"registrations_per_ip_per_hour = {LIMIT}"
        ),
        encoding="utf-8",
    )
    return config_path


@pytest.fixture
def events(db: Database, config: Config) -> Events:
    assert config.events.registrations_per_ip_per_hour == LIMIT
    return Events(db, config)


@pytest.fixture
async def client(config: Config, db: Database) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(config))) as test_client:
        yield test_client


async def person(db: Database, config: Config, role: str, member: bool, n: int = 1) -> Subscriber:
    return await Subscribers(db, config).save_person(
        Person(f"personne{n}@cpts-exemple.fr", f"Prénom{n}", "Nom", "CPTS du Val", role, member)
    )


def key(
    config: Config, who: Subscriber, purpose: str = "registrations", list_key: str = "*"
) -> str:
    return TokenSigner.for_config(config).make(purpose, who.id, list_key, nonce=who.token_nonce)


def form(email: str = ANONYMOUS, **changes: Any) -> dict[str, Any]:
    values = {
        "email": email,
        "prenom": "Camille",
        "nom": "Durand",
        "organisation": "CPTS de l'Estuaire",
        "consentement": "oui",
        HONEYPOT: "",
    }
    return {**values, **changes}


ANSWERS = {"profession": "Infirmière", "structure": "CPTS de l'Estuaire", "jours": "Les deux jours"}


def journees(**answers: str) -> dict[str, str]:
    """The answers the Journées Nationales ask for, as form fields."""
    return {f"q-{k}": v for k, v in (ANSWERS | answers).items()}


async def rows(db: Database, sql: str, *params: Any) -> list[dict[str, Any]]:
    async with db.conn.execute(sql, params) as cursor:
        return [dict(row) for row in await cursor.fetchall()]


async def stored(db: Database) -> list[dict[str, Any]]:
    """Every registration with its person's address, and how many e-mails are queued."""
    return await rows(
        db,
        "SELECT s.email, r.status, r.source, r.answers, r.consent_text, r.ip, "
        "(SELECT COUNT(*) FROM event_messages AS m WHERE m.registration_id = r.id) AS messages "
        "FROM registrations AS r JOIN subscribers AS s ON s.id = r.subscriber_id ORDER BY r.id",
    )


def main_text(html: str) -> str:
    """The page's main content as text: tags dropped, spaces collapsed."""
    main = html.split('<main id="contenu"', 1)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).replace("&#39;", "'")


async def public_event(make: MakeEvent, **fields: Any) -> Event:
    return await make(
        title="Journées Nationales des CPTS 2026",
        kind="journees-nationales",
        venue=VENUE,
        address="Cours Charles Bricaud, 33300 Bordeaux",
        **fields,
    )


# The agenda


async def test_the_agenda_shows_published_public_events_to_come(
    client: TestClient, events: Events, make_event: MakeEvent, config: Config
) -> None:
    shown = await public_event(make_event, capacity=300)
    await make_event(title="Brouillon à ne pas montrer", audience="public", publish=False)
    await make_event(title="Déjà passé", audience="public", in_days=-3)
    cancelled = await make_event(title="Annulé depuis", audience="public")
    await events.cancel(cancelled.slug)
    await make_event(title="Réservé aux salariés et élus")  # the réunion flash's own audience

    response = await client.get("/evenements/")
    assert response.status == 200
    text = main_text(await response.text())
    assert "Journées Nationales des CPTS 2026" in text
    for hidden in ("Brouillon", "Déjà passé", "Annulé depuis", "Réservé aux salariés"):
        assert hidden not in text
    assert f'href="/evenements/{shown.slug}"' in await response.text()
    assert "Journées Nationales des CPTS" in text  # the kind's name
    assert "En présentiel" in text and VENUE in text and "33300 Bordeaux" in text
    assert "300 places restantes" in text
    start = shown.starts_at.astimezone(config.tz)
    assert f"{start.hour}h" in text and "Ouvert à tous" in text


async def test_the_agenda_is_linked_from_every_page(client: TestClient) -> None:
    html = await (await client.get("/")).text()
    assert '<a href="/evenements/">Événements</a>' in html
    html = await (await client.get("/evenements/")).text()
    assert '<a href="/evenements/" aria-current="page">Événements</a>' in html


async def test_a_full_event_says_so(
    client: TestClient, events: Events, make_event: MakeEvent, db: Database, config: Config
) -> None:
    event = await public_event(make_event, capacity=1)
    await events.register(event.slug, Person("a@cpts-exemple.fr"), source="cli", answers=ANSWERS)
    text = main_text(await (await client.get("/evenements/")).text())
    assert "Complet — liste d'attente" in text
    closed = await make_event(title="Sans liste", audience="public", capacity=1, waitlist="none")
    await events.register(closed.slug, Person("b@cpts-exemple.fr"), source="cli", answers=ANSWERS)
    html = await (await client.get(f"/evenements/{closed.slug}")).text()
    assert '<dd class="full">Complet</dd>' in html


async def test_members_only_events_are_listed_through_the_persons_signed_link(
    client: TestClient, make_event: MakeEvent, db: Database, config: Config
) -> None:
    await public_event(make_event)
    flash = await make_event(title="Réunion flash : le Ségur")  # salariés + élus
    await make_event(title="Rendez-vous des élus", kind="rdv-elus")
    salariee = await person(db, config, "salarie", True)

    anyone = main_text(await (await client.get("/evenements/")).text())
    assert "Réunion flash" not in anyone and "Rendez-vous des élus" not in anyone

    token = key(config, salariee)
    html = await (await client.get(f"/evenements/?cle={token}")).text()
    text = main_text(html)
    assert "Journées Nationales" in text and "Réunion flash : le Ségur" in text
    assert "Rendez-vous des élus" not in text  # not for a salariée
    assert "Réservé aux Collectifs des salariés et des élus" in text
    assert f'href="/evenements/{flash.slug}?cle={token}"' in html  # the key goes along

    no_longer_member = await person(db, config, "salarie", False, n=2)
    text = main_text(
        await (await client.get(f"/evenements/?cle={key(config, no_longer_member)}")).text()
    )
    assert "Réunion flash" not in text


# Registering through the form


async def test_anyone_registers_for_a_public_event(
    client: TestClient, make_event: MakeEvent, db: Database, config: Config
) -> None:
    event = await public_event(make_event)
    page = await client.get(f"/evenements/{event.slug}")
    html = await page.text()
    assert page.status == 200
    assert 'name="q-jours"' in html and 'type="radio"' in html  # a choice: radio buttons
    assert 'Régime alimentaire ou allergies à signaler <span class="hint">Facultatif' in html
    assert config.events.consent_text.replace("'", "&#39;") in html

    response = await client.post(f"/evenements/{event.slug}", data=form() | journees())
    text = main_text(await response.text())
    assert response.status == 200
    # The status goes by e-mail: the page says only that the request is received.
    assert "Demande reçue" in text and "la suite vous parvient par e-mail" in text
    assert ANONYMOUS in text and "Journées Nationales des CPTS 2026" in text
    assert "Inscription confirmée" not in text
    (row,) = await stored(db)
    assert (row["email"], row["status"], row["source"], row["messages"]) == (
        ANONYMOUS,
        "confirmed",
        "web",
        1,
    )
    assert row["consent_text"] == config.events.consent_text
    assert row["ip"] == "127.0.0.1"
    assert '"jours": "Les deux jours"' in row["answers"]
    who = await Subscribers(db, config).find(ANONYMOUS)
    assert who is not None and (who.first_name, who.organisation) == (
        "Camille",
        "CPTS de l'Estuaire",
    )
    assert await Subscribers(db, config).subscriptions(who.id) == {}  # no newsletter

    again = await client.post(f"/evenements/{event.slug}", data=form() | journees())
    assert again.status == 200
    assert main_text(await again.text()) == text  # anyone may type an address
    assert len(await stored(db)) == 1


async def test_the_form_says_what_is_wrong_and_keeps_what_was_typed(
    client: TestClient, make_event: MakeEvent, db: Database
) -> None:
    event = await public_event(make_event)
    data = form(email="camille@", prenom="", consentement="") | journees(jours="Le troisième jour")
    response = await client.post(f"/evenements/{event.slug}", data=data)
    html = await response.text()
    assert response.status == 400
    assert "Le formulaire contient 4 erreurs" in html
    assert 'href="#email"' in html and 'href="#prenom"' in html
    assert 'href="#q-jours-1"' in html and 'href="#consentement"' in html
    assert (
        "réponse « Le troisième jour » impossible à la question « Vous serez présent(e) »" in html
    )
    assert 'value="CPTS de l&#39;Estuaire"' in html and 'value="Infirmière"' in html
    assert await stored(db) == []

    missing = form() | journees(profession="")
    html = await (await client.post(f"/evenements/{event.slug}", data=missing)).text()
    assert "réponse manquante à la question « Votre profession »" in html
    assert 'href="#q-profession"' in html
    assert await stored(db) == []


async def test_a_full_event_puts_people_on_its_waiting_list(
    client: TestClient, make_event: MakeEvent, db: Database
) -> None:
    event = await make_event(title="Webinaire", audience="public", capacity=1)
    first = await client.post(f"/evenements/{event.slug}", data=form("a@exemple.fr"))
    second = await client.post(f"/evenements/{event.slug}", data=form("b@exemple.fr"))
    # A seat or the waiting list: the e-mail says which, the page the same to both.
    first_text, second_text = main_text(await first.text()), main_text(await second.text())
    assert "Demande reçue" in second_text and "liste d'attente" in second_text
    assert first_text.replace("a@exemple.fr", "b@exemple.fr") == second_text
    assert [(row["status"], row["messages"]) for row in await stored(db)] == [
        ("confirmed", 1),
        ("waitlisted", 1),
    ]


@pytest.mark.parametrize("audience", sorted(AUDIENCES))
async def test_members_only_events_take_the_eligible_through_their_signed_link(
    client: TestClient, make_event: MakeEvent, db: Database, config: Config, audience: str
) -> None:
    event = await make_event(title="Réservé", audience=audience)
    (role, member), (other_role, other_member) = AUDIENCES[audience]
    eligible = await person(db, config, role, member, n=1)
    ineligible = await person(db, config, other_role, other_member, n=2)

    # Without a key the event answers as an unknown one (saying where the person's link is),
    # and typing a member's address changes nothing.
    page = await client.get(f"/evenements/{event.slug}")
    unknown = await client.get("/evenements/n-existe-pas")
    assert page.status == unknown.status == 404
    text = main_text(await page.text())
    assert text == main_text(await unknown.text())
    assert "Mes inscriptions" in text and config.federation.contact_email in text
    response = await client.post(f"/evenements/{event.slug}", data=form(eligible.email))
    assert response.status == 404 and main_text(await response.text()) == text
    assert await stored(db) == []

    # The ineligible person is told why, politely, and nothing is stored.
    path = f"/evenements/{event.slug}?cle={key(config, ineligible)}"
    page = await client.get(path)
    assert page.status == 403
    assert "écrivez-nous" in main_text(await page.text())
    response = await client.post(path, data={"consentement": "oui"})
    assert response.status == 403
    assert "Cet événement est réservé" in main_text(await response.text())
    assert await stored(db) == []

    # The eligible person registers as themself: the address is shown, not typed.
    path = f"/evenements/{event.slug}?cle={key(config, eligible)}"
    html = await (await client.get(path)).text()
    assert eligible.email in main_text(html) and 'name="email"' not in html
    response = await client.post(path, data=form("quelquun.dautre@exemple.fr"))
    text = main_text(await response.text())
    assert response.status == 200, text
    assert "Inscription confirmée" in text and "Voir mes inscriptions" in text
    assert [(r["email"], r["status"]) for r in await stored(db)] == [(eligible.email, "confirmed")]

    again = await client.post(path, data={"consentement": "oui"})
    assert "Vous étiez déjà inscrit(e)." in main_text(await again.text())
    assert len(await stored(db)) == 1


async def test_a_known_person_keeps_their_record_when_typing_their_address(
    client: TestClient, make_event: MakeEvent, db: Database, config: Config
) -> None:
    event = await make_event(title="Café", audience="public")
    known = await person(db, config, "elu", True)
    data = form(known.email, prenom="Usurpateur", organisation="Ailleurs")
    assert (await client.post(f"/evenements/{event.slug}", data=data)).status == 200
    after = await Subscribers(db, config).get(known.id)
    assert after is not None and (after.first_name, after.organisation, after.member) == (
        known.first_name,
        known.organisation,
        True,
    )


async def test_closed_cancelled_draft_and_unknown_events(
    client: TestClient, events: Events, make_event: MakeEvent, db: Database
) -> None:
    soon = await make_event(title="Bientôt", audience="public")
    edited = await events.edit(soon.slug, EventChanges(opens_at=soon.starts_at - timedelta(days=2)))
    later = edited.event
    text = main_text(await (await client.get(f"/evenements/{later.slug}")).text())
    assert "Les inscriptions à « Bientôt » ouvrent le" in text and "M'inscrire" not in text
    response = await client.post(f"/evenements/{later.slug}", data=form())
    assert response.status == 409 and "ouvrent le" in await response.text()

    cancelled = await make_event(title="Annulé", audience="public")
    await events.cancel(cancelled.slug)
    text = main_text(await (await client.get(f"/evenements/{cancelled.slug}")).text())
    assert "« Annulé » est annulé" in text and "M'inscrire" not in text

    draft = await make_event(title="Brouillon", audience="public", publish=False)
    assert (await client.get(f"/evenements/{draft.slug}")).status == 404
    unknown = await client.get("/evenements/n-existe-pas")
    assert unknown.status == 404 and "Événement introuvable" in await unknown.text()
    assert await stored(db) == []


async def test_a_robot_filling_the_trap_registers_nobody(
    client: TestClient, make_event: MakeEvent, db: Database
) -> None:
    event = await make_event(title="Café", audience="public")
    response = await client.post(f"/evenements/{event.slug}", data=form(**{HONEYPOT: "http://x"}))
    assert response.status == 200
    assert await stored(db) == []


async def test_registrations_are_limited_per_address_and_hour(
    client: TestClient, make_event: MakeEvent, db: Database
) -> None:
    event = await make_event(title="Café", audience="public")
    for n in range(LIMIT):
        response = await client.post(f"/evenements/{event.slug}", data=form(f"p{n}@exemple.fr"))
        assert response.status == 200
    response = await client.post(f"/evenements/{event.slug}", data=form("trop@exemple.fr"))
    assert response.status == 429
    assert "Trop de demandes" in await response.text()
    assert len(await stored(db)) == LIMIT
    # The newsletter sign-up form keeps its own count.
    signup = await client.get("/abonnement")
    assert signup.status == 200
    count = await rows(db, "SELECT ip, count FROM signup_attempts")
    assert [row["ip"] for row in count] == ["evenements 127.0.0.1"]


# Mes inscriptions


async def test_mes_inscriptions_lists_and_cancels_and_the_seat_goes_to_the_next(
    client: TestClient, events: Events, make_event: MakeEvent, db: Database, config: Config
) -> None:
    event = await make_event(title="Réunion flash", audience="public", capacity=1)
    other = await make_event(title="Café de présentation", audience="public", in_days=20)
    me = await person(db, config, "salarie", True)
    await events.register(event.slug, Person(me.email), source="cli", answers=ANSWERS)
    await events.register(other.slug, Person(me.email), source="cli", answers=ANSWERS)
    await events.register(event.slug, Person("suivant@exemple.fr"), source="cli", answers=ANSWERS)
    path = f"/evenements/mes-inscriptions/{key(config, me)}"

    html = await (await client.get(path)).text()
    text = main_text(html)
    assert "Mes inscriptions" in text and me.email in text
    assert text.index("Réunion flash") < text.index("Café de présentation")  # by date
    assert text.count("Inscription confirmée") == 2
    assert html.count("Annuler mon inscription") == 2
    assert f'href="/evenements/{event.slug}?cle=' in html

    registration_id = (await events.registrations_of(me.id))[0][1].id
    response = await client.post(path, data={"inscription": str(registration_id)})
    text = main_text(await response.text())
    assert response.status == 200
    assert "Votre inscription à « Réunion flash » est annulée." in text
    assert "Inscription annulée" in text
    statuses = [(r["email"], r["status"]) for r in await stored(db)]
    assert statuses == [
        (me.email, "cancelled"),
        (me.email, "confirmed"),
        ("suivant@exemple.fr", "confirmed"),  # promoted at once (online event)
    ]

    # Someone else's registration cannot be cancelled from this page.
    theirs = (
        await events.registrations_of((await Subscribers(db, config).find("suivant@exemple.fr")).id)
    )[0][1]  # type: ignore[union-attr]
    response = await client.post(path, data={"inscription": str(theirs.id)})
    assert response.status == 404
    assert (await events.registration(theirs.id)).status == "confirmed"


async def test_mes_inscriptions_shows_the_waiting_list_position_and_an_offer(
    client: TestClient, events: Events, make_event: MakeEvent, db: Database, config: Config
) -> None:
    event = await public_event(make_event, capacity=1)  # seats offered for 72 hours
    await events.register(event.slug, Person("premier@exemple.fr"), source="cli", answers=ANSWERS)
    me = await person(db, config, "salarie", True)
    await events.register(event.slug, Person("deuxieme@exemple.fr"), source="cli", answers=ANSWERS)
    mine = (
        await events.register(event.slug, Person(me.email), source="cli", answers=ANSWERS)
    ).registration
    path = f"/evenements/mes-inscriptions/{key(config, me)}"
    text = main_text(await (await client.get(path)).text())
    assert "Sur liste d'attente : n° 2 sur la liste d'attente" in text

    await events.unregister(event.slug, "premier@exemple.fr")
    await events.unregister(event.slug, "deuxieme@exemple.fr")
    assert (await events.registration(mine.id)).status == "offered"
    html = await (await client.get(path)).text()
    assert "Place proposée, à accepter" in main_text(html)
    assert f'href="/evenements/offre/{key(config, me, "offer", str(mine.id))}"' in html


# Offered seats


async def offered(
    events: Events, make_event: MakeEvent, db: Database, config: Config
) -> tuple[Subscriber, int]:
    event = await public_event(make_event, capacity=1)
    await events.register(event.slug, Person("premier@exemple.fr"), source="cli", answers=ANSWERS)
    me = await person(db, config, "salarie", True)
    mine = (
        await events.register(event.slug, Person(me.email), source="cli", answers=ANSWERS)
    ).registration
    await events.unregister(event.slug, "premier@exemple.fr")
    return me, mine.id


async def test_an_offered_seat_is_accepted_by_the_button_not_by_opening_the_link(
    client: TestClient, events: Events, make_event: MakeEvent, db: Database, config: Config
) -> None:
    me, registration_id = await offered(events, make_event, db, config)
    path = f"/evenements/offre/{key(config, me, 'offer', str(registration_id))}"
    page = await client.get(path)
    text = main_text(await page.text())
    assert page.status == 200
    assert "Une place vous est proposée" in text and "réservée jusqu'au" in text
    assert (await events.registration(registration_id)).status == "offered"  # GET changes nothing

    response = await client.post(path)
    assert response.status == 200
    assert "Place confirmée" in main_text(await response.text())
    assert (await events.registration(registration_id)).status == "confirmed"
    assert "Place confirmée" in main_text(await (await client.get(path)).text())


async def test_an_expired_offer_is_refused_politely(
    client: TestClient, events: Events, make_event: MakeEvent, db: Database, config: Config
) -> None:
    me, registration_id = await offered(events, make_event, db, config)
    path = f"/evenements/offre/{key(config, me, 'offer', str(registration_id))}"
    page = await client.get(path)  # opened in time…
    assert "Accepter la place" in await page.text()
    await db.conn.execute(  # …and answered too late
        "UPDATE registrations SET offer_expires_at = '2020-01-01T00:00:00+00:00' WHERE id = ?",
        (registration_id,),
    )
    await db.conn.commit()
    response = await client.post(path)
    text = main_text(await response.text())
    assert response.status == 410
    assert "le délai pour l'accepter est passé" in text and "Accepter la place" not in text
    assert (await events.registration(registration_id)).status == "offered"


# Signed links


async def test_forged_altered_and_foreign_links_change_nothing_and_tell_nothing(
    client: TestClient, events: Events, make_event: MakeEvent, db: Database, config: Config
) -> None:
    me, registration_id = await offered(events, make_event, db, config)
    someone = await person(db, config, "salarie", True, n=7)
    good = key(config, me)
    altered = good[:-3] + ("AAA" if good[-3:] != "AAA" else "BBB")
    cases = [
        f"/evenements/mes-inscriptions/{altered}",
        f"/evenements/mes-inscriptions/{key(config, me, 'preferences')}",  # another purpose
        "/evenements/mes-inscriptions/pas-un-jeton",
        f"/evenements/?cle={altered}",
        f"/evenements/{(await events.registration(registration_id)).event_id}?cle={altered}",
        f"/evenements/offre/{key(config, someone, 'offer', str(registration_id))}",  # not theirs
        f"/evenements/offre/{key(config, me, 'offer', 'abc')}",
        f"/evenements/offre/{key(config, me, 'offer', '999999')}",
        f"/evenements/offre/{good}",  # a "registrations" token
    ]
    for path in cases:
        for method in ("GET",) if path.startswith("/evenements/?") else ("GET", "POST"):
            response = await client.request(method, path, data={"inscription": registration_id})
            html = await response.text()
            assert response.status == 404, (method, path)
            assert "Lien invalide" in html, path
            for leak in ("signature", "purpose", "Traceback", me.email, someone.email):
                assert leak not in html, (path, leak)
    assert (await events.registration(registration_id)).status == "offered"

    await Subscribers(db, config).forget(me.email)  # the person is gone: so is their link
    response = await client.get(f"/evenements/mes-inscriptions/{good}")
    assert response.status == 404


@pytest.mark.parametrize("how", ["forget", "events purge"])
async def test_the_links_of_an_erased_person_open_nothing_of_the_next_person(
    client: TestClient,
    events: Events,
    make_event: MakeEvent,
    db: Database,
    config: Config,
    how: str,
) -> None:
    """A non-member had "mes inscriptions" and an offered seat; they are erased (or the event's
    registrations purged), then a member comes: the old links neither show the member's
    registrations nor open the members-only events to whoever kept them."""
    flash = await make_event(title="Réunion flash : le Ségur")  # salariés + élus
    past = await public_event(make_event, capacity=1)
    await events.register(past.slug, Person("premier@exemple.fr"), source="cli", answers=ANSWERS)
    gone = await person(db, config, "partenaire", False, n=1)
    offer = (
        await events.register(past.slug, Person(gone.email), source="cli", answers=ANSWERS)
    ).registration
    await events.unregister(past.slug, "premier@exemple.fr")
    assert (await events.registration(offer.id)).status == "offered"
    old_keys = {
        "registrations": key(config, gone),
        "offer": key(config, gone, "offer", str(offer.id)),
    }
    if how == "forget":
        await Subscribers(db, config).forget(gone.email)
    else:
        later = datetime.now(UTC) + timedelta(days=31 * (config.events.purge_after_months + 1))
        assert (await events.purge(now=later)).people == 2
    assert await Subscribers(db, config).get(gone.id) is None

    newcomer = await person(db, config, "salarie", True, n=2)
    mine = (
        await events.register(flash.slug, Person(newcomer.email), source="cli", answers={})
    ).registration
    own = main_text(await (await client.get(f"/evenements/?cle={key(config, newcomer)}")).text())
    assert "Réunion flash" in own  # the newcomer's own link does open the members' events
    before = await rows(db, "SELECT id, status FROM registrations ORDER BY id")

    registrations, offered_seat = old_keys["registrations"], old_keys["offer"]
    for method, path in (
        ("GET", f"/evenements/mes-inscriptions/{registrations}"),
        ("POST", f"/evenements/mes-inscriptions/{registrations}"),
        ("GET", f"/evenements/?cle={registrations}"),
        ("GET", f"/evenements/{flash.slug}?cle={registrations}"),
        ("POST", f"/evenements/{flash.slug}?cle={registrations}"),
        ("GET", f"/evenements/offre/{offered_seat}"),
        ("POST", f"/evenements/offre/{offered_seat}"),
    ):
        response = await client.request(method, path, data={"inscription": str(mine.id)})
        html = await response.text()
        assert response.status == 404, (method, path)
        assert "Lien invalide" in html, (method, path)
        assert newcomer.email not in html and "Réunion flash" not in html, (method, path)

    assert await rows(db, "SELECT id, status FROM registrations ORDER BY id") == before
    assert (await events.registration(mine.id)).status == "confirmed"
    assert newcomer.id > gone.id  # and the newcomer did not get the erased person's id


async def test_no_page_ever_shows_the_video_link(
    client: TestClient, events: Events, make_event: MakeEvent, db: Database, config: Config
) -> None:
    online = await make_event(title="Webinaire", audience="public", capacity=1, video_url=VIDEO)
    reserved = await make_event(title="Flash", video_url=VIDEO)
    me = await person(db, config, "salarie", True)
    token = key(config, me)
    pages = [
        await client.get("/evenements/"),
        await client.get(f"/evenements/?cle={token}"),
        await client.get(f"/evenements/{online.slug}"),
        await client.get(f"/evenements/{reserved.slug}"),
        await client.get(f"/evenements/{reserved.slug}?cle={token}"),
        await client.post(f"/evenements/{online.slug}?cle={token}", data={"consentement": "oui"}),
        await client.post(f"/evenements/{online.slug}", data=form()),  # waiting list
        await client.post(f"/evenements/{reserved.slug}?cle={token}", data={"consentement": "oui"}),
        await client.get(f"/evenements/mes-inscriptions/{token}"),
    ]
    await events.unregister(online.slug, me.email)
    (_, waiting), *_ = await events.registrations_of(
        (await Subscribers(db, config).find(ANONYMOUS)).id
    )  # type: ignore[union-attr]
    assert waiting.status == "confirmed"
    texts = [await page.text() for page in pages]
    assert "En ligne : le lien de connexion est envoyé par e-mail" in texts[0]
    for html in texts:
        assert VIDEO not in html and "salle-secrete" not in html


# The calendar feed


async def test_the_calendar_feed_holds_the_published_public_events_only(
    client: TestClient, events: Events, make_event: MakeEvent
) -> None:
    shown = await public_event(make_event)
    online = await make_event(title="Webinaire ouvert", audience="public", video_url=VIDEO)
    await make_event(title="Brouillon", audience="public", publish=False)
    await make_event(title="Réservé", video_url=VIDEO)
    cancelled = await make_event(title="Annulé", audience="public")
    await events.cancel(cancelled.slug)

    response = await client.get("/evenements.ics")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    body = await response.read()
    assert VIDEO.encode() not in body
    calendar = Calendar.from_ical(body)
    entries = {str(entry["summary"]): entry for entry in calendar.walk("VEVENT")}
    assert sorted(entries) == sorted([shown.title, online.title])
    assert str(entries[shown.title]["uid"]) == shown.ics_uid
    assert entries[shown.title].decoded("dtstart") == shown.starts_at
    assert str(entries[online.title]["location"]) == "En ligne"
    html = await (await client.get("/evenements/")).text()
    assert 'href="/evenements.ics"' in html


# The e-mails leave at once


async def test_registering_cancelling_and_accepting_wake_the_mail_delivery(
    config: Config, db: Database, events: Events, make_event: MakeEvent
) -> None:
    """The process's `HubServices` carries the mail worker's wake-up; each `wait(0)` says
    whether the service notified it since, and consumes the notification."""
    event = await public_event(make_event, capacity=1)
    me = await person(db, config, "salarie", True)
    async with TestClient(TestServer(create_app(config))) as client:
        wakeup = client.app[SERVICES_KEY].mail_wakeup
        refused = await client.post(f"/evenements/{event.slug}", data=form(prenom=""))
        assert refused.status == 400 and not await wakeup.wait(0)  # nothing to tell anyone

        data = form() | journees()
        assert (await client.post(f"/evenements/{event.slug}", data=data)).status == 200
        assert await wakeup.wait(0)
        waiting = await client.post(f"/evenements/{event.slug}?cle={key(config, me)}", data=data)
        assert "liste d'attente" in main_text(await waiting.text()) and await wakeup.wait(0)

        assert (await client.post(f"/evenements/{event.slug}", data=data)).status == 200
        assert not await wakeup.wait(0)  # registered already: no new e-mail

        first = await Subscribers(db, config).find(ANONYMOUS)
        assert first is not None
        ((_, seat),) = await events.registrations_of(first.id)
        cancel = f"/evenements/mes-inscriptions/{key(config, first)}"
        assert (await client.post(cancel, data={"inscription": str(seat.id)})).status == 200
        assert await wakeup.wait(0)

        ((_, offer),) = await events.registrations_of(me.id)
        assert offer.status == "offered"
        accept = f"/evenements/offre/{key(config, me, 'offer', str(offer.id))}"
        assert (await client.get(accept)).status == 200
        assert not await wakeup.wait(0)  # opening the link changes nothing
        assert (await client.post(accept)).status == 200
        assert await wakeup.wait(0)


# What the anonymous form tells about others: nothing


async def test_the_form_answers_the_same_whoever_the_address_belongs_to(
    client: TestClient, events: Events, make_event: MakeEvent, db: Database, config: Config
) -> None:
    event = await make_event(title="Café des CPTS", audience="public", capacity=1)
    await events.register(event.slug, Person("inscrite@exemple.fr"), source="cli")
    await events.register(event.slug, Person("en-attente@exemple.fr"), source="cli")
    left = await events.register(event.slug, Person("annulee@exemple.fr"), source="cli")
    await events.cancel_registration(left.registration.id)
    await Subscribers(db, config).forget("effacee@exemple.fr")
    before = await stored(db)

    answers = {}
    for who in ("nouvelle", "inscrite", "en-attente", "annulee", "effacee"):
        address = f"{who}@exemple.fr"
        response = await client.post(f"/evenements/{event.slug}", data=form(address))
        html = await response.text()
        answers[who] = (response.status, main_text(html).replace(address, "ADRESSE"))
    assert len(set(answers.values())) == 1, answers
    status, text = answers["nouvelle"]
    assert status == 200 and "Demande reçue" in text and "par e-mail" in text

    after = await stored(db)
    assert after[: len(before)] == before  # nothing changed, the cancelled one not renewed
    assert [(r["email"], r["status"]) for r in after[len(before) :]] == [
        ("nouvelle@exemple.fr", "waitlisted")
    ]
    assert await Subscribers(db, config).find("effacee@exemple.fr") is None
    dump = "\n".join([line async for line in db.conn.iterdump()])
    assert "effacee@exemple.fr" not in dump  # nothing of the erased address in clear

    # The person's own link renews the cancelled registration, and tells them (a new hour of
    # requests: this test used the five this module allows).
    await db.conn.execute("DELETE FROM signup_attempts")
    await db.conn.commit()
    cancelled = await Subscribers(db, config).find("annulee@exemple.fr")
    assert cancelled is not None
    own = await client.post(
        f"/evenements/{event.slug}?cle={key(config, cancelled)}", data={"consentement": "oui"}
    )
    assert own.status == 200 and "Vous êtes sur la liste d'attente" in main_text(await own.text())


async def test_a_bounced_address_typed_in_the_form_is_not_stored(
    client: TestClient, make_event: MakeEvent, db: Database, config: Config
) -> None:
    event = await make_event(title="Café des CPTS", audience="public")
    await Subscribers(db, config).suppress("rejet@exemple.fr", "bounce")
    response = await client.post(f"/evenements/{event.slug}", data=form("rejet@exemple.fr"))
    assert response.status == 200 and "Demande reçue" in main_text(await response.text())
    assert await Subscribers(db, config).find("rejet@exemple.fr") is None
    assert await stored(db) == []


async def test_events_are_not_found_by_their_number(
    client: TestClient, make_event: MakeEvent, config: Config, db: Database
) -> None:
    public = await make_event(title="Café des CPTS", audience="public")
    reserved = await make_event(title="Réunion flash")  # salariés + élus
    unknown = await client.get("/evenements/n-existe-pas")
    text = main_text(await unknown.text())
    for event in (public, reserved):
        response = await client.get(f"/evenements/{event.id}")
        assert response.status == 404 and main_text(await response.text()) == text
    # Even with the person's link: the pages name events by slug.
    salariee = await person(db, config, "salarie", True)
    response = await client.get(f"/evenements/{reserved.id}?cle={key(config, salariee)}")
    assert response.status == 404
    assert (
        await client.get(f"/evenements/{reserved.slug}?cle={key(config, salariee)}")
    ).status == 200
