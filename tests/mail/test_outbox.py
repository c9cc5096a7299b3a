"""The outbox backend writes what would be sent, one file per recipient, readable by any client."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from hub.config import Config
from hub.mail import Content
from hub.mail.factory import make_messenger, outbox_folder
from hub.mail.outbox import OutboxMessenger
from tests.mail.conftest import (
    SIGNED_UNSUBSCRIBE_URL,
    SUBJECT,
    assert_invitation,
    assert_literal_list_unsubscribe,
    body,
    make_recipient,
    parse,
    signed_recipient,
    with_an_accented_address,
)


async def test_one_file_per_recipient_personalised(content: Content, config: Config) -> None:
    messenger = OutboxMessenger(config, outbox_folder(config))
    recipients = [make_recipient(1, "Zoé"), make_recipient(2), make_recipient(123, "Éric")]

    outcomes = await messenger.send(content, recipients)
    await messenger.close()

    folder = config.data_dir / "outbox" / "42"
    assert sorted(p.name for p in folder.iterdir()) == ["000001.eml", "000002.eml", "000123.eml"]
    assert [o.recipient for o in outcomes] == recipients
    assert all(o.accepted for o in outcomes)
    for recipient, outcome, greeting in zip(
        recipients, outcomes, ["Bonjour Zoé,", "Bonjour,", "Bonjour Éric,"], strict=True
    ):
        assert recipient.send_log_id is not None
        message = parse((folder / f"{recipient.send_log_id:06d}.eml").read_bytes())
        assert message["Message-ID"] == outcome.message_id
        assert message["To"].addresses[0].addr_spec == recipient.email
        assert message["From"].addresses[0].addr_spec == config.mail.from_address
        assert message["Subject"] == SUBJECT
        assert message["List-Unsubscribe"].startswith(f"<{recipient.unsubscribe_url}>, <mailto:")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text, html = body(message, "plain"), body(message, "html")
        assert greeting in text and f"<p>{greeting}</p>" in html
        assert recipient.unsubscribe_url in text and recipient.unsubscribe_url in html
        assert recipient.preferences_url in text
        assert recipient.preferences_url.replace("&", "&amp;") in html
    assert not list(folder.glob(".*"))  # no temporary file left behind


async def test_the_file_holds_list_unsubscribe_literally(content: Content, config: Config) -> None:
    messenger = OutboxMessenger(config, outbox_folder(config))
    await messenger.send(content, [signed_recipient(5, "Zoé")])

    data = (config.data_dir / "outbox" / "42" / "000005.eml").read_bytes()
    assert_literal_list_unsubscribe(
        data,
        SIGNED_UNSUBSCRIBE_URL,
        f"mailto:{config.mail.unsubscribe_address}?subject=desinscription",
    )


async def test_resend_replaces_the_file(content: Content, config: Config) -> None:
    messenger = OutboxMessenger(config, outbox_folder(config))
    first = await messenger.send(content, [make_recipient(9, "Zoé")])
    again = await messenger.send(content, [make_recipient(9, "Zoé")])

    files = list((config.data_dir / "outbox" / "42").iterdir())
    assert [f.name for f in files] == ["000009.eml"]
    assert parse(files[0].read_bytes())["Message-ID"] == again[0].message_id
    assert first[0].message_id != again[0].message_id


async def test_transactional_mail_without_send_log(config: Config) -> None:
    confirmation = Content(
        subject="Confirmez votre inscription à la lettre de la FCPTS",
        html="<p>Bonjour[[first_name]], confirmez.</p>",
        text="Bonjour[[first_name]], confirmez.",
        category="transactionnel",
        list_unsubscribe=False,
    )
    messenger = OutboxMessenger(config, outbox_folder(config))
    recipient = dataclasses.replace(make_recipient(1, "Léa"), send_log_id=None)
    await messenger.send(confirmation, [recipient])
    await messenger.send(confirmation, [recipient])

    files = sorted((config.data_dir / "outbox" / "transactionnel").iterdir())
    assert len(files) == 2 and all(f.suffix == ".eml" for f in files)
    message = parse(files[0].read_bytes())
    assert message["Subject"] == confirmation.subject
    assert "List-Unsubscribe" not in message
    assert body(message, "plain") == "Bonjour Léa, confirmez.\n"


async def test_batch_size_comes_from_the_configuration(config: Config, tmp_path: Path) -> None:
    small = dataclasses.replace(config, mail=dataclasses.replace(config.mail, batch_size=50))
    assert OutboxMessenger(small, tmp_path).max_batch == 50


async def test_factory_builds_the_outbox_by_default(content: Content, config: Config) -> None:
    messenger = make_messenger(config)
    assert messenger.name == "outbox"
    assert messenger.max_batch == config.mail.batch_size
    await messenger.send(content, [make_recipient(1)])
    await messenger.close()
    assert (outbox_folder(config) / "42" / "000001.eml").is_file()


async def test_an_invitation_is_in_the_file(invitation: Content, config: Config) -> None:
    messenger = OutboxMessenger(config, outbox_folder(config))
    (outcome,) = await messenger.send(invitation, [make_recipient(5, "Zoé")])
    message = parse((outbox_folder(config) / "42" / "000005.eml").read_bytes())
    assert outcome.accepted and message["Message-ID"] == outcome.message_id
    assert_invitation(message)
    assert "Bonjour Zoé," in body(message, "plain")


async def test_an_impossible_address_fails_alone(content: Content, config: Config) -> None:
    messenger = OutboxMessenger(config, outbox_folder(config))
    recipients = with_an_accented_address([make_recipient(i) for i in (1, 2, 3)])
    outcomes = await messenger.send(content, recipients)

    assert [o.recipient for o in outcomes] == recipients
    assert [o.accepted for o in outcomes] == [True, False, True]
    assert "caractères accentués" in (outcomes[1].error or "")
    files = sorted(p.name for p in (outbox_folder(config) / "42").iterdir())
    assert files == ["000001.eml", "000003.eml"]
