"""One command span: otel-discord's ``CommandSpan`` beside the SDK's own span, side by side.

Both run against the same kind of provider (a ``BatchSpanProcessor`` whose exporter
drops everything, as the benchmarks' no-op setup, with a queue that holds every span
of the run), each variant in its own process:

- ``ours``: ``CommandSpans.start(tracer, name, kind, attributes)`` then ``end()``
  (what the instrumentation does per command);
- ``sdk``: ``tracer.start_span(name, kind=..., attributes=...)`` then ``end()``.

Loads: ``plain`` (a command that succeeds: start, end), ``error`` (a bug: an
``error.type`` attribute, the exception event, an ERROR status), ``names`` (plain,
round-robin over 1,000 command names, each with its own attribute mapping).

Figures per span: Python calls (``cProfile``), CPU time (``time.process_time`` of the
process, an unprofiled pass; informative only on a quiet machine) and, with ``--valgrind``, CPU
instructions under ``valgrind --tool=cachegrind`` (a run with 0 and one with N spans,
the difference divided by N; every thread, so the batch processor's export thread
is counted).

Usage::

    python benchmarks/bench_command_span.py               # calls and CPU time, seconds
    python benchmarks/bench_command_span.py --valgrind    # + instructions, ~3 min
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import _common as c

SCRIPT = __file__
VARIANTS = ("sdk", "ours")
LOADS = ("plain", "error", "names")
NAMES = 1000


def _setup(variant: str, load: str, count: int) -> tuple[Callable[[int], None], Callable[[], None]]:
    """One span of ``load`` as ``variant`` makes it (takes the item's index), and a closer."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )
    from opentelemetry.trace import SpanKind, Status, StatusCode

    from otel_discord.instrumentation._command_spans import CommandSpans

    class Drop(SpanExporter):
        def export(self, spans: Sequence[Any]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    # Room for every span: a full queue drops spans with a logged warning each, as
    # often as the export thread falls behind (under valgrind: at random).
    queue = 2 * (count + 2 * NAMES) + 1
    provider.add_span_processor(BatchSpanProcessor(Drop(), max_queue_size=queue))
    tracer = provider.get_tracer("otel_discord.instrumentation.discord")
    names = NAMES if load == "names" else 1
    shapes = [
        (
            f"c{i}" if load == "names" else "ping",
            {
                "messaging.system": "discord",
                "messaging.operation.type": "process",
                "messaging.operation.name": "process",
                "discord.command.name": f"c{i}" if load == "names" else "ping",
                "discord.command.kind": "prefix",
            },
        )
        for i in range(names)
    ]
    spans = CommandSpans()
    kind = SpanKind.CONSUMER
    error = ValueError("kaboom")
    status = Status(StatusCode.ERROR, "ValueError: kaboom")

    def start(name: str, attributes: Any) -> Any:
        if variant == "ours":
            return spans.start(tracer, name, kind, attributes)
        return tracer.start_span(name, kind=kind, attributes=attributes)

    def one(index: int) -> None:
        name, attributes = shapes[index % names]
        span = start(name, attributes)
        if load == "error":
            span.set_attribute("error.type", "ValueError")
            span.record_exception(error)
            span.set_status(status)
        span.end()

    return one, provider.shutdown


def worker(variant: str, load: str, count: int, profile: bool) -> None:
    one, close = _setup(variant, load, count)
    for index in range(2 * NAMES):  # warm-up: every name seen, caches filled
        one(index)
    started = time.process_time()
    for index in range(count):
        one(index)
    cpu = (time.process_time() - started) / count * 1e6 if count else 0.0
    calls = 0.0
    if count and profile:  # a second, profiled pass: calls only (cProfile slows it down)
        profiler = cProfile.Profile()
        profiler.enable()
        for index in range(count):
            one(index)
        profiler.disable()
        calls = pstats.Stats(profiler).total_calls / count  # type: ignore[attr-defined]
    close()
    c.emit_result({"calls": calls, "cpu_us": cpu})


def _instructions(variant: str, load: str, count: int) -> int:
    """Guest instructions of one worker run under cachegrind."""
    args = [SCRIPT, "--worker", variant, "--load", load, "--count", str(count), "--no-profile"]
    return c.cachegrind(args)["instructions"]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--valgrind", action="store_true", help="also count instructions")
    parser.add_argument("--count", type=int, default=20_000, help="spans per measurement")
    parser.add_argument("--quick", action="store_true", help="5,000 spans per measurement")
    parser.add_argument("--load", choices=LOADS, help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--no-profile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.count = 5_000
    if args.worker:
        worker(args.worker, args.load, args.count, not args.no_profile)
        return
    c.print_header("One command span: CommandSpan beside the SDK's span", sys.argv)
    use_valgrind = args.valgrind and shutil.which("valgrind") is not None
    if args.valgrind and not use_valgrind:
        print("valgrind is not installed: instruction counts skipped\n")
    rows = []
    for load in LOADS:
        for variant in VARIANTS:
            result = c.run_worker(
                SCRIPT,
                ["--worker", variant, "--load", load, "--count", str(args.count)],
                timeout=600,
            )
            if "error" in result:
                rows.append([load, variant, result["error"], "", ""][: 4 + use_valgrind])
                continue
            row = [load, variant, f"{result['calls']:.1f}", f"{result['cpu_us']:.2f}"]
            if use_valgrind:
                empty = _instructions(variant, load, 0)
                full = _instructions(variant, load, args.count)
                row.append(f"{(full - empty) / args.count / 1000:.1f}k")
            rows.append(row)
            print(f"  {load} {variant} done", file=sys.stderr)
    headers = ["load", "variant", "calls/span", "CPU µs/span"]
    if use_valgrind:
        headers.append("instructions/span")
    print(c.table(headers, rows))


if __name__ == "__main__":
    main()
