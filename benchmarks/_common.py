"""Pieces every benchmark shares: the machine description, worker subprocesses, tables,
a strict local Discord with Discord's real limits, and a real discord.py bot driven offline.

Each contender of a benchmark runs in a subprocess of its own (``script --worker MODE``):
global OpenTelemetry providers can be set once per process, some peers cannot be undone
(their patches stay stacked), and the local Discord then lives in the parent process,
where it costs the contender nothing. A worker reports one JSON line on stdout.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import re
import resource
import socket
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

RESULT_PREFIX = "BENCH-RESULT "
"""Marks the worker's result line, so prints by a contender's library don't confuse it."""

CHANNELS = ("analytics", "diagnostics", "logs", "performance")
"""Our four channels; each gets its own webhook and server channel in the benchmarks."""

PACKAGES = (
    "otel-discord",
    "discord.py",
    "opentelemetry-sdk",
    "opentelemetry-instrumentation",
    "opentelemetry-instrumentation-discordpy",
    "argus-dpy",
    "discord-ext-prometheus",
    "prometheus-client",
    "log2discord",
    "requests",
    "httpx",
    "psutil",
)


# ----- the machine -----


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.processor() or "unknown"
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else platform.processor() or "unknown"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_lines(packages: Iterable[str] = PACKAGES) -> list[str]:
    """CPU model, cores, memory, OS, Python and the versions of the packages compared."""
    import psutil

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory_gib = psutil.virtual_memory().total / 2**30
    lines = [
        f"CPU: {_cpu_model()}; {psutil.cpu_count(logical=False)} physical / "
        f"{os.cpu_count()} logical cores, {usable} usable by this process",
        f"Memory: {memory_gib:.1f} GiB; OS: {platform.platform()}",
        f"Python: {platform.python_implementation()} {platform.python_version()}"
        f" ({sys.executable})",
    ]
    lines.append("Packages: " + ", ".join(f"{name} {_version(name)}" for name in packages))
    return lines


def print_header(title: str, command: Sequence[str], packages: Iterable[str] = PACKAGES) -> None:
    """The benchmark's title, the machine and the exact command, before any figure."""
    print(f"## {title}")
    for line in machine_lines(packages):
        print(line)
    print("Command: " + " ".join([Path(sys.executable).name, *command]))
    print()


def installed(dist: str) -> bool:
    """True when the distribution ``dist`` is installed in this environment."""
    return _version(dist) != "not installed"


# ----- tables and numbers -----


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown table (first column left-aligned, the others right-aligned)."""
    text_rows = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text_rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "| " + " | ".join(parts) + " |"

    rule = "|" + "|".join(
        "-" * (w + 1) + ":" if i else ":" + "-" * (w + 1) for i, w in enumerate(widths)
    )
    return "\n".join([line(headers), rule + "|", *(line(r) for r in text_rows)])


def subset(value: str, allowed: Sequence[str], flag: str) -> list[str]:
    """The comma-separated choices in ``value``; exits naming ``flag`` on an unknown one."""
    chosen = [item.strip() for item in value.split(",") if item.strip()]
    unknown = [item for item in chosen if item not in allowed]
    if unknown or not chosen:
        raise SystemExit(f"{flag}: choose from {', '.join(allowed)} (got {value!r})")
    return chosen


def median(values: Sequence[float]) -> float:
    """The median, NaN for no values."""
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) by nearest rank, NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ----- worker subprocesses -----


CACHEGRIND_COUNTERS = {
    "instructions": "I",
    "I1 misses": "I1",
    "D1 misses": "D1",
    "L2d misses": "LLd",
}
"""cachegrind's summary lines (``I refs``, ``I1 misses``, ``D1 misses``, ``LLd misses``) by
what they count; its last level is simulated as this machine's L2 (``l2_geometry``)."""


