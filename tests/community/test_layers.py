"""The domain imports no channel: `hub/community` knows nothing of Discord or of the bots, so
the rules it holds serve the command line and the web as well."""

from __future__ import annotations

import ast
from pathlib import Path

COMMUNITY = Path(__file__).resolve().parents[2] / "hub" / "community"
CHANNELS = ("discord", "bots", "aiohttp", "click", "hub.web", "hub.cli")


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_community_domain_imports_no_channel() -> None:
    modules = sorted(COMMUNITY.glob("*.py"))
    assert len(modules) >= 5
    for module in modules:
        for name in imported(module):
            assert not name.startswith(CHANNELS), f"{module.name} imports {name}"
