"""One process of the contention test: imports the hub, says it is ready, waits for the start
signal, then runs `hub events register` for each of its addresses, as staff would one after
another, and prints one JSON line per address: its exit code and what it wrote on stderr.

The busy timeout can be shortened (last argument, in ms): the same waits and retries then meet a
busy database far more often, so a small test exercises what a larger crowd would."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
import traceback
from pathlib import Path

import hub.db
from hub.cli import cli


def register(config_path: str, slug: str, email: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            args = ["events", "register", slug, email, "--role", "salarie", "--member"]
            cli.main(["--config", config_path, *args], prog_name="hub")
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except Exception as exc:  # reported to the test, which fails on it
            code, err = 99, io.StringIO("".join(traceback.format_exception(exc)))
    return code, err.getvalue()


def main() -> None:
    config_path, slug, go_file, busy_ms, *emails = sys.argv[1:]
    hub.db.BUSY_TIMEOUT_MS = int(busy_ms)
    print("ready", flush=True)
    go = Path(go_file)
    while not go.exists():
        time.sleep(0.005)
    for email in emails:
        code, err = register(config_path, slug, email)
        print(json.dumps({"email": email, "code": code, "stderr": err}), flush=True)


if __name__ == "__main__":
    main()
