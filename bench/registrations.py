"""Registration benchmark: 2,000 people register at the same instant, over HTTP, to `hub run`
for an event of 1,000 seats (the opening of the Journées Nationales' registrations).

Each run starts `hub run` in its own process on a fresh SQLite file (outbox backend: the
confirmation e-mails are really written), creates the event, then sends every registration
form at once from this process (one connection each) and times each answer. Afterwards it
counts, in the database, who got a seat and who is on the waiting list. Medians over the runs.
The last line is one JSON object with the figures.

Targets: exactly 1,000 confirmed and 1,000 waitlisted, 0 errors, p99 ≤ 500 ms.

Usage: python bench/registrations.py [--people N] [--seats N] [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from hub.config import DEFAULT_CONFIG, load_config  # noqa: E402
from hub.db import Database  # noqa: E402
from hub.events.service import Events, NewEvent  # noqa: E402

TARGET_P99_MS = 500.0


def bench_config(folder: Path, people: int) -> Path:
    """The shipped configuration with its data in `folder`, and a per-IP limit that lets the
    whole crowd in (it comes from one address here)."""
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    text = text.replace('data_dir = "../var"', f'data_dir = "{folder / "var"}"')
    text = text.replace(
        "registrations_per_ip_per_hour = 20", f"registrations_per_ip_per_hour = {people * 2}"
    )
    text = re.sub(r"\[\[feeds\.sources\]\]\n[^\[]*", "", text)  # no feed pulls during the run
    path = folder / "hub.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def create_event(config_path: Path, seats: int) -> str:
    config = load_config(config_path, env={})
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    async with await Database.open(config.database_path) as db:
        event = await Events(db, config).create(
            NewEvent(
                title="Journées Nationales des CPTS 2027",
                kind="webinaire-partenaires",
                starts_at=start,
                ends_at=start + timedelta(hours=8),
                audience="public",
                capacity=seats,
                waitlist="auto",
                questions=[],
                publish=True,
            )
        )
    return event.slug


def start_hub(config_path: Path) -> tuple[subprocess.Popen[str], str]:
    env = {
        **os.environ,
        "HUB_SECRET_KEY": "HVBfhXMmtII9MjkkXUZAxVnorypIq0uoXLtvEFgwG70",
        "HUB_MAIL_BACKEND": "outbox",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "hub", "--config", str(config_path), "run", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r"http://[\d.]+:\d+", line)
    if not found:
        process.kill()
        raise SystemExit(f"hub run did not start: {line!r}")
    return process, found[0]


async def crowd(url: str, slug: str | None, people: int) -> tuple[list[float], int]:
    """Every registration at once; (latencies in ms of the successful ones, errors). Without
    `slug`, the same crowd asks `GET /healthz` instead: the floor the HTTP layer alone costs.

    The requests are written on raw sockets (`Connection: close`, the answer read to its end)
    rather than through an HTTP client library: on two shared cores, a client's own parsing
    would be counted in the server's latency.
    """
    parsed = urlsplit(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    start = asyncio.Event()

    async def one(n: int) -> float | None:
        body = urlencode(
            {
                "email": f"participant{n}@example.org",
                "prenom": "Camille",
                "nom": f"Participant {n}",
                "organisation": "CPTS de démonstration",
                "consentement": "oui",
            }
        ).encode()
        request = (
            (
                f"POST /evenements/{slug} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode()
            + body
            if slug
            else f"GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
        )
        await start.wait()
        began = time.perf_counter()
        try:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(request)
            answer = await asyncio.wait_for(reader.read(), timeout=120)
            writer.close()
        except (OSError, TimeoutError):
            return None
        elapsed = (time.perf_counter() - began) * 1000
        return elapsed if answer.startswith(b"HTTP/1.1 200 ") else None

    tasks = [asyncio.create_task(one(n)) for n in range(people)]
    await asyncio.sleep(0.2)  # every task waiting at the start line
    start.set()
    results = await asyncio.gather(*tasks)
    latencies = sorted(r for r in results if r is not None)
    return latencies, people - len(latencies)


def seats_in_database(config_path: Path) -> dict[str, int]:
    config = load_config(config_path, env={})
    with sqlite3.connect(config.database_path) as conn:
        return dict(conn.execute("SELECT status, COUNT(*) FROM registrations GROUP BY status"))


def percentile(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


async def run_once(people: int, seats: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-registrations-") as tmp:
        config_path = bench_config(Path(tmp), people)
        slug = await create_event(config_path, seats)
        process, url = start_hub(config_path)
        try:
            floor, _ = await crowd(url, None, people)
            began = time.perf_counter()
            latencies, errors = await crowd(url, slug, people)
            wall = time.perf_counter() - began
        finally:
            process.terminate()
            process.wait(timeout=30)
        counts = seats_in_database(config_path)
    return {
        "confirmed": counts.get("confirmed", 0),
        "waitlisted": counts.get("waitlisted", 0),
        "errors": errors,
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "wall_s": wall,
        "healthz_p99_ms": percentile(floor, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--seats", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    runs = []
    for i in range(args.runs):
        result = asyncio.run(run_once(args.people, args.seats))
        runs.append(result)
        print(
            f"run {i + 1}: {result['confirmed']} confirmed, {result['waitlisted']} waitlisted, "
            f"{result['errors']} errors, p50 {result['p50_ms']:.0f} ms, "
            f"p99 {result['p99_ms']:.0f} ms, all answered in {result['wall_s']:.2f} s; "
            f"the same crowd on GET /healthz: p99 {result['healthz_p99_ms']:.0f} ms"
        )
    median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    exact = all(
        r["confirmed"] == args.seats and r["waitlisted"] == args.people - args.seats for r in runs
    )
    print(
        f"median of {args.runs}: p50 {median['p50_ms']:.0f} ms, p99 {median['p99_ms']:.0f} ms "
        f"(target ≤ {TARGET_P99_MS:.0f} ms), {median['wall_s']:.2f} s for {args.people} people; "
        f"seats exact in every run: {exact}"
    )
    print(
        json.dumps(
            {
                "people": args.people,
                "seats": args.seats,
                "runs": args.runs,
                "confirmed": median["confirmed"],
                "waitlisted": median["waitlisted"],
                "errors": median["errors"],
                "p50_ms": round(median["p50_ms"], 1),
                "p99_ms": round(median["p99_ms"], 1),
                "wall_s": round(median["wall_s"], 3),
                "healthz_p99_ms": round(median["healthz_p99_ms"], 1),
                "seats_exact_every_run": exact,
                "target_p99_ms": TARGET_P99_MS,
            }
        )
    )


if __name__ == "__main__":
    main()
