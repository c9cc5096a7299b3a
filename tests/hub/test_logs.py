"""Structured logs: one key=value line per event, and no secret ever printed."""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from functools import partial

import aiohttp
import pytest

from hub.config import Config
from hub.logs import KeyValueFormatter
from hub.web.app import create_app
from hub.web.serve import serve_until


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


# Secrets as a password manager or a person may make them: regex signs, quotes, backslashes,
# spaces, a newline, `%` (printf-style), and non-ASCII letters.
ODD_SECRETS = [
    "a.b*c+d?(e)[f]{g}|h^i$j\\k",
    'said "non" \\ then left',
    "deux mots avec des espaces",
    "ligne une\nligne deux",
    "100% %s %(name)s %d",
    "clé-secrète-éàü-日本語-🔑",
]


@pytest.mark.parametrize("secret", ODD_SECRETS)
def test_a_secret_is_masked_whatever_characters_it_holds(
    monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    monkeypatch.setenv("HUB_WEBHOOK_SECRET", secret)
    record = logging.LogRecord(
        "hub.test", logging.ERROR, __file__, 1, "refused %s", (f"[{secret}]",), None
    )
    record.__dict__.update(header=f"Bearer {secret}", problem=f"key={secret};")
    line = KeyValueFormatter().format(record)
    assert line.count("***") == 3, line
    assert "\n" not in line
    for part in {secret, secret.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")}:
        assert part not in line


def test_a_secret_in_an_error_trace_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = 'x"y\\z 42 (ok?)'
    monkeypatch.setenv("SMTP_PASSWORD", secret)
    try:
        raise RuntimeError(f"login refused for {secret}")
    except RuntimeError:
        record = logging.LogRecord(
            "hub.test", logging.ERROR, __file__, 1, "smtp", None, sys.exc_info()
        )
    line = KeyValueFormatter().format(record)
    assert "login refused for ***" in line
    assert 'x\\"y' not in line and "42 (ok?)" not in line


@pytest.mark.parametrize(
    ("logged", "kept"),
    [
        ("GET /u/AbC-12_xyz HTTP/1.1", "GET /u/[jeton] HTTP/1.1"),
        ("/preferences/AbC-12_xyz?x=1", "/preferences/[jeton]?x=1"),
        ("/confirmer/AbC-12_xyz/", "/confirmer/[jeton]/"),
        ("/evenements/mes-inscriptions/AbC-12_xyz", "/evenements/mes-inscriptions/[jeton]"),
        ("/evenements/offre/AbC-12_xyz", "/evenements/offre/[jeton]"),
        ("/archives/membres/4?cle=AbC-12_xyz&x=1", "/archives/membres/4?cle=[jeton]&x=1"),
        ("/evenements/?page=2&cle=AbC-12_xyz", "/evenements/?page=2&cle=[jeton]"),
    ],
)
def test_the_token_of_a_logged_path_is_redacted(logged: str, kept: str) -> None:
    line = _format("request failed", path=logged)
    assert "AbC-12_xyz" not in line
    assert kept in line


def test_paths_without_a_token_are_logged_as_they_are() -> None:
    line = _format("request", path="/evenements/reunion-flash-2027?page=2", menu="/menu/u")
    assert 'path="/evenements/reunion-flash-2027?page=2"' in line and "menu=/menu/u" in line


TOKEN = "Zk3v-Q9_tokenDeTest0123456789abcdefXYZ"
TOKEN_PATHS = [
    f"/u/{TOKEN}",
    f"/preferences/{TOKEN}",
    f"/confirmer/{TOKEN}",
    f"/evenements/mes-inscriptions/{TOKEN}",
    f"/evenements/offre/{TOKEN}",
    f"/evenements/?cle={TOKEN}",
    f"/archives/?cle={TOKEN}",
]


async def test_requests_through_the_running_app_log_no_token(
    config: Config, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """The real server (`serve_until`, as `hub run`), real requests on loopback, and every line
    the process logs meanwhile, access log included, as the formatter writes it."""
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(KeyValueFormatter())
    root, access = logging.getLogger(), logging.getLogger("aiohttp.access")
    monkeypatch.setattr(root, "handlers", [handler])
    # setLevel rather than a patched attribute: it also clears the loggers' isEnabledFor
    # caches, which an earlier test may have filled while the access log was off.
    for logger, level in ((root, logging.DEBUG), (access, logging.INFO)):
        request.addfinalizer(partial(logger.setLevel, logger.level))
        logger.setLevel(level)
    stop, ready = asyncio.Event(), asyncio.get_running_loop().create_future()
    server = asyncio.create_task(
        serve_until(
            create_app(config),
            "127.0.0.1",
            0,
            on_ready=ready.set_result,
            stop=stop,
            limits=config.web,
        )
    )
    base = await asyncio.wait_for(ready, 30)
    statuses = []
    async with aiohttp.ClientSession() as session:
        for path in TOKEN_PATHS:
            async with session.get(base + path, allow_redirects=False) as response:
                statuses.append(response.status)
    stop.set()
    await server
    output = captured.getvalue()
    assert all(status < 500 for status in statuses), statuses
    assert TOKEN not in output
    for path in TOKEN_PATHS:
        assert path.replace(TOKEN, "[jeton]") in output, path
