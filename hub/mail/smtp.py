"""The SMTP backend: any relay (the federation's own, an ESP's SMTP endpoint), one message per
recipient, one connection per batch."""

from __future__ import annotations

import os
import ssl
from collections.abc import Sequence
from email import policy

import aiosmtplib

from hub.config import Config, ConfigError
from hub.mail import BatchRejected, Content, Outcome, Recipient
from hub.mail.message import build_message

PASSWORD_ENV = "HUB_SMTP_PASSWORD"
# The messages of a batch go one after the other over one connection (~tens of ms each), and
# the send log learns their fate only when the batch ends: 100 keeps a batch under a few
# seconds, so a crash leaves few sends unconfirmed; relays also commonly cap messages per
# connection around that number.
MAX_MESSAGES_PER_CONNECTION = 100


class SmtpMessenger:
    name = "smtp"

    def __init__(self, config: Config, *, tls_context: ssl.SSLContext | None = None) -> None:
        """`tls_context` replaces the system's trusted authorities (tests trust their own
        self-signed certificate with it); certificates are always verified."""
        self.config = config
        self.max_batch = min(config.mail.batch_size, MAX_MESSAGES_PER_CONNECTION)
        self._tls_context = tls_context
        self._password = os.environ.get(PASSWORD_ENV, "")
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
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            raise BatchRejected(
                f"serveur SMTP {self._where} injoignable ou connexion refusée "
                f"(sécurité « {settings.security} ») : {exc}"
            ) from None
        if settings.username:
            try:
                await client.login(settings.username, self._password)
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
        after that each recipient has its own outcome, and if the connection drops midway the
        ones not confirmed by the relay say so."""
        client = await self._connect()
        outcomes: list[Outcome] = []
        try:
            for recipient in recipients:
                try:
                    outcomes.append(await self._send_one(client, content, recipient))
                except (aiosmtplib.SMTPException, OSError) as exc:
                    lost = f"connexion au serveur SMTP {self._where} perdue, envoi non confirmé"
                    unsettled = recipients[len(outcomes) :]
                    outcomes += [Outcome(r, error=f"{lost} : {exc}") for r in unsettled]
                    break
        finally:
            await _quit(client)
        return outcomes

    async def _send_one(
        self, client: aiosmtplib.SMTP, content: Content, recipient: Recipient
    ) -> Outcome:
        """The relay's answer for one recipient; a lost connection propagates."""
        message = build_message(content, recipient, self.config)
        try:
            await client.sendmail(
                self.config.mail.from_address,
                [recipient.email],
                message.as_bytes(policy=policy.SMTP),
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0]
            return Outcome(
                recipient,
                error=f"destinataire refusé par le serveur SMTP ({refused.code} {refused.message})",
            )
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code == 421:  # the relay is closing the connection: not this recipient's fault
                raise
            return Outcome(
                recipient, error=f"message refusé par le serveur SMTP ({exc.code} {exc.message})"
            )
        except ValueError as exc:  # an address aiosmtplib cannot put in an envelope
            return Outcome(recipient, error=f"adresse impossible à envoyer en SMTP : {exc}")
        return Outcome(recipient, message_id=message["Message-ID"])

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
