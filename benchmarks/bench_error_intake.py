"""What one error costs the exporter's thread at intake, and what computing its kind once saves.

Side by side in one run, for a short message and a 10 KB one, each with a real
traceback: the error-kind key alone (``fingerprint.error_kind``), and the whole
intake of one error (``Pipeline.submit_error``: dedup, storm tally, repeat hold,
outbox) as shipped, where the key is computed once, against the same intake plus
the second computation the storm window made for every error before the single
fingerprint (a first sighting cost a third). Rounds are interleaved and the
median kept, so a busy machine skews the three alike. Delivery goes to an
unreachable port, so the figures are the intake alone.

Usage::

    python benchmarks/bench_error_intake.py
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable

from otel_discord import Channel, DiscordConfig
from otel_discord.fingerprint import error_kind
from otel_discord.pipeline import Pipeline
from otel_discord.records import Occurrence

ROUNDS = 7
PER_ROUND = 2000
TRACE = (
    "Traceback (most recent call last):\n"
    + "".join(
        f'  File "/srv/bot/cogs/music_{i}.py", line {40 + i}, in play\n    await voice.connect()\n'
        for i in range(8)
    )
    + "TimeoutError: voice.connect timed out after 30 s"
)


def occurrence(message: str, i: int) -> Occurrence:
    return Occurrence(
        time_ns=1_700_000_000_000_000_000 + i,
        severity_number=17,
        severity_text="ERROR",
        source="astrobot.voice",
        message=message,
        service="astrobot",
        exc_type="TimeoutError",
        exc_message=f"{message} (guild {i % 50}, attempt {i})",
        stacktrace=TRACE,
    )


def per_call_us(*works: Callable[[int], object]) -> list[float]:
    """Per work: the median over interleaved rounds of the mean µs per call."""
    rounds: list[list[float]] = [[] for _ in works]
    for _ in range(ROUNDS):
        for work, times in zip(works, rounds, strict=True):
            start = time.perf_counter()
            for i in range(PER_ROUND):
                work(i)
            times.append((time.perf_counter() - start) / PER_ROUND * 1e6)
    return [statistics.median(times) for times in rounds]


def measure(label: str, message: str, config: DiscordConfig) -> None:
    pipeline = Pipeline(config)

    def kind(i: int) -> None:
        error_kind(occurrence(message, i))

    def once(i: int) -> None:
        pipeline.submit_error(Channel.LOGS, occurrence(message, i))

    def as_before(i: int) -> None:
        occ = occurrence(message, i)
        error_kind(occ)  # the storm window computed its own key for every error
        pipeline.submit_error(Channel.LOGS, occ)

    kind_us, once_us, before_us = per_call_us(kind, once, as_before)
    pipeline.shutdown(0.1)
    print(f"{label:>10} {kind_us:>14.1f} {once_us:>17.1f} {before_us:>18.1f}")


def main() -> None:
    logging.disable(logging.WARNING)  # the unreachable destination's notices are expected
    config = DiscordConfig.resolve(
        webhook_url="http://127.0.0.1:9/api/v10/webhooks/1/benchmark-token", env={}
    )
    print(
        f"{'message':>10} {'error_kind µs':>14} {'intake µs (now)':>17} {'intake µs (before)':>18}"
    )
    for label, message in (("60 B", "voice.connect timed out"), ("10 KB", "x" * 10_000)):
        measure(label, message, config)


if __name__ == "__main__":
    main()
