"""Send benchmark: one campaign to N subscribers through the sendgrid backend, against the local
SendGrid server running in another process; and, in the same run, the way a user would do it
without the hub: the official `sendgrid` client sending the same recipients in 1,000-recipient
`Mail` objects, one `send()` after another.

The hub's send runs in a child process of its own (a copy of a prepared SQLite file holding the
subscribers and the campaign), so its peak memory (VmHWM) is the hub's alone. It covers what
`hub campaign send` does: freeze the audience, claim each batch, sign two links per recipient,
build and post the requests (four in flight), record every outcome. The server validates a
sample of the requests against SendGrid's contract (every 10th in full, all of their top level).
Medians over the runs; the last line is one JSON object with the figures.
Targets: 100,000 recipients handed off in ≤ 5 s, peak memory ≤ 250 MB, ≥ 2× the official client.

Usage: python bench/send.py [--recipients 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from hub.config import DEFAULT_CONFIG, load_config  # noqa: E402
from hub.db import Database  # noqa: E402

TARGET_SECONDS = 5.0
TARGET_RSS_MB = 250.0
TARGET_RATIO = 2.0
API_KEY = "SG.bench-key"
SECRET = "Zf9-vB47cznKCzdlC3ymtOGyWAmRTIy8Ifspe4IXGmU"
BATCH = 1000


def _config_file(folder: Path) -> Path:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    text = text.replace('data_dir = "../var"', f'data_dir = "{folder / "var"}"')
    path = folder / "hub.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "HUB_MAIL_BACKEND": "sendgrid",
        "SENDGRID_API_KEY": API_KEY,
        "HUB_SENDGRID_API_URL": url,
        "HUB_SECRET_KEY": SECRET,
    }


async def _prepare(config_path: Path, recipients: int) -> int:
    """Subscribers and a campaign in a fresh database; returns the campaign id."""
    from hub.campaigns.service import create_campaign
    from hub.subscribers.service import Consent, Person, Subscribers
    from newsletters.draft import write_draft
    from newsletters.samples import full_issue

    config = load_config(config_path, env={})
    draft = config_path.parent / "bimestrielle.md"
    draft.write_text(write_draft(full_issue(config, "bimestrielle", number=5)), encoding="utf-8")
    consent = Consent("import", "Abonné du banc d'essai", "bench")
    async with await Database.open(config.database_path) as db:
        service = Subscribers(db, config)
        for start in range(0, recipients, 10_000):
            people = [
                Person(f"abonne{i:06d}@example.org", first_name="Dominique", organisation="CPTS")
                for i in range(start, min(start + 10_000, recipients))
            ]
            await service.subscribe_many(people, ["bimestrielle"], consent, confirmed=True)
        campaign = await create_campaign(db, config, draft)
    return campaign.id


async def _child_send(config_path: Path, campaign_id: int) -> None:
    """In the child: send the campaign as `hub campaign send` does, then report."""
    from hub.campaigns.sender import Sender
    from hub.mail.factory import make_messenger

    config = load_config(config_path)
    async with await Database.open(config.database_path) as db:
        messenger = make_messenger(config)
        started = time.perf_counter()
        progress = await Sender(db, config, messenger).start(campaign_id)
        seconds = time.perf_counter() - started
        await messenger.close()
    with open("/proc/self/status", encoding="ascii") as status:
        hwm_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(
        json.dumps(
            {"seconds": seconds, "accepted": progress.accepted, "peak_rss_mb": hwm_kb / 1024}
        )
    )


def _stats(url: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{url}/__fake__/stats") as response:
        return json.load(response)


def _official_client(url: str, recipients: int) -> float:
    """What a user would write with the official client: Mail objects of 1,000, sent in turn."""
    from sendgrid import SendGridAPIClient
    from sendgrid.helpers.mail import (
        Category,
        CustomArg,
        Header,
        Mail,
        Personalization,
        Substitution,
        To,
    )

    html = "<p>Bonjour[[first_name]],</p>" + "<p>Actualités des CPTS.</p>" * 400
    text = "Bonjour[[first_name]],\n" + "Actualités des CPTS.\n" * 400
    client = SendGridAPIClient(api_key=API_KEY, host=url)
    started = time.perf_counter()
    for start in range(0, recipients, BATCH):
        mail = Mail(
            from_email=("lettre@fcpts.org", "FCPTS"),
            subject="La lettre de la FCPTS n°5",
            plain_text_content=text,
            html_content=html,
        )
        mail.category = Category("bimestrielle")
        for i in range(start, min(start + BATCH, recipients)):
            personalization = Personalization()
            personalization.add_to(To(f"abonne{i:06d}@example.org"))
            personalization.add_substitution(Substitution("[[first_name]]", " Dominique"))
            link = f"https://lettre.fcpts.org/u/{i:040d}"
            personalization.add_substitution(Substitution("[[unsubscribe_url]]", link))
            personalization.add_substitution(Substitution("[[preferences_url]]", link))
            personalization.add_header(Header("List-Unsubscribe", f"<{link}>"))
            personalization.add_custom_arg(CustomArg("send_log_id", str(i)))
            mail.add_personalization(personalization)
        response = client.send(mail)
        assert response.status_code == 202, response.status_code
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("CONFIG", "CAMPAIGN"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(_child_send(Path(args.child[0]), int(args.child[1])))
        return

    work = Path(tempfile.mkdtemp(prefix="hub-bench-send-"))
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "loopback.sendgrid", "--port", "0"),
            *("--validate", "sample", "--api-key", API_KEY),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        prepared = work / "prepared"
        prepared.mkdir()
        print(f"Préparation : {args.recipients} abonnés et une campagne…", flush=True)
        campaign_id = asyncio.run(_prepare(_config_file(prepared), args.recipients))

        hub_runs: list[dict[str, float]] = []
        official: list[float] = []
        calls_before = _stats(url)["requests"]
        for run in range(args.runs):
            folder = work / f"run{run}"
            shutil.copytree(prepared, folder)
            config_path = _config_file(folder)
            child = subprocess.run(
                [sys.executable, __file__, "--child", str(config_path), str(campaign_id)],
                env=_env(url),
                capture_output=True,
                text=True,
                check=True,
            )
            result = json.loads(child.stdout.splitlines()[-1])
            assert result["accepted"] == args.recipients, result
            hub_runs.append(result)
            official.append(_official_client(url, args.recipients))
            print(
                f"run {run + 1}: hub {result['seconds']:.2f} s "
                f"({args.recipients / result['seconds']:,.0f}/s, "
                f"{result['peak_rss_mb']:.0f} MB) · client officiel {official[-1]:.2f} s",
                flush=True,
            )
        stats = _stats(url)
        # Per hub run: the batch_id call plus one Mail Send per 1,000; the client's are the rest.
        hub_calls = (stats["requests"] - calls_before) // args.runs - -(-args.recipients // BATCH)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)

    hub_seconds = statistics.median(r["seconds"] for r in hub_runs)
    peak_mb = max(r["peak_rss_mb"] for r in hub_runs)
    official_seconds = statistics.median(official)
    ratio = official_seconds / hub_seconds
    print(
        f"hub : {args.recipients} destinataires remis en {hub_seconds:.2f} s (médiane ; "
        f"cible ≤ {TARGET_SECONDS} s), {args.recipients / hub_seconds:,.0f}/s, "
        f"{hub_calls} appels API, pic mémoire {peak_mb:.0f} Mo (cible ≤ {TARGET_RSS_MB:.0f})"
    )
    print(
        f"client officiel sendgrid, Mail de {BATCH} envoyés l'un après l'autre : "
        f"{official_seconds:.2f} s → le hub est {ratio:.1f}× plus rapide (cible ≥ {TARGET_RATIO}×)"
    )
    print(
        json.dumps(
            {
                "recipients": args.recipients,
                "runs": args.runs,
                "hub_seconds_median": round(hub_seconds, 3),
                "hub_recipients_per_second": round(args.recipients / hub_seconds),
                "hub_api_calls": hub_calls,
                "hub_peak_rss_mb": round(peak_mb, 1),
                "official_client_seconds_median": round(official_seconds, 3),
                "ratio_vs_official_client": round(ratio, 2),
                "targets": {
                    "seconds": TARGET_SECONDS,
                    "peak_rss_mb": TARGET_RSS_MB,
                    "ratio": TARGET_RATIO,
                },
                "targets_met": hub_seconds <= TARGET_SECONDS
                and peak_mb <= TARGET_RSS_MB
                and ratio >= TARGET_RATIO,
            }
        )
    )


if __name__ == "__main__":
    main()
