"""The transactional e-mails, sent through the outbox backend and read back from its .eml files."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from types import SimpleNamespace

import pytest

from hub import notices
from hub.config import Config
from hub.mail.factory import make_messenger
from hub.notices import NoticeNotSent, SignupAnswer
from hub.timeutil import french_datetime
from hub.tokens import TokenSigner
from newsletters.checks import check_html
from tests.support.configs import unreachable_smtp_config

# Whom the links are signed for: a stored person's id and token nonce.
MARIE = SimpleNamespace(id=42, token_nonce=3_000_000_001)
PAUL = SimpleNamespace(id=7, token_nonce=5)


def sent(config: Config) -> list[EmailMessage]:
    folder = config.data_dir / "outbox" / "transactionnel"
    return [
        BytesParser(policy=policy.default).parsebytes(path.read_bytes())  # type: ignore[misc]
        for path in sorted(folder.glob("*.eml"))
    ]


def part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body(preferencelist=(subtype,))
    assert body is not None
    return body.get_content()


async def send_signup(config: Config, answer: SignupAnswer) -> None:
    messenger = make_messenger(config)
    try:
        await notices.send_signup(
            config,
            messenger,
            email="marie@cpts-exemple.fr",
            answer=answer,
            person=MARIE,
        )
    finally:
        await messenger.close()


async def test_the_confirmation_request_in_french_with_its_link_and_expiry(config: Config) -> None:
    before = time.time()
    await send_signup(config, SignupAnswer(to_confirm=["bimestrielle", "adherents-flash"]))

    (message,) = sent(config)
    assert message["Subject"] == "Confirmez votre inscription"
    assert message["To"] == "marie@cpts-exemple.fr"
    assert "List-Unsubscribe" not in message and "List-Unsubscribe-Post" not in message
    text, html = part(message, "plain"), part(message, "html")
    assert text.startswith("Confirmez votre inscription\n")
    assert "\nBonjour,\n" in text and "Bonjour," in html
    assert "Vous avez demandé à recevoir les lettres suivantes de la FCPTS :" in text
    assert "- La lettre bimestrielle — Tous les deux mois" in text
    assert "- Flash FCPTS" in text
    assert (
        "Si vous n'êtes pas à l'origine de cette demande, ignorez simplement ce message : sans "
        "clic sur le lien de confirmation, votre adresse ne sera inscrite à aucune lettre."
    ) in " ".join(text.split())
    assert '<html lang="fr"' in html
    assert "Confirmer mon inscription" in html
    assert check_html(html) == []  # absolute links, alt texts: what a mailbox needs

    (url,) = set(re.findall(r"http://127\.0\.0\.1:8080/confirmer/[\w-]+", text))
    assert f'href="{url}"' in html
    token = TokenSigner.for_config(config).read(url.rsplit("/", 1)[1], "confirm")
    # The link confirms the lists of this request only (see test_subscriptions).
    assert (token.subscriber_id, token.lists) == (42, ["bimestrielle", "adherents-flash"])
    week = config.subscriptions.confirm_days * 86_400
    assert token.expires_at is not None and before + week <= token.expires_at + 1
    assert token.expires_at <= time.time() + week
    expiry = moment(config, token.expires_at)
    assert re.fullmatch(r"\d{1,2}(er)? \w+ 20\d\d à \d{1,2}h(\d\d)?", expiry)
    assert f"Ce lien est valable jusqu'au {expiry} (heure de Paris)" in text
    assert f"valable jusqu'au {expiry}" in html


def moment(config: Config, unix_time: float) -> str:
    """An instant as the e-mails show it."""
    return french_datetime(datetime.fromtimestamp(unix_time, UTC), config.tz)


def test_expiry_is_shown_in_paris_time(config: Config) -> None:
    # 2026-07-01 22:30 UTC is already 2 July in Paris (summer time, UTC+2).
    assert moment(config, 1_782_945_000) == "2 juillet 2026 à 0h30"
    # 2026-01-01 00:00 UTC is 1 a.m. in Paris (winter time, UTC+1).
    assert moment(config, 1_767_225_600) == "1er janvier 2026 à 1h"


async def test_already_subscribed_and_refused_lists_get_explanations_without_a_button(
    config: Config,
) -> None:
    await send_signup(
        config, SignupAnswer(already=["bimestrielle"], refused=["adherents-condense"])
    )
    (message,) = sent(config)
    text, html = part(message, "plain"), part(message, "html")
    assert message["Subject"] == "Votre demande d'inscription aux lettres de la FCPTS"
    assert "/confirmer/" not in text + html and "Confirmer mon inscription" not in html
    assert "Vous êtes déjà inscrit(e) à cette lettre et continuerez à la recevoir :" in text
    # No link to click here: the note for a stranger says so.
    assert "ignorez simplement ce message : elle n'a rien changé pour votre adresse." in text
    assert "Cette lettre est réservée aux contacts des CPTS adhérentes" in text
    assert "- Le Condensé de la Fédé" in text
    assert f"écrivez-nous à {config.federation.contact_email}" in text
    assert f'href="mailto:{config.federation.contact_email}"' in html
    (url,) = set(re.findall(r"http://127\.0\.0\.1:8080/preferences/[\w-]+", text))
    assert f'href="{url}"' in html
    token = TokenSigner.for_config(config).read(url.rsplit("/", 1)[1], "preferences")
    assert (token.subscriber_id, token.nonce, token.list, token.expires_at) == (
        42,
        3_000_000_001,
        "*",
        None,
    )


async def test_the_unsubscription_notice_names_the_lists_and_the_way_back(config: Config) -> None:
    messenger = make_messenger(config)
    await notices.send_unsubscribed(
        config,
        messenger,
        email="paul@cpts-exemple.fr",
        first_name="",
        lists=["adherents-flash"],
        person=PAUL,
    )
    (message,) = sent(config)
    text, html = part(message, "plain"), part(message, "html")
    assert message["Subject"] == "Vous êtes désinscrit(e)"
    assert "List-Unsubscribe" not in message
    assert "Bonjour," in text  # no name: no stray space
    assert "Votre adresse a bien été retirée de la lettre suivante :\n- Flash FCPTS" in text
    assert "Vous ne la recevrez plus." in text
    (url,) = set(re.findall(r"http://127\.0\.0\.1:8080/preferences/[\w-]+", text))
    assert f'href="{url}"' in html
    assert TokenSigner.for_config(config).read(url.rsplit("/", 1)[1], "preferences").subscriber_id
    assert check_html(html) == []


async def test_a_relay_that_cannot_be_reached_is_reported(config_path: Path) -> None:
    with pytest.raises(NoticeNotSent, match="injoignable"):
        await send_signup(
            unreachable_smtp_config(config_path), SignupAnswer(to_confirm=["bimestrielle"])
        )
