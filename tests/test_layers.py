"""The package graph: the domain imports no channel, newsletters no web server, mail nothing of
newsletters.

Read from the source with `ast`, not by importing it: every `import` counts, at the top of a
module or inside a function (a lazy import is still a dependency), and so does an attribute of
an imported module (`aiohttp.web.Response` after `import aiohttp`). Relative imports are
resolved. A rule names what a folder must not import; a name matches a forbidden module and
everything under it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The channels and the chat platforms: the domain is called by them, never the other way.
_CHANNELS = r"click|hub\.web|hub\.cli|bots|discord"


@dataclass(frozen=True)
class Rule:
    folders: tuple[str, ...]  # source folders or files, relative to the repository's root
    forbidden: re.Pattern[str]  # matched against each imported dotted name
    why: str


RULES = (
    Rule(
        (
            "hub/events",
            "hub/subscribers",
            "hub/campaigns",
            "hub/community",
            "hub/privacy.py",
            "hub/ratelimit.py",
        ),
        re.compile(rf"(aiohttp|{_CHANNELS})(\.|$)"),
        "the domain imports no channel and no HTTP library",
    ),
    Rule(
        ("newsletters",),
        # aiohttp's client fetches the feeds; its server (aiohttp.web, aiohttp.web_*) is a channel.
        re.compile(rf"(aiohttp\.web\w*|{_CHANNELS})(\.|$)"),
        "newsletters imports no channel (aiohttp's client only, for the feeds)",
    ),
    Rule(
        ("hub/mail",),
        re.compile(r"newsletters(\.|$)"),
        "mail sends what others rendered: it imports nothing of newsletters",
    ),
    Rule(
        ("bench", "loopback"),
        re.compile(r"tests(\.|$)"),
        "benchmarks and stand-ins import nothing from the tests (the stand-ins are in loopback/)",
    ),
)

# Violations that were there when this test was written, each fixed by the branch that owns its
# file. Only exactly these (file, imported name) pairs pass: any other forbidden import, even in
# these files, fails. Remove an entry once its import is gone (the test below says when): the
# lead empties this set as the refactoring lands.
KNOWN_VIOLATIONS: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Violation:
    path: str  # relative to the root, with "/"
    line: int
    name: str  # the imported dotted name
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.name}: {self.why}"


def imported_names(source: str, package: str) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of everything a module imports; `package` resolves relative imports.

    `from a import b` gives "a.b" (b may be a module or a name in a: both are a dependency on
    a, and a rule on "a.b" needs the longer one); `import a.b as c` then `c.d` gives "a.b.d".
    """
    tree = ast.parse(source)
    aliases: dict[str, str] = {}  # local name -> module it is bound to by `import`
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
                local = alias.asname or alias.name.partition(".")[0]
                aliases[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                module = f"{base}.{module}" if module else base
            for alias in node.names:
                yield node.lineno, module if alias.name == "*" else f"{module}.{alias.name}"
    attributes = [node for node in ast.walk(tree) if isinstance(node, ast.Attribute)]
    inner = {id(node.value) for node in attributes}  # a.b inside a.b.c: a.b.c says it all
    for node in attributes:
        if id(node) not in inner:
            dotted = _dotted(node)
            if dotted is not None:
                head, _, rest = dotted.partition(".")
                if head in aliases:
                    yield node.lineno, f"{aliases[head]}.{rest}"


def _dotted(node: ast.expr) -> str | None:
    """'a.b.c' for the expression a.b.c, None if it does not start with a plain name."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def violations(root: Path, rules: tuple[Rule, ...] = RULES) -> list[Violation]:
    """Every forbidden import under the rules' folders, allowed or not."""
    found: list[Violation] = []
    for rule in rules:
        for folder in rule.folders:
            where = root / folder
            for path in [where] if where.is_file() else sorted(where.rglob("*.py")):
                relative = path.relative_to(root)
                package = ".".join(relative.parent.parts)
                seen: set[str] = set()
                for line, name in imported_names(path.read_text(encoding="utf-8"), package):
                    if rule.forbidden.match(name) and name not in seen:
                        seen.add(name)
                        found.append(Violation(relative.as_posix(), line, name, rule.why))
    return found


def new_violations(root: Path, known: frozenset[tuple[str, str]] = KNOWN_VIOLATIONS) -> list[str]:
    return [str(v) for v in violations(root) if (v.path, v.name) not in known]


def test_the_package_graph_is_respected() -> None:
    assert new_violations(ROOT) == []


def modules_run(source: str) -> Iterator[tuple[int, str]]:
    """(line, name) of every string that names a module of the tests, as in `python -m
    tests.support.x`: a command line that reaches into the tests without importing them."""
    for node in ast.walk(ast.parse(source)):
        value = node.value if isinstance(node, ast.Constant) else None
        if isinstance(value, str) and re.fullmatch(r"tests(\.\w+)+", value):
            yield node.lineno, value


def test_no_benchmark_runs_a_module_of_the_tests() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line} runs {name}"
        for path in sorted((ROOT / "bench").rglob("*.py"))
        for line, name in modules_run(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_every_known_violation_is_still_there() -> None:
    """Once a file no longer imports what it was allowed to, its entry goes: the list only
    shrinks, and nobody can lean on a stale entry later."""
    present = {(v.path, v.name) for v in violations(ROOT)}
    assert sorted(KNOWN_VIOLATIONS - present) == [], "remove these from KNOWN_VIOLATIONS"


# -- the checker itself, on a synthetic tree --------------------------------------------------


def _write(root: Path, relative: str, source: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for folder in ("hub/events", "hub/subscribers", "hub/campaigns", "hub/mail", "newsletters"):
        _write(tmp_path, f"{folder}/__init__.py", "")
    return tmp_path


def test_a_clean_tree_has_no_violation(tree: Path) -> None:
    _write(tree, "hub/events/service.py", "from hub.db import Database\nimport asyncio\n")
    _write(tree, "newsletters/fetch.py", "import aiohttp\nx = aiohttp.ClientSession\n")
    _write(tree, "hub/mail/message.py", "from hub.mail.placeholders import PLACEHOLDERS\n")
    assert new_violations(tree) == []


def test_the_domain_importing_a_channel_is_caught(tree: Path) -> None:
    _write(
        tree,
        "hub/events/service.py",
        "import click\n"
        "from ..web import app\n"  # relative: hub.web
        "def later():\n"
        "    from aiohttp import ClientSession\n"  # lazy, and aiohttp's client: still forbidden
        "    import discord.ext\n",
    )
    _write(tree, "hub/subscribers/service.py", "from hub import cli\nimport bots.welcome\n")
    assert sorted(v.name for v in violations(tree)) == [
        "aiohttp.ClientSession",
        "bots.welcome",
        "click",
        "discord.ext",
        "hub.cli",
        "hub.web.app",
    ]


def test_newsletters_may_use_aiohttps_client_but_not_its_server(tree: Path) -> None:
    _write(
        tree,
        "newsletters/fetch.py",
        "import aiohttp\n"
        "from aiohttp import ClientTimeout\n"
        "from aiohttp.web_response import Response\n"
        "app = aiohttp.web.Application()\n",
    )
    assert [(v.line, v.name) for v in violations(tree)] == [
        (3, "aiohttp.web_response.Response"),
        (4, "aiohttp.web.Application"),
    ]


def test_mail_importing_newsletters_is_caught(tree: Path) -> None:
    _write(tree, "hub/mail/message.py", "def f():\n    from newsletters.render import x\n")
    _write(tree, "hub/mail/smtp.py", "import newsletters\n")
    assert [str(v) for v in violations(tree)] == [
        "hub/mail/message.py:2 imports newsletters.render.x: mail sends what others rendered: "
        "it imports nothing of newsletters",
        "hub/mail/smtp.py:1 imports newsletters: mail sends what others rendered: "
        "it imports nothing of newsletters",
    ]


def test_a_known_violation_hides_nothing_else_in_its_file(tree: Path) -> None:
    _write(
        tree,
        "hub/events/background.py",
        "from aiohttp import web\nfrom aiohttp import ClientSession\n",
    )
    known = frozenset({("hub/events/background.py", "aiohttp.web")})
    assert new_violations(tree, known) == [
        "hub/events/background.py:2 imports aiohttp.ClientSession: "
        "the domain imports no channel and no HTTP library"
    ]


def test_a_rule_may_name_a_single_module(tree: Path) -> None:
    _write(tree, "hub/privacy.py", "import discord\n")
    _write(tree, "hub/community/agenda.py", "from bots.runtime import HubBot\n")
    assert new_violations(tree) == [
        "hub/community/agenda.py:1 imports bots.runtime.HubBot: "
        "the domain imports no channel and no HTTP library",
        "hub/privacy.py:1 imports discord: the domain imports no channel and no HTTP library",
    ]


def test_a_benchmark_reaching_into_the_tests_is_caught(tree: Path) -> None:
    source = (
        "from loopback.discord import DiscordServer\n"
        "def child():\n"
        "    from tests.bots.conftest import TOKENS\n"
        "    run('python', '-m', 'tests.support.sendgrid_server')\n"
    )
    _write(tree, "bench/discord.py", source)
    _write(tree, "loopback/sendgrid.py", "import tests.support.webhook_signing\n")
    assert new_violations(tree) == [
        "bench/discord.py:3 imports tests.bots.conftest.TOKENS: benchmarks and stand-ins import "
        "nothing from the tests (the stand-ins are in loopback/)",
        "loopback/sendgrid.py:1 imports tests.support.webhook_signing: benchmarks and stand-ins "
        "import nothing from the tests (the stand-ins are in loopback/)",
    ]
    assert list(modules_run(source)) == [(4, "tests.support.sendgrid_server")]
