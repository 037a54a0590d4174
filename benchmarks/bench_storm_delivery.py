"""Benchmark 3: an error storm through the whole stack, against Discord's real limits.

An application process (``otel_discord.configure()`` with its defaults, one webhook
per channel) logs 10,000 exceptions a minute of 50 kinds for 3 minutes; the strict
local Discord runs in the parent with Discord's limits (5 requests / 2 s per
webhook, 30 messages / minute per channel, 50 requests / s globally). At the end
the application shuts down as at exit (flushing what it holds), then the figures:

- messages per channel per minute, against the ceiling of 30;
- 429s by scope, invalid requests (Cloudflare ban counter) and protocol violations;
- the share of kinds whose delivered counts (``**N occurrences**`` in the embeds,
  one for an embed without a count) add up exactly to what was logged;
- seconds from a kind's first occurrence to its first embed on Discord (p50, max);
- the application's peak RSS.

Usage::

    python benchmarks/bench_storm_delivery.py              # 3 minutes at 10,000/min
    python benchmarks/bench_storm_delivery.py --quick      # 30 s at 10,000/min
    python benchmarks/bench_storm_delivery.py --minutes 10 --rate 20000 --kinds 200
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import _common as c

SCRIPT = __file__
KIND_NAME = re.compile(r"\b(Stage[A-Z][a-z]Error)\b")


def kind_names(kinds: int) -> list[str]:
    """``StageAaError``, ``StageAbError``, ...: letters only, since digits are templated."""
    return [f"Stage{chr(65 + i // 26)}{chr(97 + i % 26)}Error" for i in range(kinds)]


# ----- in the application process -----


def worker(rate: float, seconds: float, kinds: int) -> None:
    import otel_discord

    rss_before = c.peak_rss_mib()
    telemetry = otel_discord.configure(service_name="bench-storm")
    classes = [type(name, (RuntimeError,), {"__module__": "storm"}) for name in kind_names(kinds)]
    log = logging.getLogger("storm.jobs")
    first_seen: dict[str, float] = {}
    counts: Counter[str] = Counter()
    interval = 1.0 / rate
    started = time.perf_counter()
    started_wall = time.time()
    n = 0
    while True:
        due = started + n * interval
        if due - started >= seconds:
            break
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        kind = classes[n % kinds]
        try:
            raise kind(f"order {n} could not be processed")
        except RuntimeError:
            log.exception("job %d failed", n)
        name = kind.__name__
        counts[name] += 1
        first_seen.setdefault(name, time.time())
        n += 1
    storm_end = time.time()
    behind_s = time.perf_counter() - (started + n * interval)
    rss_storm = c.peak_rss_mib()
    flush_started = time.perf_counter()
    telemetry.shutdown()
    c.emit_result(
        {
            "counts": counts,
            "first_seen": first_seen,
            "started": started_wall,
            "storm_end": storm_end,
            "behind_s": behind_s,
            "shutdown_s": time.perf_counter() - flush_started,
            "rss_before_mib": rss_before,
            "peak_rss_mib": max(rss_storm, c.peak_rss_mib()),
        }
    )


# ----- in the parent -----


def _per_minute(messages: Sequence[Any], started: float) -> dict[str, list[int]]:
    """Messages per channel in each whole minute since the storm started."""
    buckets: dict[str, Counter[int]] = defaultdict(Counter)
    for message in messages:
        buckets[message.channel][int((message.received_at - started) // 60)] += 1
    return {
        channel: [minutes[i] for i in range(max(minutes) + 1)]
        for channel, minutes in sorted(buckets.items())
    }


def _delivered(messages: Sequence[Any]) -> tuple[Counter[str], dict[str, float]]:
    """Occurrences delivered per kind, and when each kind first reached Discord."""
    delivered: Counter[str] = Counter()
    first: dict[str, float] = {}
    for message in messages:
        for embed in message.payload.get("embeds") or []:
            match = KIND_NAME.search(str(embed.get("title") or ""))
            if match is None:
                continue
            delivered[match.group(1)] += c.occurrences(embed)
            first.setdefault(match.group(1), message.received_at)
    return delivered, first


def compare(rate: float, minutes: float, kinds: int) -> str:
    server = c.real_discord()
    env = c.webhook_env(server)
    seconds = minutes * 60
    args = ["--worker", "--rate", str(rate), "--minutes", str(minutes), "--kinds", str(kinds)]
    result = c.run_worker(SCRIPT, args, env=env, timeout=seconds + 600)
    messages = server.messages()
    stats = server.stats()
    violations = server.violations
    server.stop()
    if "error" in result:
        return f"the application failed: {result['error']}"
    emitted: dict[str, int] = result["counts"]
    delivered, first = _delivered(messages)
    exact = [name for name, count in emitted.items() if delivered.get(name) == count]
    waits = sorted(first[name] - result["first_seen"][name] for name in emitted if name in first)
    total = sum(emitted.values())
    channel_rows = []
    for channel, per_minute in _per_minute(messages, result["started"]).items():
        embeds = sum(len(m.payload.get("embeds") or []) for m in messages if m.channel == channel)
        channel_rows.append(
            [
                channel,
                str(sum(per_minute)),
                str(embeds),
                " ".join(str(n) for n in per_minute),
                str(max(per_minute)),
            ]
        )
    scopes = ", ".join(f"{k}: {v}" for k, v in sorted(stats.rate_limited.items())) or "none"
    summary = [
        ["errors logged", f"{total:,} ({rate:,.0f}/min, {kinds} kinds, {minutes:g} min)"],
        ["application fell behind its schedule by", f"{max(0.0, result['behind_s']):.2f} s"],
        ["kinds delivered", f"{len(first)}/{kinds}"],
        [
            "kinds delivered with exact counts",
            f"{len(exact)}/{kinds} ({100 * len(exact) / kinds:.0f} %)",
        ],
        [
            "occurrences accounted for",
            f"{sum(delivered.values()):,} of {total:,}",
        ],
        [
            "s until a kind first appears (p50 / max)",
            f"{c.percentile(waits, 0.5):.1f} / {max(waits, default=float('nan')):.1f}",
        ],
        ["requests / accepted", f"{stats.requests} / {stats.ok}"],
        ["429s by scope", scopes],
        ["invalid requests (Cloudflare counter)", str(stats.invalid_requests)],
        ["protocol violations", str(len(violations))],
        [
            "application RSS before / peak",
            f"{result['rss_before_mib']:.0f} / {result['peak_rss_mib']:.0f} MiB",
        ],
        ["shutdown flush at exit", f"{result['shutdown_s']:.1f} s"],
    ]
    lines = [
        c.table(["figure", "value"], summary),
        "",
        c.table(
            [
                "channel",
                "messages",
                "embeds",
                "messages per minute: 1st, 2nd, ...",
                "peak per minute (ceiling 30)",
            ],
            channel_rows,
        ),
    ]
    lines += [f"violation: {v.kind.value} ({v.detail})" for v in violations[:10]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="30 s instead of 3 minutes")
    parser.add_argument("--rate", type=float, default=10_000, help="errors per minute")
    parser.add_argument("--minutes", type=float, default=3.0, help="length of the storm")
    parser.add_argument("--kinds", type=int, default=50, help="distinct errors (max 676)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.minutes = 0.5
    if args.worker:
        worker(args.rate / 60, args.minutes * 60, args.kinds)
        return
    c.print_header("Benchmark 3: storm delivery", sys.argv)
    print(compare(args.rate, args.minutes, args.kinds))


if __name__ == "__main__":
    main()
