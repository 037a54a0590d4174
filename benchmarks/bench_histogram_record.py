"""One duration record: the SDK's ``Histogram.record`` against ``HistogramTally.record``.

Side by side, for one reader and for three (cumulative, delta, cumulative), with the
attribute set a command records (name, kind, outcome):

- ``calls/record``: Python calls per record on the recording thread (``cProfile``);
- ``us/record``: wall time per record on that thread (best of 5 rounds; noisy on a
  shared machine, compare the columns of one run, not runs);
- ``us/value at collect``: what the tally moved to collection time (its replay),
  per value, as the difference between a collection after N records and one after
  none;
- with ``--valgrind``: CPU instructions per record including its share of one
  collection (a worker run with N records and one with none, difference / N).

Usage::

    python benchmarks/bench_histogram_record.py               # ~10 s
    python benchmarks/bench_histogram_record.py --valgrind    # + instructions, ~2 min
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import time
from collections.abc import Sequence
from typing import Any

import _common as c

SCRIPT = __file__
PATHS = ("sdk", "tally")
READERS = (1, 3)
ATTRIBUTES = {
    "discord.command.name": "ping",
    "discord.command.kind": "prefix",
    "discord.command.outcome": "success",
}


def _setup(path: str, readers: int) -> tuple[Any, Any]:
    """A provider with ``readers`` in-memory readers and the histogram to record on."""
    from opentelemetry.sdk.metrics import Histogram, MeterProvider
    from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader

    from otel_discord.instrumentation._histogram_tally import HistogramTally, fast_histogram
    from otel_discord.instrumentation._telemetry import DURATION_BUCKETS

    delta = {Histogram: AggregationTemporality.DELTA}
    temporalities = [None, delta, None][:readers]
    provider = MeterProvider(
        metric_readers=[InMemoryMetricReader(preferred_temporality=t) for t in temporalities],
        shutdown_on_exit=False,
    )
    meter = provider.get_meter("bench")
    histogram = meter.create_histogram(
        "discord.command.duration", unit="s", explicit_bucket_boundaries_advisory=DURATION_BUCKETS
    )
    sink: Any = histogram
    if path == "tally":
        sink = fast_histogram(meter, histogram)
        assert isinstance(sink, HistogramTally)
        sink.record(0.001, ATTRIBUTES)  # first sight of the set: the slow path, once
        assert sink.fast
    return provider, sink


def _values(count: int) -> list[float]:
    return [((i * 7919) % 1000) / 9973.0 for i in range(count)]


def _measure(path: str, readers: int, count: int) -> dict[str, float]:
    provider, sink = _setup(path, readers)
    values = _values(count)
    record = sink.record
    profiler = cProfile.Profile()
    profiler.enable()
    for value in values:
        record(value, ATTRIBUTES)
    profiler.disable()
    calls = pstats.Stats(profiler).total_calls / count  # type: ignore[attr-defined]
    provider.force_flush()
    best = float("inf")
    collect_extra = float("inf")
    for _round in range(5):
        provider.force_flush()
        started = time.perf_counter()
        provider.force_flush()
        empty = time.perf_counter() - started
        started = time.perf_counter()
        for value in values:
            record(value, ATTRIBUTES)
        best = min(best, time.perf_counter() - started)
        started = time.perf_counter()
        provider.force_flush()
        collect_extra = min(collect_extra, time.perf_counter() - started - empty)
    provider.shutdown()
    return {
        "calls": calls,
        "us": best / count * 1e6,
        "collect_us": max(collect_extra, 0.0) / count * 1e6,
    }


def worker(path: str, readers: int, count: int) -> None:
    """Record ``count`` values, then collect once (the run valgrind counts)."""
    provider, sink = _setup(path, readers)
    for value in _values(count):
        sink.record(value, ATTRIBUTES)
    provider.force_flush()
    provider.shutdown()


def _instructions(path: str, readers: int, count: int) -> int:
    """Guest instructions of one worker run under cachegrind."""
    args = [SCRIPT, "--worker", path, "--readers", str(readers), "--count", str(count)]
    return c.cachegrind(args)["instructions"]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20_000, help="records per measurement")
    parser.add_argument("--quick", action="store_true", help="5,000 records per measurement")
    parser.add_argument("--valgrind", action="store_true", help="also count instructions")
    parser.add_argument("--worker", choices=PATHS, help=argparse.SUPPRESS)
    parser.add_argument("--readers", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.count = 5000
    if args.worker:
        worker(args.worker, args.readers, args.count)
        return
    c.print_header("One duration record: SDK Histogram.record vs HistogramTally", sys.argv)
    use_valgrind = args.valgrind and shutil.which("valgrind") is not None
    if args.valgrind and not use_valgrind:
        print("valgrind is not installed: instruction counts skipped\n")
    rows = []
    for readers in READERS:
        for path in PATHS:
            result = _measure(path, readers, args.count)
            row = [
                path,
                str(readers),
                f"{result['calls']:.0f}",
                f"{result['us']:.2f}",
                f"{result['collect_us']:.2f}",
            ]
            if use_valgrind:
                valgrind_count = min(args.count, 5000)
                empty = _instructions(path, readers, 0)
                full = _instructions(path, readers, valgrind_count)
                row.append(f"{(full - empty) / valgrind_count / 1000:.1f}k")
            rows.append(row)
    headers = ["path", "readers", "calls/record", "us/record", "us/value at collect"]
    if use_valgrind:
        headers.append("instructions/record (incl. collect)")
    print(c.table(headers, rows))


if __name__ == "__main__":
    main()
