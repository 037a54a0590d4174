"""Run the demo: preview + instrumented offline bot + traffic, for a set duration."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import random
import sys
import threading
import time
from typing import Any, Final

from otel_discord.monitors import default_rules
from otel_discord.preview import Preview, start_preview
from otel_discord.setup import configure

DEMO_SETTINGS: Final[dict[str, Any]] = {
    "performance_interval_ms": 15_000,
    "system_interval_ms": 30_000,
    "analytics_interval_ms": 20_000,
    "health_interval_ms": 30_000,
    "alert_interval_ms": 5_000,
    "alert_cpu_percent": 40.0,
    "flush_interval_ms": 10_000,
}
"""Shortened schedules so that two minutes show every kind of message."""
DEMO_RULE_SECONDS: Final = 6.0
"""Alerts fire and resolve after seconds instead of minutes."""
METRIC_INTERVAL_MS: Final = "3000"


def run_demo(
    *,
    host: str = "127.0.0.1",
    port: int = 8787,
    duration_s: float | None = 120.0,
    open_page: bool = False,
    seed: int = 7,
) -> int:
    """Start the preview, run the simulated bot for ``duration_s``, keep the page up on a TTY."""
    with start_preview(host, port) as preview:
        print(f"otel-discord demo: open {preview.page_url} to watch the four channels", flush=True)
        simulate(preview, 120.0 if duration_s is None else duration_s, seed=seed)
        counts = {ch.value: len(preview.server.messages(ch.value)) for ch in preview.urls}
        violations = len(preview.server.violations)
        print(
            f"otel-discord demo: done; messages per channel: {counts}; "
            f"protocol violations: {violations}",
            flush=True,
        )
        if sys.stdin.isatty():
            print("The page stays up; press Ctrl-C to stop.", flush=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    return 0


def simulate(preview: Preview, duration_s: float, *, seed: int = 7) -> None:
    """Run the instrumented offline bot against ``preview`` for ``duration_s``, then flush."""
    os.environ.setdefault("OTEL_METRIC_EXPORT_INTERVAL", METRIC_INTERVAL_MS)
    # The demo's storm would flood the terminal through Python's default stderr output.
    logging.getLogger().addHandler(logging.NullHandler())
    telemetry = configure(
        service_name="astrobot-demo", webhooks=dict(preview.urls), env={}, **DEMO_SETTINGS
    )
    rules = [
        dataclasses.replace(rule, for_s=DEMO_RULE_SECONDS, clear_for_s=DEMO_RULE_SECONDS)
        for rule in default_rules(telemetry.config)
    ]
    _pipeline(telemetry).monitors.set_rules(rules)
    try:
        asyncio.run(_simulate(duration_s, random.Random(seed)))
    finally:
        telemetry.shutdown()


def _pipeline(telemetry: Any) -> Any:
    """The shared pipeline behind configure()'s exporters (for demo-only rule tweaks)."""
    from otel_discord.pipeline import Pipeline

    return Pipeline.acquire(telemetry.config)


async def _simulate(duration_s: float, rng: random.Random) -> None:
    from otel_discord.demo._bot import make_demo_bot
    from otel_discord.demo._traffic import Traffic, cpu_spike
    from otel_discord.offline import payloads as g
    from otel_discord.offline.bot import FakeGateway, start

    bot = await make_demo_bot(rng)
    world = await start(bot)
    gateway = FakeGateway(latency=0.08)
    bot.ws = gateway
    traffic = Traffic(world, rng)
    stop = threading.Event()
    began = time.monotonic()
    events = {
        0.15: traffic.join_guild,
        0.35: traffic.storm,
        0.45: lambda: setattr(gateway, "latency", 1.35),  # a slow gateway, then recovery
        0.55: lambda: _spike(cpu_spike(min(25.0, duration_s / 4), stop)),
        0.7: lambda: setattr(gateway, "latency", 0.09),
        0.8: traffic.leave_guild,
    }
    try:
        while (elapsed := time.monotonic() - began) < duration_s:
            for at in [at for at in events if elapsed >= at * duration_s]:
                events.pop(at)()
            traffic.tick()
            await g.settle()
            await asyncio.sleep(1.0)
    finally:
        stop.set()
        await bot.close()


def _spike(burn: Any) -> None:
    for _ in range(os.cpu_count() or 1):
        threading.Thread(target=burn, name="demo-cpu-spike", daemon=True).start()
