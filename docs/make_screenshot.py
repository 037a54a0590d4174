"""Make ``docs/preview.png``: the preview page, filled with a sample of all four channels.

Run from the repository root: ``.venv/bin/python docs/make_screenshot.py``. It needs
Chromium (Debian: ``apt-get install chromium``; ``fonts-noto-color-emoji`` for emoji).
The embeds come from the package's own renderers where they take plain values, so the
picture shows what users get; the performance table is built the same way by hand.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from otel_discord.channels import Channel
from otel_discord.config import DiscordConfig
from otel_discord.monitors.defaults import default_rules
from otel_discord.monitors.health import Component, HealthReport
from otel_discord.monitors.render import render_alert, render_health, render_startup
from otel_discord.monitors.rules import AlertEvent, AlertRule
from otel_discord.preview import start_preview
from otel_discord.render import code_block, sparkline, style
from otel_discord.render.analytics import Activity, SpanStats, render_activity
from otel_discord.render.errors import Occurrence, render_error
from otel_discord.render.types import Embed

SERVICE = "astrabot"
HOST = "prod-1"
NOW_NS = time.time_ns() // 60_000_000_000 * 60_000_000_000
MINUTE_NS = 60_000_000_000
OUTPUT = Path(__file__).with_name("preview.png")

TRACEBACK = """Traceback (most recent call last):
  File "/app/astrabot/cogs/music.py", line 214, in play
    track = await self.resolver.resolve(query, timeout=parse_timeout(opts))
  File "/app/astrabot/util/time.py", line 41, in parse_timeout
    return int(value) * 1000
