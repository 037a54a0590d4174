"""``otel-discord gateway``: run a gateway until SIGINT/SIGTERM, then flush and exit."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from typing import TextIO

from otel_discord.config import DiscordConfig
from otel_discord.errors import ConfigError
from otel_discord.gateway._gateway import Gateway
from otel_discord.gateway._settings import GatewaySettings

STOP_TIMEOUT_S = 10.0
"""Time for the last summaries to reach Discord after a stop signal."""


def run_gateway(
    settings: GatewaySettings,
    config: DiscordConfig | None = None,
    *,
    out: TextIO | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Serve until ``stop`` is set (or SIGINT/SIGTERM in the main thread); return an exit code.

    Prints ``listening on http://HOST:PORT`` once bound, so callers that asked for
    port 0 learn the real one.
    """
    config = config or DiscordConfig.resolve()
    if not config.routes:
        msg = (
            "no channel is configured; set OTEL_EXPORTER_DISCORD_WEBHOOK_URL "
            "or per-channel variables"
        )
        raise ConfigError(msg)
    stop = stop or threading.Event()
    stream = out or sys.stdout
    restore = _on_signals(stop)
    try:
        gateway = Gateway(config, settings).start()
        try:
            print(f"listening on {gateway.url}", file=stream, flush=True)
            while not stop.wait(0.5):
                pass
        finally:
            gateway.stop(STOP_TIMEOUT_S)
    finally:
        restore()
    return 0


def _on_signals(stop: threading.Event) -> Callable[[], None]:
    """Let SIGTERM and SIGINT set ``stop`` (main thread only); returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda *_: stop.set())

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
