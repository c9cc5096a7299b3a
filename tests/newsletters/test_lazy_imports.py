"""Every `hub` command imports the newsletters package; only the commands that render, read a
feed or fetch one load the libraries for it (mjml-python and BeautifulSoup alone take a tenth
of a second)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("mjml", "bs4", "jinja2", "markdown", "nh3", "feedparser", "aiohttp")


def _loaded_after(statement: str) -> list[str]:
    """The HEAVY libraries loaded by `statement`, run in a fresh interpreter."""
    code = f"import sys\n{statement}\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout.split()


def test_importing_every_newsletters_module_loads_none_of_the_heavy_libraries() -> None:
    modules = sorted(p.stem for p in (ROOT / "newsletters").glob("*.py") if p.stem != "__init__")
    assert "render" in modules and "fetch" in modules
    assert _loaded_after("\n".join(f"import newsletters.{m}" for m in modules)) == []


def test_rendering_and_parsing_load_them_when_used() -> None:
    statement = (
        "from newsletters.markup import markdown_to_html\n"
        "from newsletters.parse import _feedparser\n"
        "from newsletters.templating import _environment\n"
        "from hub.config import TEMPLATES_DIR\n"
        "markdown_to_html('*x*')\n"
        "_feedparser()\n"
        "_environment(TEMPLATES_DIR, 'mjml')\n"
    )
    assert _loaded_after(statement) == ["jinja2", "markdown", "nh3", "feedparser"]
