"""Render benchmark: our whole `render_issue` against the official MJML, on the same issue.

The issue is the sample bimonthly one of `newsletters.samples` (12 articles, five sections with
the agenda, an editorial, images). Measured in one run, N times each, medians reported:
- ours: `render_issue` as the CLI runs it (Jinja, our MJML check, mjml-python, output checks,
  text part), with the Markdown cache emptied before each render so nothing is reused, and
  its stages on their own;
- the official MJML CLI started for each render, as a person would (`mjml -r issue.mjml -s`);
- the official MJML in process (node, `require('mjml')(input)` in a loop, after a warm-up).
Python measurements take turns, so that a busy machine slows them alike. The last line is one
JSON object with the figures. Targets: ours ≤ 50 ms, ≥ 10× faster than the CLI.

Usage: python bench/render.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from mjml import mjml_to_html  # noqa: E402

from hub.config import load_config  # noqa: E402
from newsletters.markup import markdown_to_html  # noqa: E402
from newsletters.mjml_check import check_mjml  # noqa: E402
from newsletters.render import issue_mjml, render_issue  # noqa: E402
from newsletters.samples import full_issue  # noqa: E402
from newsletters.templating import compile_mjml  # noqa: E402

NODE_DIR = PROJECT_ROOT / "tests" / "fidelity"
MJML_CLI = NODE_DIR / "node_modules" / ".bin" / "mjml"
TARGET_MS = 50.0
TARGET_RATIO = 10.0

# Times require('mjml')(input) `runs` times after a warm-up, prints the milliseconds as JSON.
NODE_LOOP = """
const mjml = require('mjml');
const input = require('fs').readFileSync(process.argv[1], 'utf8');
const runs = Number(process.argv[2]);
for (let i = 0; i < 5; i++) mjml(input);
const times = [];
for (let i = 0; i < runs; i++) {
  const start = process.hrtime.bigint();
  mjml(input);
  times.push(Number(process.hrtime.bigint() - start) / 1e6);
}
console.log(JSON.stringify(times));
"""


def medians(actions: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Median milliseconds of each action, run in turn so that a busy machine slows all alike.

    The Markdown cache is emptied before each call: every render starts from nothing.
    """
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(runs):
        for name, action in actions.items():
            markdown_to_html.cache_clear()
            start = time.perf_counter()
            action()
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="renders per renderer (20)")
    runs = parser.parse_args().runs
    if not MJML_CLI.exists():
        sys.exit(f"official MJML missing ({MJML_CLI}): run `make test-setup`")

    config = load_config()
    issue = full_issue(config, "bimestrielle")
    mjml = issue_mjml(issue, config)
    for _ in range(3):  # warm-up: imports, template compilation
        rendered = render_issue(issue, config)

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "issue.mjml"
        source.write_text(mjml, encoding="utf-8")
        # `mjml -s FILE` stops with "No input argument received" in 4.15.3: -r names the file.
        command = [str(MJML_CLI), "-r", str(source), "-s"]
        timings = medians(
            {
                "ours": lambda: render_issue(issue, config),
                "jinja": lambda: issue_mjml(issue, config),
                "check": lambda: check_mjml(mjml),
                "compile": lambda: compile_mjml(mjml),
                "mjml_python": lambda: mjml_to_html(mjml),
                "cli": lambda: subprocess.run(command, capture_output=True, check=True),
            },
            runs,
        )
        loop = subprocess.run(
            ["node", "-e", NODE_LOOP, str(source), str(runs)],
            cwd=NODE_DIR, capture_output=True, text=True, check=True,
        )  # fmt: skip
        in_process = statistics.median(json.loads(loop.stdout))

    ours, cli = timings["ours"], timings["cli"]
    size = rendered.meta["html_bytes"]
    verdict = {True: "met", False: "MISSED"}
    print(
        f"Bimonthly issue: {len(issue.articles)} articles, {len(issue.sections)} sections, "
        f"{len(mjml) / 1024:.1f} KB of MJML, {size / 1024:.1f} KB of HTML; {runs} runs each\n"
        f"  ours, render_issue (everything)        {ours:7.1f} ms median "
        f"(target ≤ {TARGET_MS:.0f} ms: {verdict[ours <= TARGET_MS]})\n"
        f"    Jinja + Markdown                     {timings['jinja']:7.1f} ms\n"
        f"    compile_mjml (check + mjml-python)   {timings['compile']:7.1f} ms\n"
        f"      of which our MJML check            {timings['check']:7.1f} ms\n"
        f"    (mjml-python given the whole MJML    {timings['mjml_python']:7.1f} ms: "
        f"mj-text contents not set aside)\n"
        f"  official MJML CLI, a process per render {cli:7.1f} ms median: {cli / ours:.1f}× ours "
        f"(target ≥ {TARGET_RATIO:.0f}×: {verdict[cli / ours >= TARGET_RATIO]})\n"
        f"  official MJML in process (node)        {in_process:7.1f} ms median: "
        f"{in_process / ours:.2f}× ours"
    )
    print(json.dumps({
        "runs": runs,
        "articles": len(issue.articles),
        "html_bytes": size,
        "ours_ms": round(ours, 2),
        "ours_jinja_ms": round(timings["jinja"], 2),
        "ours_check_ms": round(timings["check"], 2),
        "ours_compile_ms": round(timings["compile"], 2),
        "mjml_python_whole_ms": round(timings["mjml_python"], 2),
        "official_cli_ms": round(cli, 2),
        "official_in_process_ms": round(in_process, 2),
        "ratio_cli": round(cli / ours, 2),
        "ratio_in_process": round(in_process / ours, 2),
        "target_ms_met": ours <= TARGET_MS,
        "target_ratio_met": cli / ours >= TARGET_RATIO,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
