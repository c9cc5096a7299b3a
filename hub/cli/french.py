"""Click, in French: one `Erreur : …` line per usage mistake, French help headings and types.

Click writes its own mistakes in English on four lines (usage, hint, blank line, error). Staff
read French, and one line that says what is wrong, how to fix it and which `--help` to read is
what they act on. The command classes of `hub.cli` route every click usage error through
`french_usage_error` and give every parameter a French type (`Integer`, `FrenchChoice`, `Text`),
so no command can forget.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import click
from click.exceptions import NoArgsIsHelpError, NoSuchCommand

from hub.db import SQLITE_MAX_INT, SQLITE_MIN_INT
from hub.wording import french_number as _number

_ASCII_INTEGER = re.compile(r"[+-]?[0-9]+")


def integer_problem(text: str, low: int | None = None, high: int | None = None) -> str | None:
    """Why `text` is not an integer between `low` and `high` (within SQLite's range), in French;
    None when it is one. Only ASCII digits count: Python's int() would also read "١٢"."""
    raw = text.strip()
    low = SQLITE_MIN_INT if low is None else max(low, SQLITE_MIN_INT)
    high = SQLITE_MAX_INT if high is None else min(high, SQLITE_MAX_INT)
    if high == SQLITE_MAX_INT:
        expected = f"un nombre entier, {_number(low)} ou plus" if low > SQLITE_MIN_INT else None
    else:
        expected = f"un nombre entier de {_number(low)} à {_number(high)}"
    expected = expected or "un nombre entier"
    if not _ASCII_INTEGER.fullmatch(raw):
        return f"« {text} » n'est pas un nombre ; attendu : {expected} (chiffres 0 à 9)"
    digits = raw.lstrip("+-").lstrip("0")
    value = int(raw) if len(digits) <= 19 else (SQLITE_MAX_INT + 1) * (-1 if "-" in raw else 1)
    if value > SQLITE_MAX_INT and high == SQLITE_MAX_INT:
        return f"{raw} est trop grand ; au plus {_number(SQLITE_MAX_INT)}"
    if value < SQLITE_MIN_INT and low == SQLITE_MIN_INT:
        return f"{raw} est trop petit ; au moins {_number(SQLITE_MIN_INT)}"
    if not low <= value <= high:
        return f"{raw} est hors limites ; attendu : {expected}"
    return None


if TYPE_CHECKING:
    _IntegerType = click.ParamType[int]
else:  # click before 8.2 has no generic ParamType
    _IntegerType = click.ParamType


class Integer(_IntegerType):
    """A whole number typed in ASCII digits, within bounds and within SQLite's 64 bits."""

    name = "entier"

    def __init__(self, low: int | None = None, high: int | None = None) -> None:
        self.low = low
        self.high = high

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        problem = integer_problem(str(text), self.low, self.high)
        if problem:
            self.fail(problem, param, ctx)
        return int(str(text).strip())


class FrenchChoice(click.Choice):  # type: ignore[type-arg]
    name = "choix"

    def get_invalid_choice_message(self, value: Any, ctx: click.Context | None) -> str:
        return (
            f"« {value} » n'est pas un choix possible ; choix : {', '.join(map(str, self.choices))}"
        )


class Text(click.types.StringParamType):
    name = "texte"


def french_type(kind: click.ParamType[Any]) -> click.ParamType[Any]:
    """The French equivalent of one of click's types (others are kept)."""
    if isinstance(kind, click.IntRange):
        low = None if kind.min is None else int(kind.min) + (1 if kind.min_open else 0)
        high = None if kind.max is None else int(kind.max) - (1 if kind.max_open else 0)
        return Integer(low, high)
    if type(kind) is click.types.IntParamType:
        return Integer()
    if type(kind) is click.Choice:
        return FrenchChoice(kind.choices, case_sensitive=kind.case_sensitive)
    if type(kind) is click.types.StringParamType:
        return Text()
    return kind


HEADINGS = {
    "Options": "Options",
    "Commands": "Commandes",
    "Positional arguments": "Arguments",
}
_EXTRAS = (
    ("required", "obligatoire"),
    ("default: ", "par défaut : "),
    ("env var: ", "variable d'environnement : "),
)


class FrenchHelpFormatter(click.HelpFormatter):
    """`Utilisation :`, `Options :`, `Commandes :`, `[obligatoire]`."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, "Utilisation : " if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{HEADINGS.get(heading, heading)} :\n")

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        super().write_dl(
            [(term, _french_extras(text)) for term, text in rows], col_max, col_spacing
        )


def _french_extras(text: str) -> str:
    """The `[required; default: csv]` click appends to an option's help, in French."""
    match = re.search(r"\[([^\[\]]*)\]$", text)
    if not match:
        return text
    inside = match[1]
    for english, french in _EXTRAS:
        inside = inside.replace(english, french)
    return f"{text[: match.start()]}[{inside}]"


class FrenchContext(click.Context):
    formatter_class = FrenchHelpFormatter


class FrenchUsageError(click.UsageError):
    """A usage mistake already said in French: shown as one line, exit code 2."""

    def show(self, file: Any = None) -> None:
        click.echo(f"Erreur : {self.message}", file=file, err=file is None)


def _option_name(param: click.Parameter) -> str:
    names = [*param.opts, *param.secondary_opts]
    return max(names, key=len) if names else str(param.name)


def _param_name(param: click.Parameter | None, ctx: click.Context | None) -> str:
    if param is None:
        return "valeur"
    if isinstance(param, click.Argument):
        return param.make_metavar(ctx) if ctx else str(param.name).upper()  # type: ignore[arg-type, unused-ignore]
    return _option_name(param)


def _suggestions(possibilities: Sequence[str] | None) -> str:
    if not possibilities:
        return ""
    quoted = [f"« {p} »" for p in possibilities[:3]]
    choices = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} ou {quoted[-1]}"
    return f" ; vouliez-vous dire {choices} ?"