def l2_geometry() -> str | None:
    """``size,associativity,line`` of CPU 0's L2 cache from sysfs, or None.

    cachegrind simulates two levels and takes the last level's geometry from the
    CPU's L3 by default (a VM may report a nonsense one), where nearly nothing of a
    bot misses. Simulating L2 there counts what leaves the core's private caches.
    """
    root = Path("/sys/devices/system/cpu/cpu0/cache")
    try:
        for index in sorted(root.glob("index*")):
            if (index / "level").read_text().strip() == "2":
                size = (index / "size").read_text().strip()
                ways = (index / "ways_of_associativity").read_text().strip()
                line = (index / "coherency_line_size").read_text().strip()
                scale = 1024 if size.endswith("K") else 1024 * 1024 if size.endswith("M") else 1
                return f"{int(size.rstrip('KM')) * scale},{int(ways)},{int(line)}"
    except (OSError, ValueError):
        return None
    return None


def cachegrind(args: Sequence[str], *, cache: bool = False) -> dict[str, int]:
    """Guest instructions (and L1 misses with ``cache``) of ``python *args`` under cachegrind.

    Every thread counts; ``PYTHONHASHSEED=0`` keeps dict layouts the same run to run.
    """
    command = [
        "valgrind",
        "--tool=cachegrind",
        f"--cache-sim={'yes' if cache else 'no'}",
        *([f"--LL={l2}"] if cache and (l2 := l2_geometry()) else []),
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        *args,
    ]
    done = subprocess.run(
        command,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        check=False,
    )
    found = {}
    for name, label in CACHEGRIND_COUNTERS.items():
        match = re.search(rf"{label}\s+(?:refs|misses):\s+([\d,]+)", done.stderr)
        if match is not None:
            found[name] = int(match.group(1).replace(",", ""))
    if "instructions" not in found:
        msg = f"valgrind gave no instruction count: {done.stderr.strip()[-200:]}"
        raise RuntimeError(msg)
    return found


def emit_result(data: Mapping[str, Any]) -> None:
    """Report a worker's result to the parent (one line on stdout)."""
    print(RESULT_PREFIX + json.dumps(data), flush=True)


