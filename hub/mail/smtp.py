"""The SMTP backend: any relay (the federation's own, an ESP's SMTP endpoint), one message per
recipient, one connection per batch."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from contextlib import suppress
from email import policy

import aiosmtplib

from hub.config import Config, ConfigError
from hub.mail import (
    BatchInDoubt,
    BatchRejected,
    CancelledBeforeSending,
    Content,
    Outcome,
    Recipient,
)
from hub.mail.message import RecipientError, build_message
from hub.secrets import SMTP_PASSWORD_ENV, current

PASSWORD_ENV = SMTP_PASSWORD_ENV
# The messages of a batch go one after the other over one connection (~tens of ms each), and
# the send log learns their fate only when the batch ends: 100 keeps a batch under a few
# seconds, so a crash leaves few sends unconfirmed; relays also commonly cap messages per
# connection around that number.
MAX_MESSAGES_PER_CONNECTION = 100


class SmtpMessenger:
    name = "smtp"

    def __init__(
        self,
        config: Config,
        *,
        tls_context: ssl.SSLContext | None = None,
        password: str | None = None,
    ) -> None:
        """`tls_context` replaces the system's trusted authorities (tests trust their own
        self-signed certificate with it); certificates are always verified. `password` is the
        hub's `smtp_password` secret (read by `hub.secrets` when not given)."""
        self.config = config
        self.max_batch = min(config.mail.batch_size, MAX_MESSAGES_PER_CONNECTION)
        self._tls_context = tls_context
        self._password = current().smtp_password if password is None else password
        if config.smtp.username and not self._password:
            raise ConfigError(
                f"{PASSWORD_ENV} n'est pas définie : elle est obligatoire quand [smtp].username "
                f"est renseigné ({config.smtp.username!r}) ; définissez-la dans l'environnement"
            )

    @property
    def _where(self) -> str:
        return f"{self.config.smtp.host}:{self.config.smtp.port}"

    async def _connect(self) -> aiosmtplib.SMTP:
        settings = self.config.smtp
        client = aiosmtplib.SMTP(
            hostname=settings.host,
            port=settings.port,
            use_tls=settings.security == "tls",
            start_tls=settings.security == "starttls",
            tls_context=self._tls_context,
            timeout=settings.timeout_seconds,
        )
        try:
            await client.connect()
        except asyncio.CancelledError:  # no message has left yet
            client.close()
            raise CancelledBeforeSending from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            raise BatchRejected(
                f"serveur SMTP {self._where} injoignable ou connexion refusée "
                f"(sécurité « {settings.security} ») : {exc}"
            ) from None
        if settings.username:
            try:
                await client.login(settings.username, self._password)
            except asyncio.CancelledError:
                client.close()
                raise CancelledBeforeSending from None
            except (aiosmtplib.SMTPException, OSError) as exc:
                client.close()
                raise BatchRejected(
                    f"authentification refusée par le serveur SMTP {self._where} pour "
                    f"{settings.username!r} : {exc} ; vérifiez [smtp].username et "
                    f"{PASSWORD_ENV}"
                ) from None
        return client

    async def send(self, content: Content, recipients: Sequence[Recipient]) -> list[Outcome]:
        """Nothing sent if the relay cannot be reached or refuses the login (`BatchRejected`);
        after that each recipient has its own outcome. If the connection drops, the recipients
        whose turn had not come fail (nothing of theirs left: `hub campaign retry` resends
        them), and if it dropped while a message was being transferred, that message alone is
        in doubt (`BatchInDoubt`, the others' outcomes settled in it)."""
        client = await self._connect()
        outcomes: list[Outcome] = []
        try:
            for i, recipient in enumerate(recipients):
                try:
                    outcomes.append(await self._send_one(client, content, recipient))
                except _NotSent as lost:
                    outcomes += [Outcome(r, error=str(lost)) for r in recipients[i:]]
                    break
                except _Lost as lost:
                    unsent = self._not_sent("connexion perdue plus tôt dans le lot")
                    outcomes += [Outcome(r, error=unsent) for r in recipients[i + 1 :]]
                    raise BatchInDoubt(str(lost), settled=outcomes) from None
        finally:
            await _quit(client)
        return outcomes

    async def _send_one(
        self, client: aiosmtplib.SMTP, content: Content, recipient: Recipient
    ) -> Outcome:
        """The relay's answer for one recipient. A connection lost before the message's data
        raises `_NotSent`; lost during its transfer, before the relay's answer, `_Lost`."""
        try:
            message = build_message(content, recipient, self.config)
        except RecipientError as exc:
            return Outcome(recipient, error=str(exc))
        data = message.as_bytes(policy=policy.SMTP)
        if not recipient.email.isascii():  # an accented domain: the envelope needs SMTPUTF8
            return Outcome(recipient, error="adresse non ASCII, impossible à envoyer en SMTP")
        try:
            await client.mail(self.config.mail.from_address)
            await client.rcpt(recipient.email)
        except aiosmtplib.SMTPResponseException as exc:
            return await self._refused(client, recipient, exc, "destinataire refusé")
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise _NotSent(
                self._not_sent(f"connexion perdue avant l'envoi du message ({exc})")
            ) from None
        try:
            await client.data(data)
        except aiosmtplib.SMTPResponseException as exc:  # an answer: the relay did not take it
            return await self._refused(client, recipient, exc, "message refusé")
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise _Lost(
                f"connexion au serveur SMTP {self._where} perdue pendant la transmission d'un "
                f"message, avant sa confirmation : il a peut-être été accepté ({exc})"
            ) from None
        return Outcome(recipient, message_id=message["Message-ID"])

    def _not_sent(self, why: str) -> str:
        return f"non envoyé : {why}, serveur SMTP {self._where}"

    async def _refused(
        self,
        client: aiosmtplib.SMTP,
        recipient: Recipient,
        exc: aiosmtplib.SMTPResponseException,
        what: str,
    ) -> Outcome:
        """A refusal of this message alone, unless the relay is closing the connection."""
        answer = f"{exc.code} {exc.message}"
        if exc.code == 421:
            raise _NotSent(self._not_sent(f"le serveur a fermé la connexion ({answer})"))
        with suppress(aiosmtplib.SMTPException, OSError):  # else the next finds it gone
            await client.rset()  # a clean envelope for the next recipient
        return Outcome(recipient, error=f"{what} par le serveur SMTP ({answer})")

    async def close(self) -> None:
        return None


async def _quit(client: aiosmtplib.SMTP) -> None:
    """Say goodbye politely when the relay still listens; every message is already settled."""
    try:
        if client.is_connected:
            await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        pass
    finally:
        client.close()


class _NotSent(Exception):
    """The connection is gone and this message's data never left: it and the next ones are
    simply not sent."""


class _Lost(Exception):
    """The connection went while this message was being transferred: it is in doubt."""
