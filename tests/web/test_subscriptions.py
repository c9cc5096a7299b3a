"""The subscription pages over real HTTP on loopback, a real SQLite file and the outbox backend:
the e-mails they send are read back from the .eml files the outbox writes."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiosmtpd.smtp import SMTP, Envelope, Session

from hub import notices
from hub.config import Config, SmtpConfig
from hub.db import Database
from hub.subscribers.service import ROLES, Consent, Person, Subscribers
from hub.subscribers.signup import purge_stale_signups
from hub.timeutil import to_utc_text
from hub.tokens import TokenSigner
from hub.web import SERVICES_KEY
from hub.web.app import create_app
from hub.web.subscriptions import (
    HONEYPOT,
    NOTICE_COOLDOWN,
    ROLE_CHOICES,
)
from hub.web.tasks import BACKGROUND_TASKS
from tests.support.configs import unreachable_smtp_config

LIMIT = 4
IMPORT = Consent(source="import", text="Import du fichier des adhérents", version="i1")
WEB_LATER = Consent(source="web", text="J'accepte", version="2026-12", ip="198.51.100.9")


@pytest.fixture
def config_path(config_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(
        text.replace("signups_per_ip_per_hour = 10", f"signups_per_ip_per_hour = {LIMIT}"),
        encoding="utf-8",
    )
    return config_path


@pytest.fixture
async def client(config: Config, db: Database) -> AsyncIterator[TestClient]:
    assert config.subscriptions.signups_per_ip_per_hour == LIMIT
    app = create_app(config)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.fixture
def service(db: Database, config: Config) -> Subscribers:
    return Subscribers(db, config)


async def settled(client: TestClient) -> None:
    """Wait for the e-mails the pages send after answering."""
    await client.app[BACKGROUND_TASKS].drain(grace_seconds=60)


def outbox(config: Config) -> list[EmailMessage]:
    folder = config.data_dir / "outbox" / "transactionnel"
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [BytesParser(policy=policy.default).parsebytes(f.read_bytes()) for f in files]  # type: ignore[misc]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def link(message: EmailMessage, path: str) -> str:
    """The path of the first link to `path` in the message's text part."""
    found = re.search(rf"https?://\S+{path}\S+", text_of(message))
    assert found, f"no {path} link in:\n{text_of(message)}"
    return urlsplit(found[0]).path


def form(email: str = "marie.curie@cpts-exemple.fr", **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "email": email,
        "prenom": "Marie",
        "nom": "Curie",
        "organisation": "CPTS du Val",
        "role": "coordinateur",
        "listes": ["bimestrielle"],
        "consentement": "oui",
        HONEYPOT: "",
    }
    values.update(changes)
    return values


def encoded(values: dict[str, Any]) -> list[tuple[str, str]]:
    """Form fields as a browser sends them: one pair per checked box."""
    pairs = []
    for name, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, item))
    return pairs


async def post_form(client: TestClient, values: dict[str, Any]) -> tuple[int, str]:
    """Send the form, and wait for the e-mail it sends after answering."""
    response = await client.post("/abonnement", data=encoded(values))
    answer = response.status, await response.text()
    await settled(client)
    return answer


async def snapshot(db: Database) -> list[tuple[Any, ...]]:
    found = []
    for table in ("subscribers", "subscriptions", "consents", "suppressions"):
        async with db.conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2") as cursor:
            found += [(table, *tuple(row)) for row in await cursor.fetchall()]
    return found


async def consents(db: Database) -> list[tuple[Any, ...]]:
    async with db.conn.execute(
        "SELECT list, action, source, consent_text, consent_version, ip FROM consents ORDER BY id"
    ) as cursor:
        return [tuple(row) for row in await cursor.fetchall()]


async def member(service: Subscribers, email: str, lists: list[str], *, is_member: bool) -> int:
    person = Person(email=email, first_name="Paul", member=is_member)
    await service.subscribe(person, lists, IMPORT, confirmed=True)
    found = await service.find(email)
    assert found is not None
    return found.id


def nonce_of(config: Config, subscriber_id: int) -> int:
    """The person's token nonce as stored (0 for nobody), read as the pages would."""
    with closing(sqlite3.connect(config.database_path)) as conn:
        row = conn.execute(
            "SELECT token_nonce FROM subscribers WHERE id = ?", (subscriber_id,)
        ).fetchone()
    return row[0] if row else 0


def token_path(config: Config, purpose: str, subscriber_id: int, list_key: str = "*") -> str:
    prefix = {"confirm": "/confirmer/", "preferences": "/preferences/", "unsubscribe": "/u/"}
    nonce = nonce_of(config, subscriber_id)
    return prefix[purpose] + TokenSigner.for_config(config).make(
        purpose, subscriber_id, list_key, nonce=nonce
    )


