"""Start-up benchmark: how long `hub --help` and `hub events list` take, from the shell.

Each run is a new process (`python -m hub …`, from this checkout), as staff type it; `hub
events list` reads a fresh temporary database (migrated by one untimed run first). The floor
is `python -c "import click"` in the same run: the interpreter and click, which every command
pays whatever we do. The three are run in turn, N times each, so a busy machine slows them
alike; the figures are medians. Target: each command under 0.3 s (issue 10, item 8). The last
line is one JSON object with the figures.

Usage: python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.3
COMMANDS = {
    "click": ["-c", "import click"],
    "help": ["-m", "hub", "--help"],
    "events_list": ["-m", "hub", "events", "list"],
}


def timed(args: list[str], env: dict[str, str]) -> float:
    """Seconds from spawning the process to its exit; a failing command stops the bench."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, *args], cwd=PROJECT_ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="hub-startup-") as data_dir:
        env = {**os.environ, "HUB_DATA_DIR": data_dir, "HUB_MAIL_BACKEND": "outbox"}
        env.pop("HUB_CONFIG", None)  # the checkout's config/hub.toml
        timed(COMMANDS["events_list"], env)  # creates and migrates the database: not timed
        times: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for _ in range(runs):
            for name, args in COMMANDS.items():
                times[name].append(timed(args, env))
    median = {name: statistics.median(values) for name, values in times.items()}
    floor = median["click"]
    verdict = {True: "met", False: "NOT met"}
    print(f"Start-up, median of {runs} runs each (python {sys.version.split()[0]}):")
    print(f"  python -c 'import click'  {floor * 1000:6.0f} ms  (the floor)")
    for name, label in (("help", "hub --help"), ("events_list", "hub events list")):
        seconds = median[name]
        print(
            f"  {label:<24}  {seconds * 1000:6.0f} ms  ({seconds / floor:.1f}× the floor; "
            f"target < {TARGET_S * 1000:.0f} ms: {verdict[seconds < TARGET_S]})"
        )
    print(json.dumps({
        "click_median_s": round(floor, 3),
        "help_median_s": round(median["help"], 3),
        "events_list_median_s": round(median["events_list"], 3),
        "help_ratio": round(median["help"] / floor, 2),
        "events_list_ratio": round(median["events_list"] / floor, 2),
        "runs": runs,
        "targets_met": median["help"] < TARGET_S and median["events_list"] < TARGET_S,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
