"""CSV import benchmark: a realistic file of subscribers into a fresh SQLite file.

The file has French names, organisations and roles spelt as staff type them (accents, feminine
forms, oui/non), example.org addresses in mixed case, and about 1 % bad rows (broken address,
unknown role, duplicate, missing column). Each run imports it with the real importer onto a
members-only list (the slowest rules) in a new database, then imports it again (everything
already there). Medians over the runs. The last line is one JSON object with the figures.
Target: 100,000 rows in ≤ 10 s (scaled to --rows).

Usage: python bench/import.py [--rows N] [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from hub.config import DEFAULT_CONFIG, load_config  # noqa: E402
from hub.db import Database  # noqa: E402
from hub.subscribers.importer import ImportReport, import_csv  # noqa: E402
from hub.subscribers.service import Subscribers  # noqa: E402

TARGET_S_PER_100K = 10.0  # seconds for 100,000 rows, scaled to --rows
LIST = "adherents-flash"
FIRST_NAMES = (
    "Marie", "Jean", "Élodie", "François", "Anne", "Hélène", "Loïc", "Chloé", "Thierry",
    "Nathalie", "Benoît", "Agnès", "Jérôme", "Sophie", "Gaëlle", "Mathieu", "Céline", "Noël",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Girard", "Rousseau", "Fournier",
    "Mercier", "Boyer", "Gauthier", "Chevalier", "Lemaître", "Perrin", "Durand", "Faure",
)  # fmt: skip
PLACES = (
    "Val de Loire", "Pays Basque", "Grand Nancy", "Côte d'Opale", "Haute-Savoie Nord",
    "Bassin d'Arcachon", "Lyon 8e", "Sud Finistère", "Aube et Seine", "Pays de Retz",
)  # fmt: skip
ROLES = ("salarié", "élue", "Coordinatrice", "coordinateur", "directeur", "partenaire", "", "autre")
MEMBER = ("oui", "Oui", "1", "true", "vrai")


def ascii_fold(text: str) -> str:
    """What people do with accents in their address: Élodie.Lefèvre → Elodie.Lefevre."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def write_csv(path: Path, rows: int, seed: int = 42) -> int:
    """A staff-like export with ~1 % bad rows; returns how many rows are bad."""
    rng = random.Random(seed)
    bad = 0
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["email", "first_name", "last_name", "organisation", "role", "member"])
        previous = ""
        for n in range(rows):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{ascii_fold(f'{first}.{last}{n}')}@Example.org"
            row = [
                email,
                first,
                last,
                f"CPTS {rng.choice(PLACES)}",
                rng.choice(ROLES),
                rng.choice(MEMBER),
            ]
            kind = rng.random()
            if kind < 0.003:
                row[0] = email.replace("@", " @")  # a typo
            elif kind < 0.005:
                row[4] = "stagiaire"  # not a role
            elif kind < 0.008 and previous:
                row[0] = previous.lower()  # the row above, typed again
            elif kind < 0.01:
                row = row[:4]  # columns missing
            bad += kind < 0.01
            previous = email
            writer.writerow(row)
    return bad


async def one_run(source: Path, tmp: Path) -> tuple[float, float, float, ImportReport]:
    """(first import s, its CPU s, second import s, first report) on a fresh database.

    CPU time (this process, SQLite's thread included) is shown too: on a machine shared with
    other work, it varies less than the elapsed time.
    """
    config = load_config(DEFAULT_CONFIG, env={"HUB_DATA_DIR": str(tmp / "var")})
    async with await Database.open(config.database_path) as db:
        service = Subscribers(db, config)
        started, cpu = time.perf_counter(), time.process_time()
        report = await import_csv(service, source, LIST, None, report_path=tmp / "rejets.csv")
        first_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu
        started = time.perf_counter()
        again = await import_csv(service, source, LIST, None, report_path=tmp / "rejets2.csv")
        second_s = time.perf_counter() - started
    assert again.imported == 0 and again.already == report.imported, again
    return first_s, cpu_s, second_s, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the file (100000)")
    parser.add_argument("--runs", type=int, default=3, help="fresh-database runs (3)")
    args = parser.parse_args()
    os.environ.setdefault("HUB_SECRET_KEY", "WsT7M_8Ot8b4h_oUW8kfQzdciypsg1a1jIhuMF8O3JM")

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        source = tmp / "abonnes.csv"
        bad = write_csv(source, args.rows)
        size_mb = source.stat().st_size / 1e6
        results = []
        for run in range(args.runs):
            run_dir = tmp / f"run{run}"
            run_dir.mkdir()
            results.append(asyncio.run(one_run(source, run_dir)))

    first = statistics.median(r[0] for r in results)
    cpu = statistics.median(r[1] for r in results)
    second = statistics.median(r[2] for r in results)
    report = results[0][3]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
    target = TARGET_S_PER_100K * args.rows / 100_000
    verdict = "met" if first <= target else "MISSED"
    print(
        f"{args.rows} rows ({size_mb:.1f} MB, {bad} bad) onto the members-only list {LIST}; "
        f"{args.runs} runs, a fresh database each\n"
        f"  first import   {first:6.2f} s median, {args.rows / first:,.0f} rows/s "
        f"(target ≤ {target:.1f} s: {verdict}); runs: "
        f"{', '.join(f'{r[0]:.2f}' for r in results)}\n"
        f"  CPU time       {cpu:6.2f} s median for the first import\n"
        f"  same again     {second:6.2f} s median (nothing changes); runs: "
        f"{', '.join(f'{r[2]:.2f}' for r in results)}\n"
        f"  peak memory    {peak_mb:6.1f} MB (ru_maxrss of this process)\n"
        f"  result         {report.imported} imported, {report.rejected} rejected, "
        f"{report.skipped} skipped"
    )
    print(json.dumps({
        "rows": args.rows,
        "runs": args.runs,
        "first_import_median_s": round(first, 3),
        "first_import_cpu_median_s": round(cpu, 3),
        "second_import_median_s": round(second, 3),
        "rows_per_s": round(args.rows / first),
        "peak_rss_mb": round(peak_mb, 1),
        "imported": report.imported,
        "rejected": report.rejected,
        "target_s": round(target, 3),
        "target_met": first <= target,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
