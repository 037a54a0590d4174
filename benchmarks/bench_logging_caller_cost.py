"""Benchmark 2: what ``logger.error`` costs the application thread while Discord is slow.

The application thread emits 10,000 ``logger.error`` records (20 message kinds) while
the strict local Discord (in the parent process, Discord's real rate limits) takes
200 ms to answer every request. Timed: the caller's loop only. Then, for
information, how many of the records reached Discord within ``--after`` seconds,
and in all once the application flushed at exit (a grouped embed counts as the
records it stands for), and what the server answered.

Contenders, each in a fresh process with the handler on the root logger:

- ``logging.NullHandler``: the floor, Python logging itself;
- the OpenTelemetry SDK ``LoggingHandler`` with a batch processor and an exporter
  that drops everything: the SDK's own cost;
- otel-discord: ``otel_discord.configure()`` (logging bridge + ``DiscordLogExporter``)
  posting to the slow local Discord;
- log2discord's ``DiscordLoggingHandler`` (one blocking HTTP request per record; it
  also prints its field names to stdout on every record: sent to os.devnull here).
  At 200 ms a record it would take over half an hour, so it runs for a time budget
  and its figure for 10,000 records is projected from its measured rate.

discord-logging-handler, the other typical handler, requires Python >= 3.12 and does
not install on older interpreters: it is listed as skipped there.

Usage::

    python benchmarks/bench_logging_caller_cost.py            # about 1 minute
    python benchmarks/bench_logging_caller_cost.py --quick    # about 30 s
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import _common as c

SCRIPT = __file__
STAGES = [
    "fetch",
    "parse",
    "validate",
    "price",
    "reserve",
    "charge",
    "capture",
    "refund",
    "notify",
    "render",
    "upload",
    "resize",
    "index",
    "cache",
    "publish",
    "archive",
    "audit",
    "export",
    "sync",
    "cleanup",
]
"""Twenty words: twenty message kinds (numbers in a message don't make a new kind)."""


@dataclass(frozen=True)
class Contender:
    """One logging handler compared, and the distribution it needs."""

    mode: str
    label: str
    needs: str | None
    budgeted: bool = False
    """Runs for a time budget, its 10,000-record figure projected."""


CONTENDERS = (
    Contender("null", "logging.NullHandler (floor)", None),
    Contender("otel-noop", "OTel SDK LoggingHandler, no-op exporter", None),
    Contender("ours", "otel-discord configure() -> slow Discord", None),
    Contender("log2discord", "log2discord DiscordLoggingHandler", "log2discord", budgeted=True),
    Contender(
        "discord-logging-handler",
        "discord-logging-handler",
        "discord-logging-handler",
        budgeted=True,
    ),
)


# ----- in the worker -----


def _handler_null(url: str) -> Callable[[], None]:
    logging.getLogger().addHandler(logging.NullHandler())
    return lambda: None


def _handler_otel_noop(url: str) -> Callable[[], None]:
    from opentelemetry.sdk._logs import LoggingHandler

    providers = c.noop_providers()
    logging.getLogger().addHandler(LoggingHandler(logger_provider=providers["logger_provider"]))
    return providers["logger_provider"].shutdown  # type: ignore[no-any-return]


def _handler_ours(url: str) -> Callable[[], None]:
    import otel_discord

    telemetry = otel_discord.configure(
        service_name="bench-logging",
        webhooks={"logs": url},
        system_metrics=False,
        instrument_discord=False,
    )
    return telemetry.shutdown


def _handler_log2discord(url: str) -> Callable[[], None]:
    from log2discord import DiscordLoggingHandler

    logging.getLogger().addHandler(DiscordLoggingHandler(webhook_url=url, project_name="bench"))
    return lambda: None


def _handler_discord_logging_handler(url: str) -> Callable[[], None]:
    from discord_logging_handler import DiscordWebHookHandler  # type: ignore[import-not-found]

    # As its README shows; not run here (it needs Python >= 3.12).
    logging.getLogger().addHandler(DiscordWebHookHandler(webhook_url=url, level=logging.ERROR))
    return lambda: None


HANDLERS: dict[str, Callable[[str], Callable[[], None]]] = {
    "null": _handler_null,
    "otel-noop": _handler_otel_noop,
    "ours": _handler_ours,
    "log2discord": _handler_log2discord,
    "discord-logging-handler": _handler_discord_logging_handler,
}


def worker(mode: str, url: str, records: int, budget: float, after: float) -> None:
    shutdown = HANDLERS[mode](url)
    log = logging.getLogger("shop.jobs")
    log.setLevel(logging.INFO)
    emitted = 0
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        started = time.perf_counter()
        for emitted in range(1, records + 1):
            log.error("job %d failed in stage %s", emitted, STAGES[emitted % len(STAGES)])
            if time.perf_counter() - started > budget:
                break
        caller_s = time.perf_counter() - started
    time.sleep(after)
    window_end = time.time()
    shutdown()  # what an application does at exit: flush what is still held
    c.emit_result({"emitted": emitted, "caller_s": caller_s, "window_end": window_end})


# ----- in the parent -----


def _records(messages: Iterable[Any]) -> int:
    """Records the accepted messages stand for (a grouped embed counts its occurrences)."""
    return sum(
        c.occurrences(embed)
        for message in messages
        for embed in message.payload.get("embeds") or []
    )


def _answers(before: Any, after: Any) -> str:
    """The server's answers between two ``stats()``: ``2xx``, then each error status."""
    parts = [f"{after.ok - before.ok} ok"]
    for status in sorted(after.by_status):
        count = after.by_status[status] - before.by_status.get(status, 0)
        if count:
            parts.append(f"{count} x {status}")
    return ", ".join(parts)


def compare(records: int, budget: float, after: float) -> str:
    from otel_discord.testing import Fault

    server = c.real_discord()
    server.slow_seconds = 0.2
    server.inject(Fault.SLOW, count=10**6)
    rows = []
    notes = []
    for contender in CONTENDERS:
        if contender.needs is not None and not c.installed(contender.needs):
            notes.append(f"skipped {contender.label}: {contender.needs} is not installed")
            continue
        channel = f"logs-{contender.mode}"
        url = server.create_webhook(channel)
        before = server.stats()
        limit = budget if contender.budgeted else 3600.0
        args = ["--worker", contender.mode, "--url", url, "--records", str(records)]
        result = c.run_worker(
            SCRIPT,
            [*args, "--budget", str(limit), "--after", str(after)],
            timeout=limit + after + 120,
        )
        print(f"  {contender.label} done", file=sys.stderr)
        if "error" in result:
            rows.append([contender.label, "failed", "", "", "", "", "", ""])
            notes.append(f"error in {contender.mode}: {result['error']}")
            continue
        emitted, caller_s = result["emitted"], result["caller_s"]
        per_us = caller_s / emitted * 1e6
        messages = server.messages(channel)
        reached = _records(m for m in messages if m.received_at <= result["window_end"])
        flushed = _records(messages)
        answers = _answers(before, server.stats())
        projected = per_us * records / 1e6
        rows.append(
            [
                contender.label,
                f"{emitted:,}",
                f"{caller_s:.3f}",
                f"{per_us:,.1f}",
                f"{projected:,.2f}" + (" (projected)" if emitted < records else ""),
                f"{reached:,}",
                f"{flushed:,}",
                answers,
            ]
        )
    violations = server.violations
    server.stop()
    headers = [
        "contender",
        "records",
        "caller s",
        "us/record",
        f"caller s for {records:,}",
        f"reached Discord <= {after:g} s after",
        "... + flush at exit",
        "HTTP answers",
    ]
    kinds: dict[str, int] = {}
    for violation in violations:
        kinds[str(violation.kind.value)] = kinds.get(str(violation.kind.value), 0) + 1
    lines = [
        f"{records:,} logger.error records, 20 kinds; Discord answers every request after 200 ms;"
        f" Discord's real rate limits; budget for one-request-per-record handlers {budget:g} s",
        "",
        c.table(headers, rows),
        "",
        "protocol violations seen by the local Discord (all contenders): "
        + (", ".join(f"{k}: {v}" for k, v in sorted(kinds.items())) or "none"),
        *notes,
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter budget and wait")
    parser.add_argument("--records", type=int, default=10_000, help="records to emit")
    parser.add_argument("--budget", type=float, default=20.0, help="s for blocking handlers")
    parser.add_argument("--after", type=float, default=35.0, help="s to wait for delivery")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.budget, args.after = 10.0, 5.0
    if args.worker:
        worker(args.worker, args.url, args.records, args.budget, args.after)
        return
    c.print_header("Benchmark 2: caller cost of logging with a slow Discord", sys.argv)
    print(compare(args.records, args.budget, args.after))


if __name__ == "__main__":
    main()
