"""Feed pull benchmark: 50 feeds × 50 items from a loopback server, into a fresh SQLite file.

The server runs in another process (so its work does not count against ours) and serves
realistic items: French titles, two or three paragraphs of HTML with links and an image, a
category, a media:content image; with ETag and Last-Modified. Each run opens a new database,
times a first pull (fetch, parse, sanitize, store 2,500 items) and a conditional re-pull (50
requests answered 304), then watches the event loop during another first pull (another
fresh database): the longest it waited for a turn. Medians over the runs. The last line is
one JSON object with the figures. Targets: first pull ≤ 3 s, re-pull ≤ 1 s, peak memory ≤ 150 MB.

Usage: python bench/feeds.py [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from aiohttp import web  # noqa: E402

from hub.config import FeedSource  # noqa: E402
from hub.db import Database  # noqa: E402
from newsletters.fetch import PullReport, pull_feeds  # noqa: E402

FEEDS = 50
ITEMS = 50
TARGET_FIRST_S = 3.0
TARGET_REPULL_S = 1.0
TARGET_RSS_MB = 150.0
CATEGORIES = ("Actualités", "Plaidoyer", "Vie des CPTS", "Outils et ressources", "Agenda")
TOPICS = (
    "l'accès aux soins non programmés",
    "la prévention du diabète",
    "le parcours des personnes âgées",
    "la santé mentale des jeunes",
    "l'accueil des internes",
    "la coordination ville-hôpital",
)


def feed_body(feed: int) -> bytes:
    """One feed of `ITEMS` realistic items (about 100 KB)."""
    published = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    items = []
    for i in range(ITEMS):
        topic = TOPICS[(feed + i) % len(TOPICS)]
        paragraphs = "".join(
            f"<p>La CPTS n° {feed}-{i} a réuni ses membres, médecins, infirmiers, pharmaciens et "
            f"kinésithérapeutes, autour de {topic}. <strong>Les échanges</strong> ont permis de "
            f'définir les prochaines étapes du projet de santé ; <a href="/actualites/{feed}/{i}/'
            f'compte-rendu">lire le compte rendu</a> et <em>les annexes</em>.</p>'
            for _ in range(2 + i % 2)
        )
        when = format_datetime(published - timedelta(hours=feed * ITEMS + i))
        items.append(
            f"<item><title>Journée territoriale n° {i} : {topic}, où en est-on ?</title>"
            f"<link>https://www.fcpts.org/actualites/{feed}/{i}/</link>"
            f'<guid isPermaLink="false">fcpts-{feed}-{i}</guid><pubDate>{when}</pubDate>'
            f"<category>{CATEGORIES[i % len(CATEGORIES)]}</category>"
            f"<description><![CDATA[{paragraphs[:280]}…]]></description>"
            f'<content:encoded><![CDATA[{paragraphs}<p><img src="/images/{feed}-{i}.jpg" '
            f'alt="Photo de la journée"></p>]]></content:encoded>'
            f'<media:content url="https://www.fcpts.org/images/{feed}-{i}.jpg" medium="image" '
            f'type="image/jpeg"/></item>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:media="http://search.yahoo.com/mrss/"><channel>'
        f"<title>CPTS, région {feed}</title><link>https://www.fcpts.org/</link>"
        f"<description>Flux n° {feed}</description>{''.join(items)}</channel></rss>"
    ).encode()


def serve(ready: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """The loopback feed server (another process): 304 when ETag or Last-Modified match."""
    last_modified = "Fri, 20 Nov 2026 09:00:00 GMT"
    bodies = {f"/feeds/{n}.xml": feed_body(n) for n in range(FEEDS)}
    etags = {path: f'"{hashlib.sha256(body).hexdigest()[:16]}"' for path, body in bodies.items()}

    async def handler(request: web.Request) -> web.Response:
        path = request.path
        if path not in bodies:
            raise web.HTTPNotFound()
        headers = {"ETag": etags[path], "Last-Modified": last_modified}
        if request.headers.get("If-None-Match") == etags[path] or (
            request.headers.get("If-Modified-Since") == last_modified
        ):
            return web.Response(status=304, headers=headers)
        return web.Response(
            body=bodies[path], headers={**headers, "Content-Type": "application/rss+xml"}
        )

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/feeds/{name}", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        sockets = site._server.sockets  # type: ignore[union-attr]
        ready.put((sockets[0].getsockname()[1], sum(map(len, bodies.values()))))
        await asyncio.Event().wait()

    asyncio.run(main())


async def pull(db: Database, sources: list[FeedSource]) -> PullReport:
    return await pull_feeds(db, sources, timeout=20, max_bytes=10_000_000, local_tz=UTC)


async def timed_run(sources: list[FeedSource], tmp: Path) -> tuple[float, float, int]:
    """(first pull s, conditional re-pull s, items stored), on a fresh database."""
    async with await Database.open(tmp / "timed.sqlite3") as db:
        started = time.perf_counter()
        first = await pull(db, sources)
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        again = await pull(db, sources)
        repull_s = time.perf_counter() - started
        async with db.conn.execute("SELECT COUNT(*) FROM items") as cursor:
            row = await cursor.fetchone()
    assert all(f.status == "ok" for f in first.feeds), [f.error for f in first.feeds]
    assert all(f.status == "not-modified" for f in again.feeds)
    return first_s, repull_s, int(row[0]) if row else 0


async def watched_pull(sources: list[FeedSource], tmp: Path) -> float:
    """The longest the event loop waited for a turn during a first pull, in seconds.

    Apart from the timed pulls: waking every 5 ms takes the GIL from the parser that often,
    which slows the pull itself down measurably.
    """
    lags: list[float] = []

    async def watch_loop() -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - started - 0.005)

    async with await Database.open(tmp / "watched.sqlite3") as db:
        watcher = asyncio.create_task(watch_loop())
        await pull(db, sources)
        watcher.cancel()
    return max(lags)


async def one_run(sources: list[FeedSource]) -> tuple[float, float, float, int]:
    """(first pull s, re-pull s, longest event-loop wait s, items), each on a fresh database."""
    with tempfile.TemporaryDirectory() as tmp:
        first_s, repull_s, items = await timed_run(sources, Path(tmp))
        lag_s = await watched_pull(sources, Path(tmp))
    return first_s, repull_s, lag_s, items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh-database runs (5)")
    runs = parser.parse_args().runs

    spawn = multiprocessing.get_context("spawn")  # a clean process: none of our memory
    ready = spawn.Queue()
    server = spawn.Process(target=serve, args=(ready,), daemon=True)
    server.start()
    try:
        port, served_bytes = ready.get(timeout=60)
        sources = [
            FeedSource(f"region-{n}", f"http://127.0.0.1:{port}/feeds/{n}.xml")
            for n in range(FEEDS)
        ]
        results = [asyncio.run(one_run(sources)) for _ in range(runs)]
    finally:
        server.terminate()
        server.join()

    first = statistics.median(r[0] for r in results)
    repull = statistics.median(r[1] for r in results)
    lag_ms = statistics.median(r[2] for r in results) * 1000
    items = results[0][3]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
    verdict = {True: "met", False: "MISSED"}
    print(
        f"{FEEDS} feeds × {ITEMS} items ({served_bytes / 1e6:.1f} MB of RSS) from a loopback "
        f"server in another process; {runs} runs, a fresh database each\n"
        f"  first pull     {first:6.2f} s median (target ≤ {TARGET_FIRST_S:.0f} s: "
        f"{verdict[first <= TARGET_FIRST_S]}); runs: "
        f"{', '.join(f'{r[0]:.2f}' for r in results)}\n"
        f"  re-pull (304)  {repull:6.2f} s median (target ≤ {TARGET_REPULL_S:.0f} s: "
        f"{verdict[repull <= TARGET_REPULL_S]}); runs: "
        f"{', '.join(f'{r[1]:.2f}' for r in results)}\n"
        f"  event loop     {lag_ms:6.1f} ms median of the longest wait for a turn during a "
        "first pull\n"
        f"  peak memory    {peak_mb:6.1f} MB (ru_maxrss of this process; target ≤ "
        f"{TARGET_RSS_MB:.0f} MB: {verdict[peak_mb <= TARGET_RSS_MB]})\n"
        f"  items stored   {items}"
    )
    print(json.dumps({
        "first_pull_median_s": round(first, 3),
        "repull_median_s": round(repull, 3),
        "max_loop_lag_median_ms": round(lag_ms, 1),
        "peak_rss_mb": round(peak_mb, 1),
        "items": items,
        "feeds": FEEDS,
        "runs": runs,
        "targets_met": first <= TARGET_FIRST_S
        and repull <= TARGET_REPULL_S
        and peak_mb <= TARGET_RSS_MB,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
