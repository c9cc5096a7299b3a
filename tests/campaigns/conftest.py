"""Campaign fixtures: small batches, a draft ready to send, and an audience of real subscribers."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from hub.config import Config, SendgridConfig
from hub.db import Database
from hub.mail.factory import outbox_folder
from hub.mail.sendgrid import SendgridMessenger
from hub.subscribers.service import Consent, Person, Subscribers
from loopback.sendgrid import SendgridServer
from newsletters.draft import write_draft
from tests.newsletters.factories import full_issue

BATCH_SIZE = 3
CONSENT = Consent(source="cli", text="Inscrit par l'équipe pour les tests", version="test")

AddPeople = Callable[..., Awaitable[list[str]]]


@pytest.fixture
def config_path(config_path: Path) -> Path:
    """The shipped configuration with tiny batches, so a dozen people make several batches."""
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(
        text.replace("batch_size = 1000", f"batch_size = {BATCH_SIZE}"), encoding="utf-8"
    )
    return config_path


@pytest.fixture
def draft(config: Config, tmp_path: Path) -> Path:
    path = tmp_path / "bimestrielle-7.md"
    path.write_text(write_draft(full_issue(config, "bimestrielle", number=7)), encoding="utf-8")
    return path


@pytest.fixture
def add_people(db: Database, config: Config) -> AddPeople:
    """Subscribe `count` people (confirmed) to `list_key`; returns their addresses in the order
    a send cuts its batches (by subscriber id)."""

    async def add(
        count: int, list_key: str = "bimestrielle", prefix: str = "abonne", *, member: bool = False
    ) -> list[str]:
        people = [
            Person(
                email=f"{prefix}{i:04d}@example.org",
                first_name=f"Prénom{i}",
                last_name="Test",
                member=member,
            )
            for i in range(count)
        ]
        service = Subscribers(db, config)
        await service.subscribe_many(people, [list_key], CONSENT, confirmed=True)
        ids = {p.email: (await service.find(p.email)).id for p in people}  # type: ignore[union-attr]
        return sorted(ids, key=ids.__getitem__)

    return add


def received(config: Config, campaign_id: int) -> dict[str, list[email.message.EmailMessage]]:
    """Every message the outbox holds for the campaign, by recipient."""
    messages: dict[str, list[email.message.EmailMessage]] = {}
    for path in sorted((outbox_folder(config) / str(campaign_id)).glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        messages.setdefault(str(message["To"]).split("<")[-1].rstrip(">"), []).append(message)
    return messages


def dead_pid() -> int:
    """A process id nobody uses: the owner a killed sender leaves behind."""
    pid = 4_000_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        pid -= 1


@pytest.fixture
async def sendgrid(config: Config) -> AsyncIterator[tuple[SendgridServer, SendgridMessenger]]:
    """The local SendGrid and a messenger talking to it: what reached the provider is counted
    there, where a second copy would show (the outbox overwrites its files)."""
    async with SendgridServer() as server:
        settings = SendgridConfig(api_url=server.url, timeout_seconds=10, max_retries=3)
        messenger = SendgridMessenger(
            dataclasses.replace(config, sendgrid=settings), "SG.test", backoff_seconds=0.01
        )
        yield server, messenger
        await messenger.close()
    assert server.violations == []