# --- The form ---------------------------------------------------------------------------------


async def test_the_form_shows_every_list_the_consent_and_a_hidden_trap(
    client: TestClient, config: Config
) -> None:
    response = await client.get("/abonnement")
    assert response.status == 200
    page = await response.text()
    assert '<form class="card form-card" method="post" action="/abonnement"' in page
    for key, item in config.lists.items():
        assert f'value="{key}"' in page
        assert item.name.replace("'", "&#39;") in page
    assert page.count("Réservée aux adhérents") == 3
    assert config.subscriptions.consent_text.replace("'", "&#39;") in page
    assert f'name="{HONEYPOT}"' in page and 'class="hp" aria-hidden="true"' in page
    for key in ROLES:
        assert f'<option value="{key}"' in page


def test_every_role_has_a_french_label() -> None:
    assert set(ROLE_CHOICES) == set(ROLES)


async def test_a_sign_up_stores_a_pending_subscription_with_its_proof_and_mails_a_link(
    client: TestClient, config: Config, db: Database, service: Subscribers
) -> None:
    status, page = await post_form(client, form(listes=["bimestrielle"]))

    assert status == 200
    assert "Vérifiez votre boîte de réception" in page
    person = await service.find("marie.curie@cpts-exemple.fr")
    assert person is not None
    assert (person.first_name, person.last_name, person.organisation, person.role) == (
        "Marie",
        "Curie",
        "CPTS du Val",
        "coordinateur",
    )
    assert await service.subscriptions(person.id) == {"bimestrielle": "pending"}
    assert await consents(db) == [
        (
            "bimestrielle",
            "subscribe",
            "web",
            config.subscriptions.consent_text,
            config.subscriptions.consent_version,
            "127.0.0.1",
        )
    ]
    (message,) = outbox(config)
    assert message["To"] == "marie.curie@cpts-exemple.fr"  # the name typed is nobody's word
    assert message["Subject"] == "Confirmez votre inscription"
    assert "List-Unsubscribe" not in message
    assert link(message, "/confirmer/").startswith("/confirmer/")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "marie.curie.cpts-exemple.fr"}, "email", "il manque le @"),
        ({"email": "  "}, "email", "indiquez votre adresse e-mail"),
        ({"email": "José@cpts-exemple.fr"}, "email", "pas de lettre accentuée (é, ç…) avant le @"),
        ({"prenom": ""}, "prenom", "indiquez votre prénom"),
        ({"nom": "x" * 101}, "nom", "le nom est trop long : 100 caractères au plus"),
        ({"role": "directeur"}, "role", "choisissez votre fonction dans la liste proposée"),
        ({"listes": []}, "listes", "cochez au moins une lettre"),
        ({"listes": ["inconnue"]}, "listes", "cochez au moins une lettre"),
        ({"consentement": ""}, "consentement", "sans votre accord, nous ne pouvons pas"),
    ],
)
async def test_mistakes_show_the_form_again_with_a_french_message_and_the_values_kept(
    client: TestClient,
    config: Config,
    db: Database,
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    values = form(organisation="CPTS <Sud> & Co", **changes)
    status, page = await post_form(client, values)

    assert status == 400
    assert f'id="{field}-erreur">Erreur : ' in page
    assert message in page.replace("&#39;", "'")
    assert page.count('class="field-error"') == 1  # that field only
    assert 'value="CPTS &lt;Sud&gt; &amp; Co"' in page  # kept, escaped
    if field != "email":
        assert f'value="{values["email"].strip()}"' in page
    if field not in ("listes", "consentement"):
        assert 'value="bimestrielle" checked' in page
        assert 'id="consentement" name="consentement" value="oui" checked' in page
    assert await snapshot(db) == []
    assert outbox(config) == []


async def test_a_filled_trap_pretends_success_and_stores_nothing(
    client: TestClient, config: Config, db: Database
) -> None:
    status, page = await post_form(client, form(**{HONEYPOT: "https://spam.example"}))
    assert status == 200
    assert "Vérifiez votre boîte de réception" in page
    assert await snapshot(db) == []
    assert outbox(config) == []


async def test_sign_ups_are_limited_per_address_and_hour(
    client: TestClient, config: Config, service: Subscribers
) -> None:
    for i in range(LIMIT):
        status, _ = await post_form(client, form(f"personne{i}@cpts-exemple.fr"))
        assert status == 200
    status, page = await post_form(client, form("une.de.trop@cpts-exemple.fr"))

    assert status == 429
    assert "Trop de demandes" in page and "Réessayez dans une heure" in page
    assert await service.find("une.de.trop@cpts-exemple.fr") is None
    assert len(outbox(config)) == LIMIT


async def test_a_forwarded_for_header_does_not_escape_the_limit(
    client: TestClient, config: Config, db: Database
) -> None:
    """The hub is reached directly: X-Forwarded-For is anyone's to write, so it is not read
    (README: behind a proxy the limit is the proxy's), neither for the limit nor the proof."""
    for i in range(LIMIT + 1):
        response = await client.post(
            "/abonnement",
            data=encoded(form(f"personne{i}@cpts-exemple.fr")),
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
        )
    assert response.status == 429
    assert {row[5] for row in await consents(db)} == {"127.0.0.1"}


async def test_members_only_lists_are_refused_politely_to_others(
    client: TestClient, config: Config, service: Subscribers
) -> None:
    status, page = await post_form(client, form(listes=["bimestrielle", "adherents-flash"]))

    assert status == 200
    assert "Vérifiez votre boîte de réception" in page
    person = await service.find("marie.curie@cpts-exemple.fr")
    assert person is not None
    assert await service.subscriptions(person.id) == {"bimestrielle": "pending"}
    (message,) = outbox(config)
    text = text_of(message)
    assert "- La lettre bimestrielle" in text
    assert "Cette lettre est réservée aux contacts des CPTS adhérentes" in text
    assert "- Flash FCPTS" in text
    assert config.federation.contact_email in text


async def test_only_members_only_lists_for_a_stranger_store_nothing_but_explain(
    client: TestClient, config: Config, db: Database
) -> None:
    status, _ = await post_form(client, form(listes=["adherents-condense"]))
    assert status == 200
    assert await snapshot(db) == []
    (message,) = outbox(config)
    assert message["Subject"] == "Votre demande d'inscription aux lettres de la FCPTS"
    assert "/confirmer/" not in text_of(message)
    assert "Le Condensé de la Fédé" in text_of(message)


async def test_a_member_contact_may_join_a_members_only_list(
    client: TestClient, config: Config, service: Subscribers
) -> None:
    subscriber_id = await member(
        service, "marie.curie@cpts-exemple.fr", ["adherents-essentiel"], is_member=True
    )
    await post_form(client, form(listes=["adherents-flash"]))
    assert (await service.subscriptions(subscriber_id))["adherents-flash"] == "pending"
    (message,) = outbox(config)
    assert "réservée aux contacts" not in text_of(message)


async def test_the_answer_page_is_the_same_whoever_the_address_is(
    client: TestClient, config: Config, service: Subscribers
) -> None:
    await member(service, "deja@cpts-exemple.fr", ["bimestrielle"], is_member=False)
    await service.subscribe(
        Person(email="attente@cpts-exemple.fr"), ["bimestrielle"], IMPORT, confirmed=False
    )
    await service.suppress("bloque@cpts-exemple.fr", "bounce", "550")
    pages = set()
    for who in ("nouveau", "deja", "attente", "bloque"):
        status, page = await post_form(client, form(f"{who}@cpts-exemple.fr"))
        assert status == 200
        pages.add(page.replace(f"{who}@", "X@"))
    assert len(pages) == 1

    sent = {str(m["To"].addresses[0].addr_spec): m for m in outbox(config)}
    assert set(sent) == {
        "nouveau@cpts-exemple.fr",
        "deja@cpts-exemple.fr",
        "attente@cpts-exemple.fr",
    }  # nothing to the suppressed address
    assert sent["attente@cpts-exemple.fr"]["Subject"] == "Confirmez votre inscription"
    already = sent["deja@cpts-exemple.fr"]
    assert already["Subject"] == "Votre demande d'inscription aux lettres de la FCPTS"
    assert "Vous êtes déjà inscrit(e) à cette lettre" in text_of(already)
    assert link(already, "/preferences/").startswith("/preferences/")
    assert "/confirmer/" not in text_of(already)
    assert await service.find("bloque@cpts-exemple.fr") is None


async def test_no_mail_when_every_chosen_list_ended_in_a_bounce(
    client: TestClient, config: Config, db: Database, service: Subscribers
) -> None:
    """A list left "bounced" while the address is no longer suppressed (lifted by hand)."""
    subscriber_id = await member(
        service, "rebond@cpts-exemple.fr", ["bimestrielle"], is_member=False
    )
    await db.conn.execute("UPDATE subscriptions SET status = 'bounced'")
    await db.conn.commit()
    status, page = await post_form(client, form("rebond@cpts-exemple.fr"))
    assert status == 200 and "Vérifiez votre boîte de réception" in page
    assert await service.subscriptions(subscriber_id) == {"bimestrielle": "bounced"}
    assert outbox(config) == []


async def test_the_form_cannot_rewrite_the_name_of_a_confirmed_subscriber(
    client: TestClient, config: Config, service: Subscribers
) -> None:
    subscriber_id = await member(
        service, "marie.curie@cpts-exemple.fr", ["bimestrielle"], is_member=False
    )
    await post_form(client, form(prenom="Usurpateur", listes=["bimestrielle"]))
    person = await service.get(subscriber_id)
    assert person is not None and person.first_name == "Paul"
    (message,) = outbox(config)
    assert "Bonjour," in text_of(message)  # generic: neither the stored nor the typed name
    assert "Usurpateur" not in text_of(message) and "Paul" not in text_of(message)


async def test_the_form_cannot_rewrite_the_name_of_someone_waiting_for_confirmation(
    client: TestClient, config: Config, db: Database, service: Subscribers
) -> None:
    await post_form(client, form(listes=["bimestrielle"]))
    await age_notices(db)  # past the cooldown: the second request is mailed too

    await post_form(client, form(prenom="Usurpateur", nom="X", organisation="Y"))

    person = await service.find("marie.curie@cpts-exemple.fr")
    assert person is not None
    assert (person.first_name, person.last_name, person.organisation) == (
        "Marie",
        "Curie",
        "CPTS du Val",
    )
    assert ["Bonjour," in text_of(m) for m in outbox(config)] == [True, True]
    assert not any("Usurpateur" in text_of(m) for m in outbox(config))


async def age_notices(db: Database) -> None:
    """Date the last sign-up e-mails back past the cooldown."""
    older = to_utc_text(datetime.now(UTC) - NOTICE_COOLDOWN - timedelta(seconds=1))
    await db.conn.execute("UPDATE signup_notices SET sent_at = ?", (older,))
    await db.conn.commit()


async def test_one_sign_up_e_mail_per_address_and_cooldown_with_the_same_page(
    client: TestClient, config: Config, db: Database, service: Subscribers
) -> None:
    first = await post_form(client, form(listes=["bimestrielle"]))
    again = await post_form(client, form(email="Marie.Curie@CPTS-exemple.fr"))
    other = await post_form(client, form(email="pierre@cpts-exemple.fr"))

    assert first[0] == again[0] == other[0] == 200
    assert first[1] == again[1].replace(
        "Marie.Curie@CPTS-exemple.fr", "marie.curie@cpts-exemple.fr"
    )
    assert "Un seul e-mail part vers une même adresse toutes les 10 minutes" in first[1]
    assert sorted(str(m["To"].addresses[0].addr_spec) for m in outbox(config)) == [
        "marie.curie@cpts-exemple.fr",
        "pierre@cpts-exemple.fr",
    ]
    # The request itself is recorded all the same (a pending subscription, once).
    person = await service.find("marie.curie@cpts-exemple.fr")
    assert person is not None
    assert await service.subscriptions(person.id) == {"bimestrielle": "pending"}

    await age_notices(db)
    await post_form(client, form())
    assert len(outbox(config)) == 3


async def test_the_daily_job_purges_sign_ups_never_confirmed(
    client: TestClient, config: Config, db: Database, service: Subscribers
) -> None:
    await post_form(client, form())
    days = 2 * config.subscriptions.confirm_days
    stale = to_utc_text(datetime.now(UTC) - timedelta(days=days, seconds=1))
    await db.conn.execute("UPDATE subscriptions SET created_at = ?", (stale,))
    await db.conn.commit()

    await purge_stale_signups(client.app[SERVICES_KEY].subscribers)

    assert await service.find("marie.curie@cpts-exemple.fr") is None


# --- Confirmation -----------------------------------------------------------------------------


async def test_the_mailed_link_confirms_every_pending_list_once(
    client: TestClient, config: Config, db: Database, service: Subscribers
) -> None:
    await post_form(client, form(listes=["bimestrielle"]))
    confirm_path = link(outbox(config)[0], "/confirmer/")

    response = await client.get(confirm_path)

    assert response.status == 200
    page = await response.text()
    assert "Inscription confirmée" in page and "La lettre bimestrielle" in page
    assert 'href="/preferences/' in page
    person = await service.find("marie.curie@cpts-exemple.fr")
    assert person is not None
    assert await service.subscriptions(person.id) == {"bimestrielle": "confirmed"}
    recorded = await consents(db)
    assert [row[:3] for row in recorded] == [
        ("bimestrielle", "subscribe", "web"),
        ("bimestrielle", "confirm", "web"),
    ]
    assert recorded[1][3:] == (
        config.subscriptions.consent_text,
        config.subscriptions.consent_version,
        "127.0.0.1",
    )

    again = await client.get(confirm_path)  # a mail scanner got there first: same answer
    assert again.status == 200 and "Inscription confirmée" in await again.text()
    assert len(await consents(db)) == 2


async def test_a_link_confirms_only_the_lists_its_mail_was_about(
    client: TestClient, config: Config, db: Database, service: Subscribers
) -> None:
    """Someone else typing the address later cannot get another list confirmed by the link
    its owner receives for their own request."""
    await service.save_person(Person("marie.curie@cpts-exemple.fr", member=True))
    await post_form(client, form(listes=["bimestrielle"]))
    first_link = link(outbox(config)[0], "/confirmer/")
    person = await service.find("marie.curie@cpts-exemple.fr")
    assert person is not None
    await service.subscribe(
        Person(person.email), ["adherents-flash"], WEB_LATER, confirmed=False
    )  # a later request, by someone else

    response = await client.get(first_link)

    assert response.status == 200 and "Inscription confirmée" in await response.text()
    assert await service.subscriptions(person.id) == {
        "bimestrielle": "confirmed",
        "adherents-flash": "pending",
    }


async def test_a_former_all_lists_link_confirms_what_was_pending_when_it_was_made(
    client: TestClient, config: Config, db: Database, service: Subscribers
) -> None:
    """Links mailed before confirmation links named their lists say "*": they confirm only the
    subscriptions requested before they were made (their expiry minus their validity)."""
    await post_form(client, form(listes=["bimestrielle"]))
    person = await service.find("marie.curie@cpts-exemple.fr")
    assert person is not None
    ttl = config.subscriptions.confirm_days * 86_400
    signer = TokenSigner.for_config(config)
    # Made an hour before the sign-up: it cannot confirm it.
    older = signer.make("confirm", person.id, "*", nonce=person.token_nonce, ttl_seconds=ttl - 3600)
    response = await client.get(f"/confirmer/{older}")
    assert "Aucune inscription à confirmer" in await response.text()
    assert await service.subscriptions(person.id) == {"bimestrielle": "pending"}

    await client.get(signer.path_for("confirm", person, ttl_seconds=ttl))
    assert await service.subscriptions(person.id) == {"bimestrielle": "confirmed"}


async def test_an_expired_confirmation_link_says_so_and_confirms_nothing(
    client: TestClient, config: Config, db: Database, service: Subscribers
) -> None:
    await post_form(client, form())
    person = await service.find("marie.curie@cpts-exemple.fr")
    assert person is not None
    expired = TokenSigner.for_config(config).make(
        "confirm", person.id, "*", nonce=person.token_nonce, ttl_seconds=-1
    )
    before = await snapshot(db)

    response = await client.get(f"/confirmer/{expired}")

    assert response.status == 410
    page = await response.text()
    assert "Lien expiré" in page and 'href="/abonnement"' in page
    assert await snapshot(db) == before


def _flip(token: str, index: int, bits: int = 1) -> str:
    """The token with bits of one byte changed (it is URL-safe base64 of payload then
    signature)."""
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[index] ^= bits
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("purpose", "method"),
    [
        ("confirm", "GET"),
        ("preferences", "GET"),
        ("preferences", "POST"),
        ("unsubscribe", "GET"),
        ("unsubscribe", "POST"),
    ],
)
@pytest.mark.parametrize(
    "case", ["altered payload", "altered signature", "wrong purpose", "unknown person", "junk"]
)
async def test_bad_links_get_a_french_404_and_change_nothing(
    client: TestClient,
    config: Config,
    db: Database,
    service: Subscribers,
    purpose: str,
    method: str,
    case: str,
) -> None:
    first = await member(service, "un@cpts-exemple.fr", ["bimestrielle"], is_member=False)
    second = await member(service, "deux@cpts-exemple.fr", ["bimestrielle"], is_member=False)
    await service.subscribe(
        Person(email="un@cpts-exemple.fr"), ["adherents-flash"], IMPORT, confirmed=False
    )
    good = token_path(config, purpose, first, "*")
    prefix, token = good.rsplit("/", 1)
    other_purpose = "preferences" if purpose != "preferences" else "confirm"
    path = {
        # Byte 8 ends the subscriber id: the altered token names `second`.
        "altered payload": f"{prefix}/{_flip(token, 8, first ^ second)}",
        "altered signature": f"{prefix}/{_flip(token, -1)}",
        "wrong purpose": prefix + "/" + token_path(config, other_purpose, first).rsplit("/")[-1],
        "unknown person": token_path(config, purpose, 9999),
        "junk": f"{prefix}/pas-un-jeton",
    }[case]
    before = await snapshot(db)

    data = {"List-Unsubscribe": "One-Click", "action": "tout"} if method == "POST" else None
    response = await client.request(method, path, data=data)

    assert response.status == 404
    assert "Lien invalide" in await response.text()
    assert await snapshot(db) == before
    assert outbox(config) == []