# Click's English for bad values of its other types, said in French.
_PATH = r"^(?:File|Directory|Path) '(.*)'"
_BAD_VALUES = (
    (re.compile(_PATH + r" does not exist\.$"), "« {0} » n'existe pas"),
    (re.compile(_PATH + r" is a directory\.$"), "« {0} » est un dossier, pas un fichier"),
    (re.compile(_PATH + r" is a file\.$"), "« {0} » est un fichier, pas un dossier"),
    (re.compile(_PATH + r" is not readable\.$"), "« {0} » n'est pas lisible"),
    (re.compile(_PATH + r" is not writable\.$"), "« {0} » n'est pas modifiable"),
    (re.compile(r"^'(.*)' is not a valid float\.$"), "« {0} » n'est pas un nombre"),
)
_OPTION_USAGE = (
    (re.compile(r"^Option '(.*)' requires an argument\.$"), "l'option {0} demande une valeur"),
    (re.compile(r"^Option '(.*)' requires (\d+) arguments\.$"), "l'option {0} demande {1} valeurs"),
    (re.compile(r"^Option '(.*)' does not take a value\.$"), "l'option {0} ne prend pas de valeur"),
    (re.compile(r"^Got unexpected extra arguments? \((.*)\)$"), "argument(s) en trop : {0}"),
    (re.compile(r"^Argument '(.*)' takes (\d+) values\.$"), "l'argument {0} demande {1} valeurs"),
    (re.compile(r"^Missing command\.$"), "il manque la commande"),
)


def _translated(message: str, patterns: Sequence[tuple[re.Pattern[str], str]]) -> str:
    for pattern, french in patterns:
        if match := pattern.match(message):
            return french.format(*match.groups())
    return message


def _describe(exc: click.UsageError) -> str:
    ctx = exc.ctx
    if isinstance(exc, click.NoSuchOption):
        return f"option inconnue « {exc.option_name} »{_suggestions(exc.possibilities)}"
    if isinstance(exc, NoSuchCommand):
        return f"commande inconnue « {exc.command_name} »{_suggestions(exc.possibilities)}"
    if isinstance(exc, click.MissingParameter):
        param = exc.param
        if isinstance(param, click.Argument):
            name = _param_name(param, ctx)
            usage = ""
            if ctx is not None:
                usage = (
                    f" (« {ctx.command_path} {' '.join(ctx.command.collect_usage_pieces(ctx))} »)"
                )
            return f"il manque l'argument {name}{usage}"
        if param is not None:
            option = _option_name(param)
            metavar = (
                f" {param.make_metavar(ctx)}"
                if ctx and not getattr(param, "is_flag", False)
                else ""
            )
            return f"il manque l'option obligatoire « {option}{metavar} »"
        return "il manque une valeur obligatoire"
    if isinstance(exc, click.BadParameter):
        message = _translated(exc.message, _BAD_VALUES)
        return f"{_param_name(exc.param, ctx)} : {message}"
    return _translated(exc.message, _OPTION_USAGE)


def french_usage_error(exc: click.UsageError, command_path: str) -> click.UsageError:
    """The same mistake as one French line: what is wrong, how to fix it, which help to read
    (that of `command_path` when click did not say which command it was parsing). Errors
    already in French, and a bare group (whose help click shows), are kept."""
    if isinstance(exc, FrenchUsageError | NoArgsIsHelpError):
        return exc
    text = _describe(exc).rstrip(".")
    path = exc.ctx.command_path if exc.ctx is not None else command_path
    end = " " if text.endswith("?") else ". "
    return FrenchUsageError(f"{text}{end}Voir « {path} --help ».", exc.ctx)