ValueError: invalid literal for int() with base 10: '30s'"""


def activity(start_ns: int, end_ns: int, scale: float) -> list[Embed]:
    """An analytics summary of one five-minute window (``scale`` varies the numbers)."""
    cmd = "discord.commands"
    counters: dict[tuple[str, tuple[tuple[str, Any], ...]], float] = {
        ("discord.gateway.events", ()): round(1284 * scale),
        ("discord.messages", ()): round(9871 * scale),
        ("discord.member.changes", (("discord.change", "join"),)): round(14 * scale),
        ("discord.member.changes", (("discord.change", "leave"),)): 3,
        ("discord.reactions", (("discord.change", "add"),)): round(233 * scale),
        ("discord.reactions", (("discord.change", "remove"),)): 52,
    }
    commands = (("play", 185, 3), ("queue", 97, 0), ("skip", 61, 0), ("lyrics", 29, 1))
    for name, ok, failed in commands:
        labels = (("discord.command.name", name), ("discord.command.outcome", "success"))
        counters[(cmd, labels)] = round(ok * scale)
        if failed:
            labels = (("discord.command.name", name), ("discord.command.outcome", "failure"))
            counters[(cmd, labels)] = failed
    history = {
        cmd: tuple(v * scale for v in (310.0, 352, 298, 405, 388, 372, 415)),
        "discord.messages": tuple(v * scale for v in (8100.0, 8700, 9200, 9050, 9871)),
    }
    spans = {
        "command play": SpanStats(round(188 * scale), 3, [0.08, 0.12, 0.31, 0.09, 0.11]),
        "command queue": SpanStats(round(97 * scale), 0, [0.02, 0.03, 0.02, 0.05]),
    }
    return render_activity(
        Activity(start_ns, end_ns, counters, spans, history), service=SERVICE, host=HOST
    )


def performance(start_ns: int, end_ns: int) -> Embed:
    """A performance snapshot: a narrow table with sparklines, as the renderer draws it."""
    rows: list[tuple[str, str, str, str, list[float]]] = [
        ("cpu %", "23.4", "41.2", "57.9", [12, 18, 23, 41, 57, 33, 23, 21, 24, 23]),
        ("memory %", "61.0", "60.2", "61.3", [59, 59, 60, 60, 60, 61, 61, 61, 61, 61]),
        ("rss MiB", "452", "441", "452", [420, 425, 431, 436, 440, 444, 447, 449, 451, 452]),
        ("latency ms", "87", "142", "311", [80, 85, 90, 311, 240, 120, 95, 88, 86, 87]),
        ("loop lag ms", "1.8", "6.4", "22.0", [1, 2, 2, 22, 9, 3, 2, 2, 2, 1.8]),
        ("events/min", "256", "231", "402", [180, 200, 220, 402, 260, 240, 230, 250, 255, 256]),
    ]
    table = [f"{'metric':<12}{'now':>6}{'avg':>6}{'max':>6}  last 10 min"]
    table += [f"{m:<12}{n:>6}{a:>6}{x:>6}  {sparkline(h)}" for m, n, a, x, h in rows]
    return {
        "title": "⚡ Performance snapshot",
        "description": f"{style.window_text(start_ns, end_ns)} · 40 samples\n"
        + code_block("\n".join(table), 1024),
        "color": style.GREEN,
        "fields": [
            {"name": "Shards", "value": "2/2 ready", "inline": True},
            {"name": "Guilds cached", "value": "38", "inline": True},
            {"name": "Threads", "value": "14", "inline": True},
        ],
        "footer": style.footer(SERVICE, HOST, "python 3.12 · discord.py 2.4"),
        "timestamp": style.iso(end_ns),
    }


def latency_alert(kind: str, at_ns: int) -> Embed:
    """The gateway-latency alert firing, or its resolved notice."""
    rule = AlertRule("latency", "Gateway latency", "discord.latency_ms", 1000.0, unit="ms")
    recent = (120.0, 180, 640, 1100, 1342, 1290, 1180)
    event = AlertEvent(
        rule,
        kind,  # type: ignore[arg-type]
        value=1342.0 if kind == "firing" else 92.0,
        peak=1342.0,
        threshold=1000.0,
        started_ns=at_ns - 2 * MINUTE_NS,
        at_ns=at_ns,
        ended_ns=at_ns if kind == "resolved" else None,
        recent=recent,
    )
    return render_alert(event, service=SERVICE, host=HOST)


def error_group(last_ns: int) -> Embed:
    """Three identical errors, grouped, with the trimmed stack trace and the trace id."""
    occurrence = Occurrence(
        time_ns=last_ns,
        severity_number=17,
        severity_text="ERROR",
        source="astrabot.cogs.music",
        message="Command raised an exception",
        service=SERVICE,
        host=HOST,
        exc_type="ValueError",
        exc_message="invalid literal for int() with base 10: '30s'",
        stacktrace=TRACEBACK,
        trace_id="4bf92f3577b34da6a3ce929d0e0e4736",
        context={"discord.guild.name": "Lo-Fi Lounge", "discord.command.name": "play"},
    )
    return render_error(occurrence, 3, last_ns - 2 * MINUTE_NS, last_ns)


def gateway_warning(at_ns: int) -> Embed:
    """A warning log record without an exception."""
    occurrence = Occurrence(
        time_ns=at_ns,
        severity_number=13,
        severity_text="WARNING",
        source="discord.gateway",
        message="Shard ID 1 heartbeat blocked for more than 10 seconds.",
        service=SERVICE,
        host=HOST,
    )
    return render_error(occurrence, 1, at_ns, at_ns)


def health(at_ns: int) -> Embed:
    """A health check with its breakdown and concrete recommendations."""
    report = HealthReport(
        score=87,
        components=(
            Component("latency", "87 ms", 1.0, 25.0),
            Component("memory", "61 % · rss +4 MiB/h", 0.56, 25.0, change=-6.0),
            Component("cpu", "23 %", 1.0, 25.0),
            Component("errors", "0.6/min", 0.92, 25.0, change=-2.0),
        ),
        recommendations=(
            "Cap the music cache (`CACHE_MAX_TRACKS`): rss grows 4 MiB/h.",
            "Fix `ValueError` in `/play`: 3 in 2 min (see #logs).",
        ),
        change=-8,
    )
    return render_health(report, service=SERVICE, host=HOST, time_ns=at_ns, interval_s=300)


def startup(urls: dict[Channel, str], at_ns: int) -> Embed:
    """The start-up notice: channels (redacted), intervals, alert thresholds."""
    config = DiscordConfig.resolve(webhooks={c.value: u for c, u in urls.items()}, env={})
    return render_startup(
        config.describe(),
        version="0.1.0",
        service=SERVICE,
        host=HOST,
        rules=default_rules(config),
        instrumentations=["discord.py", "logging", "system-metrics"],
        notes=[],
        time_ns=at_ns,
    )


def fill(urls: dict[Channel, str]) -> None:
    """Post the sample, oldest first, as the package would (versioned, no pings)."""
    t0 = NOW_NS - 10 * MINUTE_NS
    posts: list[tuple[Channel, list[Embed]]] = [
        (Channel.DIAGNOSTICS, [startup(urls, t0 - 6 * MINUTE_NS)]),
        (Channel.ANALYTICS, activity(t0 - 5 * MINUTE_NS, t0, 1.0)),
        (Channel.PERFORMANCE, [performance(t0 - 5 * MINUTE_NS, t0)]),
        (Channel.LOGS, [error_group(t0 + MINUTE_NS)]),
        (Channel.DIAGNOSTICS, [health(t0 + MINUTE_NS)]),
        (Channel.PERFORMANCE, [latency_alert("firing", t0 + 2 * MINUTE_NS)]),
        (Channel.LOGS, [gateway_warning(t0 + 3 * MINUTE_NS)]),
        (Channel.ANALYTICS, activity(t0, t0 + 5 * MINUTE_NS, 0.86)),
        (Channel.PERFORMANCE, [latency_alert("resolved", t0 + 6 * MINUTE_NS)]),
    ]
    with httpx.Client(headers={"User-Agent": "DiscordBot (otel-discord docs, 1)"}) as client:
        for channel, embeds in posts:
            url = urls[channel].replace("/api/webhooks/", "/api/v10/webhooks/")
            body = {
                "embeds": embeds,
                "username": "AstraBot Monitor",
                "allowed_mentions": {"parse": []},
            }
            client.post(url, params={"wait": "true"}, json=body, timeout=5.0).raise_for_status()


def screenshot(url: str, output: Path, size: str) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("make_screenshot: Chromium not found (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        command = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-proxy-server",
            "--no-first-run",
            "--hide-scrollbars",
            "--disable-background-networking",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=5000",
            f"--window-size={size}",
            f"--screenshot={output}",
            url,
        ]
        # A fixed argv: the local Chromium and our own loopback URL, no shell.
        subprocess.run(command, check=True, capture_output=True, timeout=60)  # noqa: S603


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--size", default="2400,1100", help="window size, e.g. 1600,900")
    args = parser.parse_args()
    with start_preview(port=0) as preview:
        fill(preview.urls)
        if preview.server.violations:
            sys.exit(f"make_screenshot: protocol violations: {preview.server.violations}")
        screenshot(preview.page_url, args.output.resolve(), args.size)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
