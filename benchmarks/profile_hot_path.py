"""Where the instrumentation's cost per command and per message goes (a profile, not a race).

Wall-clock figures on a shared machine move by tens of percent between runs, so this
script measures two things that don't depend on the load:

- Python function calls per item (``cProfile``'s count), for the uninstrumented bot
  and for the instrumentor with parts of it switched off;
- CPU instructions per item under ``valgrind --tool=cachegrind`` (with ``--valgrind``,
  when valgrind is installed): each variant runs twice, with 0 and with N items, and
  the difference divided by N is the cost of one item, start-up excluded.

Variants (the instrumentor on no-op exporters, as in benchmark 1):
``none`` uninstrumented; ``ours`` the instrumentor; ``ours-nospan`` with a no-op
tracer; ``ours-nohist`` with a no-op duration histogram; ``ours-bare`` with neither
(what is left is otel-discord's own code and the context attach/detach).

Usage::

    python benchmarks/profile_hot_path.py                 # call counts, ~20 s
    python benchmarks/profile_hot_path.py --valgrind      # + instructions, ~10 min
    python benchmarks/profile_hot_path.py --load event --variant none --variant ours \
        --valgrind                                        # one load, chosen variants
    python benchmarks/profile_hot_path.py --load event --variant ours --functions
                                                          # + calls per item by function

``--functions`` lists, per variant, every function of otel-discord, OpenTelemetry
and discord.py called per item (calls per item, cumulative microseconds per item
under the profiler), most called first.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import _common as c

SCRIPT = __file__
VARIANTS = ("none", "ours", "ours-nospan", "ours-nohist", "ours-bare")
LOADS = ("event", "command", "slash")


def _instrument(variant: str) -> Any:
    if variant == "none":
        return None
    from opentelemetry import metrics, trace

    from otel_discord.instrumentation import DiscordInstrumentor, _state

    instrumentor = DiscordInstrumentor()
    instrumentor.instrument(**c.noop_providers())
    telemetry = _state.current
    assert telemetry is not None
    noop = metrics.NoOpMeter("off")
    if variant in ("ours-nospan", "ours-bare"):
        telemetry.tracer = trace.NoOpTracer()
    if variant in ("ours-nohist", "ours-bare"):
        telemetry.command_duration = noop.create_histogram("off")
    return instrumentor


_WATCHED = ("otel_discord", "opentelemetry", "discord")
"""Path parts of the functions ``--functions`` lists."""


def _functions(stats: pstats.Stats, count: int) -> list[tuple[str, float, float]]:
    """(function, calls per item, cumulative µs per item) of the watched packages."""
    rows = []
    for (path, line, name), (_, calls, _, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        parts = Path(path).parts
        package = next((part for part in _WATCHED if part in parts), None)
        if package is None:
            continue
        where = "/".join(parts[parts.index(package) :])
        rows.append((f"{where}:{line}({name})", calls / count, cumulative / count * 1e6))
    rows.sort(key=lambda row: (-row[1], row[0]))
    return rows


async def _run(
    variant: str, load: str, count: int, profile: bool
) -> tuple[float, list[tuple[str, float, float]]]:
    instrumentor = _instrument(variant)
    bot = c.make_bench_bot()
    bench = await c.log_in(bot)
    payload = {"event": bench.plain, "command": bench.command, "slash": bench.slash}[load]
    event = "INTERACTION_CREATE" if load == "slash" else "MESSAGE_CREATE"
    await c.time_feed_cpu(bot, [payload], 300, event=event)  # warm-up
    calls = 0.0
    functions: list[tuple[str, float, float]] = []
    if count:
        profiler = cProfile.Profile() if profile else None
        if profiler is not None:
            profiler.enable()
        await c.time_feed_cpu(bot, [payload], count, event=event, chunk=count)
        if profiler is not None:
            profiler.disable()
            stats = pstats.Stats(profiler)
            calls = stats.total_calls / count  # type: ignore[attr-defined]
            functions = _functions(stats, count)
    if instrumentor is not None:
        instrumentor.uninstrument()
    await bot.close()
    return calls, functions


def worker(variant: str, load: str, count: int, profile: bool) -> None:
    c.quiet_discord_logging()
    calls, functions = c.run(lambda: _run(variant, load, count, profile))
    c.emit_result({"calls": calls, "functions": functions})


def _instructions(variant: str, load: str, count: int) -> int:
    """Guest instructions of one worker run under cachegrind."""
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        SCRIPT,
        "--worker",
        variant,
        "--load",
        load,
        "--count",
        str(count),
        "--no-profile",
    ]
    done = subprocess.run(
        command,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        check=False,
    )
    match = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if match is None:
        msg = f"valgrind gave no instruction count: {done.stderr.strip()[-200:]}"
        raise RuntimeError(msg)
    return int(match.group(1).replace(",", ""))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--valgrind", action="store_true", help="also count instructions")
    parser.add_argument("--count", type=int, default=2000, help="items per measurement")
    parser.add_argument("--quick", action="store_true", help="500 items per measurement")
    parser.add_argument(
        "--load", choices=LOADS, action="append", help="only this load (repeatable)"
    )
    parser.add_argument(
        "--variant", choices=VARIANTS, action="append", help="only this variant (repeatable)"
    )
    parser.add_argument("--functions", action="store_true", help="list calls per item by function")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--no-profile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.count = 500
    if args.worker:
        worker(args.worker, args.load[0], args.count, not args.no_profile)
        return
    c.print_header("Profile of the hot path: calls and instructions per item", sys.argv)
    use_valgrind = args.valgrind and shutil.which("valgrind") is not None
    if args.valgrind and not use_valgrind:
        print("valgrind is not installed: instruction counts skipped\n")
    rows = []
    listings = []
    for load in args.load or LOADS:
        base_calls = base_ir = None
        for variant in args.variant or VARIANTS:
            result = c.run_worker(
                SCRIPT,
                ["--worker", variant, "--load", load, "--count", str(args.count)],
                timeout=600,
            )
            calls = result.get("calls", float("nan"))
            base_calls = calls if base_calls is None else base_calls
            row = [load, variant, f"{calls:.0f}", f"{calls - base_calls:+.0f}"]
            if use_valgrind:
                empty = _instructions(variant, load, 0)
                full = _instructions(variant, load, args.count)
                per_item = (full - empty) / args.count
                base_ir = per_item if base_ir is None else base_ir
                row += [f"{per_item / 1000:.1f}k", f"{(per_item - base_ir) / 1000:+.1f}k"]
            rows.append(row)
            if args.functions:
                listings.append((f"{load} {variant}", result.get("functions", [])))
            print(f"  {load} {variant} done", file=sys.stderr)
    headers = ["load", "variant", "calls/item", "added"]
    if use_valgrind:
        headers += ["instructions/item", "added"]
    print(c.table(headers, rows))
    for title, functions in listings:
        print(f"\nFunctions called per item, {title}:")
        table = [[name, f"{calls:.2f}", f"{micros:.2f}"] for name, calls, micros in functions]
        print(c.table(["function", "calls/item", "cumulative µs/item (profiled)"], table))


if __name__ == "__main__":
    main()
