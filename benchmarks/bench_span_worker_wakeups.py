"""Why a saturated bot pays more wall time per span than the span's instructions say.

The SDK's ``BatchSpanProcessor`` exports from a worker thread that wakes when 512 spans
wait. While the bot's loop is busy, that thread then waits for the GIL, and every
time the loop releases the GIL (each ``epoll_wait`` of each loop iteration) the
waiting thread is woken and finds the GIL taken again: voluntary context switches and
kernel time on both threads, for up to the 5 ms switch interval per export. A
``SimpleSpanProcessor`` exports on the ending thread and has no worker.
``DiscordSpanProcessor`` (what ``configure()`` and zero-code give the Discord span
exporter) has none either: it hands spans to the exporter's in-memory intake on the
ending thread, 64 at a time (errors at once). Its contender runs the real
``DiscordSpanExporter`` and pipeline, posting to a local ``DiscordServer`` on
127.0.0.1 that this (parent) process runs, so the server's threads are not counted.

Each contender runs the instrumentor (no-op exporters) in a fresh process and feeds
20,000 items back to back; printed per item: wall time, CPU time (every thread), the
kernel's share of it, and voluntary context switches, then the switches of each
thread by name (``/proc/self/task/<id>/status``), which names the thread in the
convoy. Any thread that wakes while the loop is busy pays it, not only a span worker:
before the delivery engine built its HTTP client up front, the live status message's
thread built it (TLS context, lazy imports) on its first send, about one futile
wake-up per command while a measurement ran.

Usage::

    python benchmarks/bench_span_worker_wakeups.py            # ~1 min
    python benchmarks/bench_span_worker_wakeups.py --rounds 5
    python benchmarks/bench_span_worker_wakeups.py --quick    # make bench: 5,000 items, 1 round
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
from collections.abc import Sequence
from typing import Any

import _common as c
import profile_hot_path

SCRIPT = __file__
MODES = ("none", "batch", "simple", "discord-batch", "discord")
LABELS = {
    "none": "uninstrumented",
    "batch": "instrumentor, BatchSpanProcessor (worker thread)",
    "simple": "instrumentor, SimpleSpanProcessor (no thread)",
    "discord-batch": "instrumentor, BatchSpanProcessor, Discord exporter (configure() before)",
    "discord": "instrumentor, configure()'s processor (DiscordSpanProcessor, Discord exporter)",
}
LOADS = ("command", "slash")
_BATCH_PROVIDERS = c.noop_providers


def _simple_providers() -> dict[str, Any]:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    providers = _BATCH_PROVIDERS()
    batch = providers["tracer_provider"]._active_span_processor._span_processors[0]
    batch.shutdown()  # its worker thread would still wake every 5 s
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(batch.span_exporter))
    providers["tracer_provider"] = tracer_provider
    return providers


def discord_span_providers() -> dict[str, Any]:
    """The no-op providers with configure()'s span path: DiscordSpanProcessor + exporter.

    Settings from the environment (``_common.webhook_env``); ``BENCH_SPAN_BATCH`` sets the
    processor's batch size (to compare sizes); ``BENCH_SPAN_PROCESSOR=batch`` puts the
    SDK's BatchSpanProcessor in its place (what configure() wired before).
    """

    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from otel_discord.config import DiscordConfig
    from otel_discord.exporters import DiscordSpanExporter
    from otel_discord.exporters.span_processor import BATCH_SIZE, DiscordSpanProcessor

    providers = _BATCH_PROVIDERS()
    providers["tracer_provider"].shutdown()
    exporter = DiscordSpanExporter(DiscordConfig.resolve())
    batch_size = int(os.environ.get("BENCH_SPAN_BATCH", BATCH_SIZE))
    tracer_provider = TracerProvider()
    if os.environ.get("BENCH_SPAN_PROCESSOR") == "batch":  # configure() before this change
        tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
    else:
        tracer_provider.add_span_processor(DiscordSpanProcessor(exporter, batch_size=batch_size))
    providers["tracer_provider"] = tracer_provider
    return providers


def thread_switches() -> dict[str, int]:
    """Voluntary context switches so far, per live Python thread (by name; Linux only)."""
    import threading

    counts: dict[str, int] = {}
    for thread in threading.enumerate():
        try:
            with open(f"/proc/self/task/{thread.native_id}/status") as status:
                for line in status:
                    if line.startswith("voluntary_ctxt_switches:"):
                        name = "loop" if thread is threading.main_thread() else thread.name
                        name = name.split(":")[0]  # a destination's id: one row per kind
                        counts[name] = counts.get(name, 0) + int(line.split()[1])
        except OSError:
            continue
    return counts


async def _measure(mode: str, load: str, count: int) -> dict[str, Any]:
    if mode == "simple":
        c.noop_providers = _simple_providers  # type: ignore[assignment]
    if mode.startswith("discord"):
        if mode == "discord-batch":
            os.environ["BENCH_SPAN_PROCESSOR"] = "batch"
        c.noop_providers = discord_span_providers  # type: ignore[assignment]
    profile_hot_path._instrument("none" if mode == "none" else "ours")
    bot = c.make_bench_bot()
    bench = await c.log_in(bot)
    payload = bench.slash if load == "slash" else bench.command
    event = "INTERACTION_CREATE" if load == "slash" else "MESSAGE_CREATE"
    await c.time_feed_cpu(bot, [payload], 500, event=event)  # warm-up
    before = resource.getrusage(resource.RUSAGE_SELF)
    threads_before = thread_switches()
    wall, cpu = await c.time_feed_cpu(bot, [payload], count, event=event, chunk=count)
    threads_after = thread_switches()
    after = resource.getrusage(resource.RUSAGE_SELF)
    await bot.close()
    per_thread = {
        name: (switches - threads_before.get(name, 0)) / count
        for name, switches in threads_after.items()
    }
    return {
        "wall": wall,
        "cpu": cpu,
        "sys": (after.ru_stime - before.ru_stime) / count * 1e6,
        "switches": (after.ru_nvcsw - before.ru_nvcsw) / count,
        "threads": per_thread,
    }


def worker(mode: str, load: str, count: int) -> None:
    c.quiet_discord_logging()
    c.emit_result(c.run(lambda: _measure(mode, load, count)))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20_000, help="items per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (median kept)")
    parser.add_argument("--quick", action="store_true", help="5,000 items, one round")
    parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--load", choices=LOADS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.count, args.rounds = 5000, 1
    if args.worker:
        worker(args.worker, args.load, args.count)
        return
    c.print_header("Span worker wake-ups in a saturated bot", sys.argv)
    server = c.real_discord()
    try:
        rows, thread_rows = _compare(args, c.webhook_env(server))
        print(f"local Discord: {len(server.violations)} violations")
    finally:
        server.stop()
    headers = ["load", "contender", "wall us", "CPU us", "kernel us", "voluntary switches"]
    print(c.table(headers, rows))
    print("\nVoluntary switches per item by thread (median; threads at 0.01 or more):\n")
    print(c.table(["load", "contender", "thread", "switches"], thread_rows))


def _compare(
    args: argparse.Namespace, env: dict[str, str]
) -> tuple[list[list[str]], list[list[str]]]:
    rows, thread_rows = [], []
    for load in LOADS:
        runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
        for _ in range(args.rounds):
            for mode in MODES:
                argv_worker = ["--worker", mode, "--load", load, "--count", str(args.count)]
                runs[mode].append(c.run_worker(SCRIPT, argv_worker, env=env, timeout=600))
        for mode in MODES:
            ok = [run for run in runs[mode] if "error" not in run]
            if not ok:
                rows.append([load, LABELS[mode], runs[mode][0]["error"], "", "", ""])
                continue
            figures = [c.median([run[key] for run in ok]) for key in ("wall", "cpu", "sys")]
            switches = c.median([run["switches"] for run in ok])
            rows.append([load, LABELS[mode], *(f"{f:.1f}" for f in figures), f"{switches:.2f}"])
            names = sorted({name for run in ok for name in run["threads"]})
            for name in names:
                per_thread = c.median([run["threads"].get(name, 0.0) for run in ok])
                if per_thread >= 0.01:
                    thread_rows.append([load, LABELS[mode], name, f"{per_thread:.2f}"])
    return rows, thread_rows


if __name__ == "__main__":
    main()