def run_worker(
    script: str, args: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float
) -> dict[str, Any]:
    """Run ``script --worker ...`` with this interpreter; its result, or ``{"error": ...}``."""
    full_env = {**os.environ, **(env or {})}
    try:
        done = subprocess.run(
            [sys.executable, script, *args],
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            return result
    tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": f"exit {done.returncode}: {tail}"}


def spawn_worker(
    script: str, args: Sequence[str], *, env: Mapping[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start ``script --worker ...`` in the background (read it with ``read_result``)."""
    return subprocess.Popen(
        [sys.executable, script, *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_result(proc: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
    """Wait for a worker started by ``spawn_worker`` and parse its result line."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return {"error": f"timed out after {timeout:.0f} s"}
    for line in reversed(out.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            return result
    tail = (err.strip().splitlines() or ["no output"])[-1]
    return {"error": f"exit {proc.returncode}: {tail}"}


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for peers that insist on serving metrics)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# ----- the local Discord -----


def real_discord() -> Any:
    """A started strict local Discord with Discord's real limits (5/2 s, 30/min, 50/s)."""
    from otel_discord.testing import DiscordServer

    return DiscordServer(webhook_limit=(5, 2.0), channel_limit=(30, 60.0)).start()


def webhook_env(server: Any, channels: Iterable[str] = CHANNELS) -> dict[str, str]:
    """``OTEL_EXPORTER_DISCORD_<CHANNEL>_WEBHOOK_URL`` for a fresh webhook per channel."""
    from otel_discord.channels import Channel
    from otel_discord.config import webhook_env as variable

    return {variable(Channel(name)): server.create_webhook(name) for name in channels}


OCCURRENCES = re.compile(r"\*\*([\d,]+) occurrences\*\*")


def occurrences(embed: Mapping[str, Any]) -> int:
    """How many records a grouped error embed stands for (no count line means one)."""
    match = OCCURRENCES.search(str(embed.get("description") or ""))
    return int(match.group(1).replace(",", "")) if match else 1


# ----- OpenTelemetry without an exporter -----


def noop_providers() -> dict[str, Any]:
    """SDK providers with batch processors whose exporters drop everything.

    Measures the OpenTelemetry path (spans, metrics, log records built and queued),
    not an exporter: the setup a peer that only speaks OTLP gets here.
    """
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import (
        BatchLogRecordProcessor,
        LogRecordExporter,
        LogRecordExportResult,
    )
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    class DropSpans(SpanExporter):
        def export(self, spans: Sequence[Any]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    class DropLogs(LogRecordExporter):
        def export(self, batch: Sequence[Any]) -> LogRecordExportResult:
            return LogRecordExportResult.SUCCESS

        def force_flush(self, timeout_millis: int = 30_000) -> bool:
            return True

        def shutdown(self) -> None:
            return None

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(DropSpans()))
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(DropLogs()))
    return {
        "tracer_provider": tracer_provider,
        "meter_provider": MeterProvider(metric_readers=[InMemoryMetricReader()]),
        "logger_provider": logger_provider,
    }


def set_global(providers: Mapping[str, Any]) -> None:
    """Install providers as OpenTelemetry's global ones (what peers read)."""
    from opentelemetry import metrics, trace
    from opentelemetry._logs import set_logger_provider

    trace.set_tracer_provider(providers["tracer_provider"])
    metrics.set_meter_provider(providers["meter_provider"])
    set_logger_provider(providers["logger_provider"])


# ----- a real discord.py bot, offline -----


MANY_COMMANDS = 1000
"""Distinct prefix commands on the bench bot (``!c0`` ... ``!c999``), besides ``!ping``."""

MANY_GUILDS = 1000
"""Guilds the bot is in with ``log_in(bot, guilds=MANY_GUILDS)``, besides the bench guild."""


@dataclass
class BenchBot:
    """A logged-in offline bot in one guild, and the payloads the benchmarks feed it."""

    world: Any
    plain: dict[str, Any]
    command: dict[str, Any]
    slash: dict[str, Any]
    many: list[dict[str, Any]]
    """One ``!c<i>`` message per distinct command, fed round-robin."""
    guilds: list[dict[str, Any]]
    """One ``!ping`` per extra guild (``log_in(guilds=...)``), fed round-robin."""


def without_package_init() -> None:
    """Make ``otel_discord.offline.bot`` importable without ``otel_discord/__init__``.

    The package's ``__init__`` imports the SDK and our exporters; a bot that is meant
    to be uninstrumented (benchmark 4 compares its memory) must not carry them. Empty
    package modules with the real search paths let only the offline driver load.
    """
    import types

    root = Path(__file__).resolve().parents[1] / "otel_discord"
    for name, path in (("otel_discord", root), ("otel_discord.offline", root / "offline")):
        if name not in sys.modules:
            module = types.ModuleType(name)
            module.__path__ = [str(path)]
            sys.modules[name] = module


def make_bench_bot(many_commands: int = 0) -> Any:
    """A prefix ``!`` bot whose ``!ping`` and slash ``/ping`` answer through REST.

    ``many_commands`` more trivial prefix commands ``!c0`` ... (``MANY_COMMANDS`` to
    show whether a cost grows with the number of distinct commands).
    """
    import discord
    from discord.ext import commands

    from otel_discord.offline.bot import make_bot

    bot = make_bot()

    @bot.command()
    async def ping(ctx: commands.Context[Any]) -> None:
        await ctx.send("pong")

    @bot.tree.command(name="ping")
    async def slash_ping(interaction: discord.Interaction[Any]) -> None:
        await interaction.channel.send("pong")  # type: ignore[union-attr]

    async def numbered(ctx: commands.Context[Any]) -> None:
        await ctx.send("pong")

    for index in range(many_commands):
        bot.add_command(commands.Command(numbered, name=f"c{index}"))
    return bot


async def log_in(bot: Any, *, gateway: bool = False, guilds: int = 0) -> BenchBot:
    """READY and GUILD_CREATE through discord.py's parsers, then the bot's ``setup_hook``.

    Like ``otel_discord.offline.bot.start``, but it waits only for the tasks those
    events started, so a peer's endless background task doesn't count as a hang.
    ``gateway=True`` also makes the bot look connected (``FakeGateway``). ``guilds``
    more guilds become available after READY (each with a text channel, Alice and the
    bot), and ``BenchBot.guilds`` holds a ``!ping`` from each.
    """
    from otel_discord.offline import payloads as g
    from otel_discord.offline.bot import FakeGateway, guild_payload, new_world

    await bot._async_setup_hook()
    world = new_world(bot, "benchbot")
    if gateway:
        bot.ws = FakeGateway(latency=0.05)
    bot_user = world.bot_user
    guild = guild_payload(world, "Bench Guild")
    for event, payload in (
        ("READY", g.ready(bot_user, world.application_id)),
        ("GUILD_CREATE", guild),
    ):
        baseline = asyncio.all_tasks()
        feed_like_gateway(bot, event, payload)
        await settle_new(baseline)
    pings = []
    for index in range(guilds):  # after READY: guild_available, as at a shard's start
        guild_id, text_id = g.snowflake(), g.snowflake()
        members = [g.member(world.alice), g.member(bot_user)]
        channels = [g.channel(text_id, guild_id)]
        extra = g.guild_create(
            guild_id,
            f"Guild {index}",
            world.alice["id"],
            channels=channels,
            members=members,
            unavailable=False,
        )
        baseline = asyncio.all_tasks()
        feed_like_gateway(bot, "GUILD_CREATE", extra)
        await settle_new(baseline)
        pings.append(g.message_create(text_id, world.alice, "!ping", guild_id=guild_id))
    await bot.setup_hook()  # what Client.login does; peers such as argus chain it

    def say(content: str) -> dict[str, Any]:
        return g.message_create(world.text_id, world.alice, content, guild_id=world.guild_id)

    slash = g.interaction_create(
        world.application_id,
        "ping",
        guild_id=world.guild_id,
        channel_id=world.text_id,
        invoker=world.alice,
    )
    return BenchBot(
        world=world,
        plain=say("hello there"),
        command=say("!ping"),
        slash=slash,
        many=[say(f"!c{index}") for index in range(MANY_COMMANDS)],
        guilds=pings,
    )


def feed_like_gateway(bot: Any, event: str, payload: dict[str, Any]) -> None:
    """What discord.py's websocket does with a decoded DISPATCH frame, minus the socket."""
    bot.dispatch("socket_event_type", event)
    bot._connection.parsers[event](payload)


async def settle_new(baseline: set[asyncio.Task[Any]], timeout: float = 60.0) -> None:
    """Wait until every task started since ``baseline`` has finished (bounded)."""
    current = asyncio.current_task()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        pending = [t for t in asyncio.all_tasks() if t not in baseline and t is not current]
        if not pending:
            return
        left = deadline - loop.time()
        if left <= 0:
            msg = f"{len(pending)} handler tasks still running after {timeout:.0f} s"
            raise TimeoutError(msg)
        await asyncio.wait(pending, timeout=left)


async def time_feed(bot: Any, payload: dict[str, Any], count: int, chunk: int = 500) -> float:
    """Microseconds per item to feed ``payload`` ``count`` times and run every handler."""
    wall, _ = await time_feed_cpu(bot, [payload], count, chunk=chunk)
    return wall


async def time_feed_cpu(
    bot: Any,
    payloads: Sequence[dict[str, Any]],
    count: int,
    *,
    event: str = "MESSAGE_CREATE",
    chunk: int = 500,
) -> tuple[float, float]:
    """Wall and CPU microseconds per item to feed ``count`` payloads and run every handler.

    ``payloads`` are fed round-robin. CPU is the whole process's (every thread: the
    bot's loop and the SDK's export threads alike), so work moved off the loop still
    shows there.

    A full garbage collection runs first (untimed), so every measurement starts from
    the same collector state. Without it, whether one of the collector's full passes
    lands inside a measurement depends on what the process ran before: such a pass
    takes 70-100 ms on the bench bot (discord.py's evicted messages are cyclic
    garbage), i.e. ~20 us per item over 4,000 commands, and it landed in one
    contender's measurement and not in another's, moving the added time by as much.
    """
    import gc
    import time

    gc.collect()
    baseline = asyncio.all_tasks()
    started, cpu_started = time.perf_counter(), time.process_time()
    done = 0
    size = len(payloads)
    while done < count:
        for index in range(done, min(done + chunk, count)):
            feed_like_gateway(bot, event, payloads[index % size])
        done += chunk
        await settle_new(baseline)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    return wall / count * 1e6, cpu / count * 1e6


def quiet_discord_logging() -> None:
    """No voice-support warnings from discord.py in the benchmark output."""
    import logging

    logging.getLogger("discord").setLevel(logging.ERROR)


def run(main: Callable[[], Any]) -> Any:
    """``asyncio.run`` for a worker's coroutine function."""
    return asyncio.run(main())
