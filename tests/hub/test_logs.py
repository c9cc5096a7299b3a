"""Structured logs: one key=value line per event, and no secret ever printed."""

from __future__ import annotations

import logging

import pytest

from hub.logs import KeyValueFormatter


def _format(message: str, **extra: object) -> str:
    record = logging.LogRecord("hub.test", logging.INFO, __file__, 1, message, None, None)
    record.__dict__.update(extra)
    return KeyValueFormatter().format(record)


def test_one_line_of_key_value_pairs() -> None:
    line = _format("feed pulled", feed="fcpts", new=3, reason='said "no"\nthen left')
    assert "\n" not in line
    assert line.startswith("ts=")
    assert ' level=info logger=hub.test event="feed pulled" feed=fcpts new=3 ' in line
    assert line.endswith('reason="said \\"no\\"\\nthen left"')


def test_secret_values_from_the_environment_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.not-a-real-key-123456")
    monkeypatch.setenv("HUB_DISCORD_TOKEN", "discord-token-abcdef")
    line = _format(
        "request failed",
        url="https://api.sendgrid.com/v3?key=SG.not-a-real-key-123456",
        header="Bot discord-token-abcdef",
    )
    assert "not-a-real-key" not in line and "discord-token" not in line
    assert line.count("***") == 2
