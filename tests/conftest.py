"""Fixtures shared by the whole suite: an isolated configuration and a real headless Chromium."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from hub.config import DEFAULT_CONFIG, SAMPLE_FEED, Config, load_config
from hub.db import Database

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """A copy of the shipped configuration whose data folder is the test's own."""
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    text = text.replace('data_dir = "../var"', f'data_dir = "{tmp_path / "var"}"')
    text = text.replace(
        'url = "../newsletters/sample/actualites-fcpts.xml"', f'url = "{SAMPLE_FEED}"'
    )
    path = tmp_path / "hub.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def config(config_path: Path) -> Config:
    return load_config(config_path, env={})


@pytest.fixture
async def db(config: Config) -> AsyncIterator[Database]:
    database = await Database.open(config.database_path)
    yield database
    await database.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, driven by Playwright (no browser download).

    Module-scoped: sync Playwright keeps an event loop running in the main thread while it is
    open, which would break the async tests of modules that run after a browser module.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go, for a person to look at after the run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# The one signing key of the suite (random, as `hub` demands of a real one). Tests about the key
# itself (a changed key, none at all, a guessable one) set or remove their own.
TEST_SECRET_KEY = "qM3vX8-RtL2kZp7WnB4yHc9JfD1sGa6UeK0oTiE5wY"


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HUB_SECRET_KEY", TEST_SECRET_KEY)
    return TEST_SECRET_KEY
