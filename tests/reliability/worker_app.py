"""A plain app for the shutdown tests: it logs a storm of errors, then ends as told.

Usage: ``python worker_app.py MODE`` with ``OTEL_EXPORTER_DISCORD_WEBHOOK_URL`` set.
MODE is ``return`` (falls off the end), ``exit`` (``sys.exit(3)``), ``sigterm`` (waits
for SIGTERM with Python's default disposition) or ``sigterm-exit`` (waits for SIGTERM
with the recommended one-line recipe: turn it into ``SystemExit`` so ``atexit`` runs) or
``sigterm-opt-in`` (the package does the same with OTEL_EXPORTER_DISCORD_FLUSH_ON_SIGTERM).
"""

from __future__ import annotations

import itertools
import logging
import os
import signal
import sys
import time

import otel_discord

KINDS = ["".join(p) for p in itertools.product("abcdefghij", repeat=2)]
"""100 kinds of error (letters only: digits are blanked when errors are grouped)."""
REPEATS = 10


def main(mode: str) -> int:
    if mode == "sigterm-exit":
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if mode == "sigterm-opt-in":
        os.environ["OTEL_EXPORTER_DISCORD_FLUSH_ON_SIGTERM"] = "true"
    otel_discord.configure(service_name="worker", system_metrics=False, instrument_discord=False)
    log = logging.getLogger("worker")
    for attempt in range(REPEATS):
        for kind in KINDS:
            log.error("attempt %d: backend %s refused the job", attempt, kind)
    if mode == "exit":
        sys.exit(3)
    if mode.startswith("sigterm"):
        print("ready", flush=True)
        time.sleep(60)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
