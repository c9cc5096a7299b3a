"""`hub`: the staff's command line. Commands are thin: they parse, call a service, print.

Every user mistake (bad configuration, malformed date, invalid draft…) ends with one French
message on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import asyncio
import importlib
import json
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from hub.cli.french import FrenchContext, french_type, french_usage_error
from hub.config import Config, load_config
from hub.db import Database
from hub.errors import UserError
from hub.logs import setup_logging

if TYPE_CHECKING:
    from hub.services import HubServices

T = TypeVar("T")


class HubContext:
    """What every command shares: the configuration, loaded once and only when needed, and the
    process's services (`services()`: the same `HubServices` as `hub run` builds)."""

    def __init__(self, config_path: Path | None) -> None:
        self._config_path = config_path
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self._config_path)
        return self._config

    @asynccontextmanager
    async def services(self) -> AsyncIterator[HubServices]:
        """Every service over the configured database, closed when the command is done. The
        import is here: `hub --help` and commands that open nothing do not pay for it."""
        from hub.services import HubServices

        async with HubServices.open(self.config) as services:
            yield services

    @asynccontextmanager
    async def database(self) -> AsyncIterator[Database]:
        db = await Database.open(self.config.database_path)
        try:
            yield db
        finally:
            await db.close()


pass_hub = click.make_pass_decorator(HubContext)


def run_async(func: Callable[..., Coroutine[Any, Any, T]]) -> Callable[..., T]:
    """Let a click command be an `async def`."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        return asyncio.run(func(*args, **kwargs))

    return wrapper


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


YES_ANSWERS = frozenset({"o", "oui", "y", "yes"})


def confirm(question: str, *, refused: str = "Annulé.") -> None:
    """Ask before a mass or irreversible action, in French: "question [o/N]". Only o/oui (or
    y/yes) goes on; anything else, or no terminal to answer, prints `refused` on stderr and
    stops the command with exit code 1 (click's own prompt would say "[y/N]" and "Aborted!")."""
    try:
        answer = click.prompt(
            f"{question} [o/N]", default="", show_default=False, err=True, prompt_suffix=" "
        )
    except click.Abort:
        answer = ""
    if answer.strip().lower() not in YES_ANSWERS:
        click.echo(refused, err=True)
        raise click.exceptions.Exit(1)


class HubCommand(click.Command):
    """Every `hub` command speaks French: its help (headings, `--help` option, types), and its
    usage mistakes, each one `Erreur : …` line with the `--help` to read, exit code 2."""

    context_class = FrenchContext

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            param.type = french_type(param.type)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "Affiche cette aide."
        return option

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            path = " ".join(p for p in (parent.command_path if parent else "", info_name) if p)
            raise french_usage_error(exc, path or "hub") from None


class HubGroup(HubCommand, click.Group):
    """Turns user errors raised anywhere below into a clear message and exit code 2."""

    command_class = HubCommand
    group_class = type  # subgroups are HubGroups too

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("subcommand_metavar", "COMMANDE [ARGUMENTS]...")
        super().__init__(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            click.echo(f"Erreur : {exc}", err=True)
            ctx.exit(2)
        except click.UsageError as exc:
            raise french_usage_error(exc, ctx.command_path) from None


class LazyHubGroup(HubGroup):
    """The root `hub` group: a command's module is imported only when that command runs or
    its own help is shown, so `hub --help` and each command start without importing the
    others (aiohttp, the mail backends, the Discord client…).

    `COMMANDS` names each command's module and its short help, which `hub --help` lists without
    importing anything; tests/cli/test_lazy_commands.py checks it against the commands'
    docstrings, so the two cannot drift apart."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module = importlib.import_module(COMMANDS[cmd_name][0])
            module.setup(self)  # registers the command on this group
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in self.commands:
                if self.commands[name].hidden:
                    continue
                rows.append((name, self.commands[name].get_short_help_str(limit)))
            else:
                # click's own shortening, without importing the command's module
                short = click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit)
                rows.append((name, short))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


# Every command: its module (with a `setup(cli)` that adds it) and its short help, as `hub
# --help` lists it (the first sentence of the command's docstring).
COMMANDS: dict[str, tuple[str, str]] = {
    "campaign": (
        "hub.cli.campaign",
        "Campagnes : un numéro envoyé à une liste, une fois par personne.",
    ),
    "db": ("hub.cli.db", "Base de données (SQLite)."),
    "demo": (
        "hub.cli.demo",
        "Compose et rend un numéro de chaque édition à partir du flux d'exemple.",
    ),
    "discord": (
        "hub.cli.discord",
        "Les bots Discord : état, lien d'invitation, vérification, identification à la main.",
    ),
    "events": (
        "hub.cli.events",
        "Événements : création, publication, inscriptions, listes d'attente, rappels, effacement.",
    ),
    "feed": (
        "hub.cli.feed",
        "Flux de contenus (RSS/Atom) : récupération et éléments enregistrés.",
    ),
    "newsletter": ("hub.cli.newsletter", "Newsletters : brouillon, rendu, aperçu."),
    "outbox": (
        "hub.cli.outbox",
        "Boîte d'envoi locale (mode « outbox ») : les e-mails écrits au lieu d'être envoyés.",
    ),
    "run": (
        "hub.cli.run",
        "Lance le hub : archives web, relève des flux programmée (Ctrl-C pour arrêter).",
    ),
    "subscribers": (
        "hub.cli.subscribers",
        "Abonnés : import, export, ajout, adhésion, désinscription, accès et effacement RGPD.",
    ),
}


@click.group(cls=LazyHubGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="HUB_CONFIG",
    help="Fichier de configuration (par défaut config/hub.toml ; variable HUB_CONFIG).",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Niveau des journaux (INFO pour « hub run », sinon WARNING).",
)
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, log_level: str | None) -> None:
    """Le hub de la FCPTS : flux de contenus, newsletters et leurs archives web, abonnés
    (consentement RGPD), campagnes d'envoi, événements et inscriptions."""
    default = "INFO" if ctx.invoked_subcommand == "run" else "WARNING"
    setup_logging((log_level or default).upper())
    ctx.obj = HubContext(config_path)


def main() -> None:
    cli(prog_name="hub")