async def test_a_link_of_an_erased_person_is_a_404(
    client: TestClient, config: Config, service: Subscribers
) -> None:
    subscriber_id = await member(
        service, "efface@cpts-exemple.fr", ["bimestrielle"], is_member=False
    )
    path = token_path(config, "preferences", subscriber_id)
    await service.forget("efface@cpts-exemple.fr")
    response = await client.get(path)
    assert response.status == 404


@pytest.mark.parametrize("how", ["forget", "stale sign-up purge"])
async def test_the_links_of_an_erased_person_open_nothing_of_the_next_person(
    client: TestClient, config: Config, db: Database, service: Subscribers, how: str
) -> None:
    """The newest person goes (erased, or an unconfirmed sign-up purged), someone new comes:
    the links mailed to the first show nothing of the newcomer and change nothing."""
    await post_form(client, form("partie@cpts-exemple.fr"))
    await settled(client)
    (mail,) = outbox(config)
    gone = await service.find("partie@cpts-exemple.fr")
    assert gone is not None
    old_links = {
        "confirm": link(mail, "/confirmer/"),
        "preferences": link(mail, "/preferences/"),
        "unsubscribe": notices.signed_path(config, "unsubscribe", gone, "bimestrielle"),
    }
    if how == "forget":
        await service.forget(gone.email)
    else:
        await db.conn.execute(
            "UPDATE subscriptions SET created_at = ?",
            (to_utc_text(datetime.now(UTC) - timedelta(days=365)),),
        )
        await db.conn.commit()
        await purge_stale_signups(client.app[SERVICES_KEY].subscribers)
    assert await service.get(gone.id) is None
    newcomer_id = await member(
        service, "nouvelle@cpts-exemple.fr", ["bimestrielle"], is_member=True
    )
    before, mails = await snapshot(db), len(outbox(config))

    for purpose, path in old_links.items():
        for method in ("GET",) if purpose == "confirm" else ("GET", "POST"):
            data = {"List-Unsubscribe": "One-Click", "action": "tout"} if method == "POST" else None
            response = await client.request(method, path, data=data)
            html = await response.text()
            assert response.status == 404, (purpose, method)
            assert "Lien invalide" in html
            assert "nouvelle@cpts-exemple.fr" not in html and "Paul" not in html

    await settled(client)
    assert await snapshot(db) == before
    assert len(outbox(config)) == mails
    assert await service.subscriptions(newcomer_id) == {"bimestrielle": "confirmed"}
    assert newcomer_id > gone.id  # and the newcomer did not get the erased person's id


