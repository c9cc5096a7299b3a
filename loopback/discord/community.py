"""The federation's two Discord servers as the tests and the benchmarks build them on the
stand-in, and the hub configured for them: one place, so a benchmark measures the community
the tests check (same channels, roles, bot tokens and token variables).

Unlike the rest of this package, which knows only Discord, this module knows the hub's side
too (its config file and its services): it is where a stand-in Discord meets the hub.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from hub.config import Config, load_config
from hub.db import Database
from hub.services import HubServices, Secrets
from loopback.discord.server import DiscordServer
from loopback.discord.state import App, Guild

SERVERS = ("salaries", "elus")
CHANNELS = ("accueil", "agenda", "annonces", "actualites", "questions", "staff")
ROLES = ("adhérent", "salarié", "coordinateur", "élu", "staff")
TOKENS = {"salaries": "token-salaries", "elus": "token-elus"}
ENVS = {"salaries": "DISCORD_TOKEN_SALARIES", "elus": "DISCORD_TOKEN_ELUS"}
GUILD_NAMES = {"salaries": "Collectif des salariés", "elus": "Collectif des élus"}
APP_NAMES = {"salaries": "Hub salariés", "elus": "Hub élus"}


def token_env() -> dict[str, str]:
    """The bots' tokens as the hub reads them: environment variable -> token."""
    return {ENVS[server]: TOKENS[server] for server in SERVERS}


def add_community(discord: DiscordServer) -> tuple[dict[str, App], dict[str, Guild]]:
    """Both servers on the stand-in, each with its bot application, CHANNELS and ROLES."""
    apps = {server: discord.add_app(TOKENS[server], APP_NAMES[server]) for server in SERVERS}
    guilds = {
        server: discord.add_guild(GUILD_NAMES[server], CHANNELS, apps[server]) for server in SERVERS
    }
    for guild in guilds.values():
        for name in ROLES:
            discord.state.add_role(guild, name)
    return apps, guilds


def with_guild_ids(config_text: str, guild_ids: Mapping[str, str | int]) -> str:
    """The default config's text with the servers' ids in place of its `guild_id = 0`."""
    text = config_text.replace(
        "guild_id = 0                       # the server",
        f"guild_id = {guild_ids['salaries']}  # the server",
    )
    return text.replace(
        'guild_id = 0\ntoken_env = "DISCORD_TOKEN_ELUS"',
        f'guild_id = {guild_ids["elus"]}\ntoken_env = "DISCORD_TOKEN_ELUS"',
    )


def configured(config_path: Path, guilds: Mapping[str, Guild]) -> Config:
    """The config file at `config_path` rewritten for these servers, then loaded."""
    text = config_path.read_text(encoding="utf-8")
    text = with_guild_ids(text, {server: guild.id for server, guild in guilds.items()})
    config_path.write_text(text, encoding="utf-8")
    config = load_config(config_path, env={})
    if config.discord["elus"].guild_id != int(guilds["elus"].id):
        raise RuntimeError(f"{config_path}: the élus server's guild_id was not replaced")
    return config


def hub_services(config: Config, db: Database, tokens: dict[str, str]) -> HubServices:
    """The hub's services with these bot tokens (variable -> token) as its secrets."""
    return HubServices.build(config, db, Secrets(discord_tokens=tokens))
