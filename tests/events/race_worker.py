"""One of the processes of the race test: waits for the start signal, then registers its people
for the event all at once, each on its own connection, and prints the statuses as JSON."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from hub.config import load_config
from hub.db import Database
from hub.events.model import Refused
from hub.events.service import Events
from hub.subscribers.service import Person


async def register(config_path: Path, event_id: int, email: str, seat_lock: bool) -> str:
    config = load_config(config_path, env={})
    db = await Database.open(config.database_path)
    try:
        registered = await Events(db, config, seat_lock=seat_lock).register(
            event_id, Person(email, role="salarie", member=True), source="web"
        )
        return registered.registration.status
    except Refused as exc:
        return f"refused: {exc}"
    finally:
        await db.close()


async def main() -> None:
    config_path, event_id, first, count, go_file, locking = sys.argv[1:7]
    emails = [f"course{n}@cpts-exemple.fr" for n in range(int(first), int(first) + int(count))]
    print("ready", flush=True)
    go = Path(go_file)
    while not go.exists():
        time.sleep(0.002)
    statuses = await asyncio.gather(
        *(register(Path(config_path), int(event_id), e, locking == "on") for e in emails)
    )
    print(json.dumps(dict(zip(emails, statuses, strict=True))), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