# --- Unsubscription ---------------------------------------------------------------------------


async def test_opening_the_unsubscribe_link_changes_nothing(
    client: TestClient, config: Config, db: Database, service: Subscribers
) -> None:
    subscriber_id = await member(
        service, "lecteur@cpts-exemple.fr", ["bimestrielle"], is_member=False
    )
    path = token_path(config, "unsubscribe", subscriber_id, "bimestrielle")
    before = await snapshot(db)

    response = await client.get(path)

    assert response.status == 200
    page = await response.text()
    assert "La lettre bimestrielle" in page
    assert f'<form method="post" action="{path}">' in page
    assert "Confirmer ma désinscription" in page
    assert await snapshot(db) == before
    assert outbox(config) == []


async def test_one_click_unsubscription_ends_that_list_only(
    client: TestClient, config: Config, db: Database, service: Subscribers
) -> None:
    subscriber_id = await member(
        service, "lecteur@cpts-exemple.fr", ["bimestrielle", "adherents-flash"], is_member=True
    )
    path = token_path(config, "unsubscribe", subscriber_id, "bimestrielle")

    # As a mail client sends it (RFC 8058): form-encoded, no cookie, no page before.
    response = await client.post(
        path,
        data="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status == 200
    assert "Vous êtes désinscrit(e)" in await response.text()
    assert await service.subscriptions(subscriber_id) == {
        "bimestrielle": "unsubscribed",
        "adherents-flash": "confirmed",
    }
    assert (await consents(db))[-1][:3] == ("bimestrielle", "unsubscribe", "web")
    await settled(client)
    (notice,) = outbox(config)
    assert notice["Subject"] == "Vous êtes désinscrit(e)"
    assert "- La lettre bimestrielle" in text_of(notice)
    assert "Flash" not in text_of(notice)
    assert link(notice, "/preferences/")

    again = await client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert again.status == 200
    await settled(client)
    assert len(outbox(config)) == 1  # nothing left, nothing mailed again


async def test_no_unsubscription_notice_to_a_suppressed_address(
    client: TestClient, config: Config, service: Subscribers
) -> None:
    subscriber_id = await member(
        service, "plainte@cpts-exemple.fr", ["bimestrielle"], is_member=False
    )
    await service.suppress("plainte@cpts-exemple.fr", "manual")
    await service.subscribe(  # put back by hand after the suppression, say by an import bug
        Person(email="plainte@cpts-exemple.fr"), ["adherents-flash"], IMPORT, confirmed=True
    )
    response = await client.post(token_path(config, "unsubscribe", subscriber_id))
    assert response.status == 200
    await settled(client)
    assert outbox(config) == []


# --- Preferences ------------------------------------------------------------------------------


async def test_preferences_show_each_list_with_its_status(
    client: TestClient, config: Config, service: Subscribers
) -> None:
    subscriber_id = await member(service, "pref@cpts-exemple.fr", ["bimestrielle"], is_member=False)
    response = await client.get(token_path(config, "preferences", subscriber_id))

    assert response.status == 200
    page = await response.text()
    assert "pref@cpts-exemple.fr" in page
    assert 'id="liste-bimestrielle" name="listes" value="bimestrielle" checked>' in page
    assert "Actuellement : inscrit(e)" in page
    for key in ("adherents-flash", "adherents-condense", "adherents-essentiel"):
        assert f'id="liste-{key}" name="listes" value="{key}" disabled>' in page
    assert "Me désinscrire de tout" in page


async def test_saving_preferences_joins_and_leaves_lists(
    client: TestClient, config: Config, db: Database, service: Subscribers
) -> None:
    subscriber_id = await member(
        service, "pref@cpts-exemple.fr", ["adherents-flash", "adherents-condense"], is_member=True
    )
    path = token_path(config, "preferences", subscriber_id)
    consents_before = len(await consents(db))

    response = await client.post(
        path, data=[("listes", "bimestrielle"), ("listes", "adherents-flash")]
    )

    assert response.status == 200
    assert "Vos choix sont enregistrés." in await response.text()
    assert await service.subscriptions(subscriber_id) == {
        "bimestrielle": "confirmed",
        "adherents-flash": "confirmed",
        "adherents-condense": "unsubscribed",
    }
    added = (await consents(db))[consents_before:]
    text, version = config.subscriptions.consent_text, config.subscriptions.consent_version
    assert added == [
        ("bimestrielle", "subscribe", "web", text, version, "127.0.0.1"),
        ("bimestrielle", "confirm", "web", text, version, "127.0.0.1"),
        ("adherents-condense", "unsubscribe", "web", "", "", "127.0.0.1"),
    ]
    await settled(client)
    (notice,) = outbox(config)
    assert "- Le Condensé de la Fédé" in text_of(notice)


async def test_a_non_member_cannot_join_a_reserved_list_through_preferences(
    client: TestClient, config: Config, service: Subscribers
) -> None:
    subscriber_id = await member(service, "pref@cpts-exemple.fr", ["bimestrielle"], is_member=False)
    path = token_path(config, "preferences", subscriber_id)
    await client.post(path, data=[("listes", "bimestrielle"), ("listes", "adherents-flash")])
    assert await service.subscriptions(subscriber_id) == {"bimestrielle": "confirmed"}
    await settled(client)
    assert outbox(config) == []


async def test_unsubscribe_from_everything(
    client: TestClient, config: Config, service: Subscribers
) -> None:
    subscriber_id = await member(
        service, "pref@cpts-exemple.fr", ["bimestrielle", "adherents-flash"], is_member=True
    )
    response = await client.post(
        token_path(config, "preferences", subscriber_id),
        data=[("listes", "bimestrielle"), ("action", "tout")],
    )
    assert response.status == 200
    assert "Vous êtes désinscrit(e) de toutes les lettres." in await response.text()
    assert set((await service.subscriptions(subscriber_id)).values()) == {"unsubscribed"}
    await settled(client)
    (notice,) = outbox(config)
    assert "- La lettre bimestrielle" in text_of(notice) and "- Flash FCPTS" in text_of(notice)


async def test_when_the_mail_cannot_leave_the_form_may_be_sent_again_at_once(
    config_path: Path, db: Database, service: Subscribers
) -> None:
    smtp_config = unreachable_smtp_config(config_path)

    async with TestClient(TestServer(create_app(smtp_config))) as smtp_client:
        status, page = await post_form(smtp_client, form())

    # The answer left before the e-mail was tried: the page is the usual one.
    assert status == 200 and "Vérifiez votre boîte de réception" in page
    # Sending the form again is not held back by the cooldown: nothing left.
    async with db.conn.execute("SELECT COUNT(*) FROM signup_notices") as cursor:
        assert (await cursor.fetchone())[0] == 0  # type: ignore[index]
    person = await service.find("marie.curie@cpts-exemple.fr")
    assert person is not None
    assert await service.subscriptions(person.id) == {"bimestrielle": "pending"}


class HeldRelay:
    """An SMTP relay (aiosmtpd) that takes each message only once `release` is set."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.received: list[EmailMessage] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await self.release.wait()
        assert isinstance(envelope.content, bytes)
        self.received.append(BytesParser(policy=policy.default).parsebytes(envelope.content))  # type: ignore[arg-type]
        return "250 2.0.0 Message accepte"


async def test_one_click_answers_before_the_notice_leaves_and_stopping_waits_for_it(
    config_path: Path, config: Config, service: Subscribers
) -> None:
    """The relay holds the notice: the unsubscription is answered all the same, and the hub
    stopping meanwhile waits for the notice to leave instead of dropping it."""
    relay = HeldRelay()
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(relay, hostname="relais.test"), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]
    smtp = SmtpConfig(host="127.0.0.1", port=port, security="none", timeout_seconds=60)
    smtp_config = dataclasses.replace(unreachable_smtp_config(config_path), smtp=smtp)
    subscriber_id = await member(
        service, "partir@cpts-exemple.fr", ["bimestrielle"], is_member=False
    )
    client = TestClient(TestServer(create_app(smtp_config)))
    await client.start_server()
    try:
        response = await asyncio.wait_for(
            client.post(token_path(config, "unsubscribe", subscriber_id, "bimestrielle")),
            timeout=60,  # a failure detector: an answer waiting for the relay never comes
        )
        assert response.status == 200
        assert "Vous êtes désinscrit(e)" in await response.text()
        assert relay.received == []
        assert await service.subscriptions(subscriber_id) == {"bimestrielle": "unsubscribed"}

        stopping = asyncio.create_task(client.close())
        relay.release.set()
        await stopping
        (notice,) = relay.received
        assert notice["Subject"] == "Vous êtes désinscrit(e)"
        assert notice["To"].addresses[0].addr_spec == "partir@cpts-exemple.fr"
    finally:
        await client.close()
        server.close()
        await server.wait_closed()


async def test_the_sign_up_answers_before_its_e_mail_leaves(
    config_path: Path, config: Config, service: Subscribers
) -> None:
    """The relay holds the e-mail: the answer comes all the same, so that it takes the same
    time whether an e-mail leaves (a new address) or not (a blocked one, a cooldown)."""
    relay = HeldRelay()
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(relay, hostname="relais.test"), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]
    smtp = SmtpConfig(host="127.0.0.1", port=port, security="none", timeout_seconds=60)
    smtp_config = dataclasses.replace(unreachable_smtp_config(config_path), smtp=smtp)
    await service.forget("effacee@cpts-exemple.fr")
    client = TestClient(TestServer(create_app(smtp_config)))
    await client.start_server()
    try:
        pages = []
        for address in ("nouvelle@cpts-exemple.fr", "effacee@cpts-exemple.fr"):
            response = await asyncio.wait_for(
                client.post("/abonnement", data=encoded(form(address))),
                timeout=60,  # a failure detector: an answer waiting for the relay never comes
            )
            assert response.status == 200
            pages.append((await response.text()).replace(address, "ADRESSE"))
        assert pages[0] == pages[1]
        assert relay.received == []

        relay.release.set()
        await settled(client)
        (mail,) = relay.received
        assert mail["To"].addresses[0].addr_spec == "nouvelle@cpts-exemple.fr"
    finally:
        await client.close()
        server.close()
        await server.wait_closed()


async def test_the_sign_up_e_mail_prints_no_name_anyone_typed(
    client: TestClient, config: Config, service: Subscribers
) -> None:
    await member(service, "connue@cpts-exemple.fr", ["bimestrielle"], is_member=False)
    bait = "Urgent Rappelez le 0899"
    for address in ("connue@cpts-exemple.fr", "inconnue@cpts-exemple.fr"):
        await post_form(
            client, form(address, prenom=bait, listes=["bimestrielle", "adherents-flash"])
        )
    files = sorted((config.data_dir / "outbox" / "transactionnel").glob("*.eml"))
    assert len(files) == 2
    for path in files:
        raw = path.read_bytes()
        assert b"Urgent" not in raw and b"Paul" not in raw  # neither typed nor stored
        assert b"Bonjour," in raw


async def test_the_unsubscribe_link_does_not_lead_to_the_preferences(
    client: TestClient, config: Config, service: Subscribers
) -> None:
    subscriber_id = await member(
        service, "lecteur@cpts-exemple.fr", ["bimestrielle"], is_member=False
    )
    path = token_path(config, "unsubscribe", subscriber_id, "bimestrielle")
    for response in (await client.get(path), await client.post(path)):
        page = await response.text()
        assert response.status == 200
        assert "/preferences/" not in page
        assert "Gérer mes préférences" in page
