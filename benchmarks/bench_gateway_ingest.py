"""Gateway benchmark: OTLP ingest throughput, and how it keeps Discord under its ceiling.

1. Ingest: sender processes post pre-encoded OTLP/HTTP protobuf batches (made by the
   official encoders) as fast as the gateway takes them; the gateway runs in this
   process, so its CPU time is this process's. Reported: items per second of wall
   time and per CPU-second (per core: the pipeline runs on one worker thread).
2. Ceiling: an error storm over 50 kinds at rising rates into a gateway posting to a
   strict local Discord with Discord's limits (5 requests / 2 s per webhook,
   30 messages / min per channel). Reported: messages posted, the most in any 60 s,
   429s by scope, protocol violations, and whether the occurrence counts in the
   embeds add up to what was sent.

Usage::

    python benchmarks/bench_gateway_ingest.py                       # about 4 minutes
    python benchmarks/bench_gateway_ingest.py --ceiling-seconds 5   # about 40 s
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

RESULT = "BENCH-RESULT "
KINDS = 50


# ----- the sender (a subprocess) -----


def _body(signal: str, size: int, *, errors: bool, offset: int = 0) -> bytes:
    """One export request of ``size`` items, built with the official OTLP messages."""
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    resource_attrs = {"service.name": "benchbot", "process.pid": os.getpid(), "host.name": "b"}
    now = time.time_ns()
    if signal == "spans":
        spans_request = ExportTraceServiceRequest()
        rs = spans_request.resource_spans.add()
        for key, value in resource_attrs.items():
            _set(rs.resource.attributes.add(key=key), value)
        scope = rs.scope_spans.add()
        scope.scope.name = "discord"
        for n in range(size):
            span = scope.spans.add(
                trace_id=os.urandom(16),
                span_id=os.urandom(8),
                name=f"command {n % 20}",
                kind=2,
                start_time_unix_nano=now,
                end_time_unix_nano=now + 2_000_000,
            )
            _set(span.attributes.add(key="discord.command.name"), f"cmd{n % 20}")
        return spans_request.SerializeToString()
    logs_request = ExportLogsServiceRequest()
    rl = logs_request.resource_logs.add()
    for key, value in resource_attrs.items():
        _set(rl.resource.attributes.add(key=key), value)
    scope_logs = rl.scope_logs.add()
    scope_logs.scope.name = "bot.handlers"
    for n in range(size):
        kind = (n + offset) % KINDS
        error = errors or n % 10 == 0
        record = scope_logs.log_records.add(
            time_unix_nano=now,
            severity_number=17 if error else 9,
            severity_text="ERROR" if error else "INFO",
        )
        record.body.string_value = f"request {n} failed" if error else f"handled {n}"
        if error:
            _set(record.attributes.add(key="exception.type"), f"Error{kind:02d}")
            _set(record.attributes.add(key="exception.message"), "upstream timed out")
    return logs_request.SerializeToString()


def _set(kv: Any, value: object) -> None:
    if isinstance(value, int):
        kv.value.int_value = value
    else:
        kv.value.string_value = str(value)


def worker(argv: Sequence[str]) -> None:
    """``--worker URL SIGNAL SECONDS THREADS BATCH RATE``: post until time is up."""
    import httpx

    url, signal, seconds, threads, batch, rate = argv
    path = "/v1/traces" if signal == "spans" else "/v1/logs"
    errors = signal == "errors"
    bodies = [_body(signal, int(batch), errors=errors, offset=i) for i in range(KINDS)]
    per_thread_rate = float(rate) / int(threads) if float(rate) > 0 else 0.0
    counts = {"requests": 0, "items": 0, "throttled": 0, "failed": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + float(seconds)

    def run(index: int) -> None:
        sent = 0
        start = time.monotonic()
        headers = {"Content-Type": "application/x-protobuf"}
        with httpx.Client(base_url=url, timeout=30) as client:
            while time.monotonic() < deadline:
                if per_thread_rate:
                    due = start + sent / per_thread_rate
                    if due > time.monotonic():
                        time.sleep(min(due - time.monotonic(), 0.05))
                        continue
                body = bodies[(index + sent) % len(bodies)]
                status = client.post(path, content=body, headers=headers).status_code
                with lock:
                    counts["requests"] += 1
                    if status == 200:
                        counts["items"] += int(batch)
                    elif status in (429, 503):
                        counts["throttled"] += 1
                        time.sleep(0.05)
                    else:
                        counts["failed"] += 1
                sent += int(batch)

    pool = [threading.Thread(target=run, args=(i,)) for i in range(int(threads))]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    print(RESULT + json.dumps(counts), flush=True)


def _send(
    url: str, signal: str, seconds: float, *, processes: int, batch: int, rate: float
) -> dict[str, int]:
    """Run sender processes; their summed counts."""
    threads = 2
    worker_args = (url, signal, str(seconds), str(threads), str(batch), str(rate / processes))
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", *worker_args],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    total: dict[str, int] = {}
    for proc in procs:
        out, _ = proc.communicate(timeout=seconds + 120)
        line = next(line for line in out.splitlines() if line.startswith(RESULT))
        for key, value in json.loads(line[len(RESULT) :]).items():
            total[key] = total.get(key, 0) + value
    return total


# ----- the gateway side (this process) -----


def _gateway(server: Any, **settings: Any) -> Any:
    from otel_discord import Channel, DiscordConfig
    from otel_discord.gateway import Gateway, GatewaySettings

    urls = {channel: server.create_webhook(channel.value) for channel in Channel}
    quiet = dict.fromkeys(
        ("analytics_interval_ms", "performance_interval_ms", "system_interval_ms"), 3_600_000
    )
    quiet |= {"health_interval_ms": 3_600_000, "alert_interval_ms": 3_600_000}
    config = DiscordConfig.resolve(webhooks=urls, env={}, **quiet)
    return Gateway(config, GatewaySettings(port=0, **settings)).start()


def ingest(seconds: float, batch: int) -> list[list[str]]:
    from otel_discord.testing import DiscordServer

    rows = []
    for signal in ("spans", "logs"):
        with DiscordServer() as server:
            gateway = _gateway(server)
            try:
                wall0, cpu0 = time.perf_counter(), time.process_time()
                counts = _send(gateway.url, signal, seconds, processes=2, batch=batch, rate=0)
                gateway.intake.drain(120)
                wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            finally:
                gateway.stop(30)
        items = counts.get("items", 0)
        rows.append(
            [
                signal,
                f"{counts.get('requests', 0):,}",
                f"{items:,}",
                f"{wall:.1f}",
                f"{items / wall:,.0f}",
                f"{cpu:.1f}",
                f"{items / cpu:,.0f}" if cpu else "-",
                f"{counts.get('throttled', 0):,}",
            ]
        )
    return rows


def ceiling(seconds: float, rates: Sequence[float]) -> list[list[str]]:
    from otel_discord import Channel
    from otel_discord.testing import DiscordServer

    rows = []
    for rate in rates:
        with DiscordServer() as server:  # Discord's own limits
            gateway = _gateway(server)
            try:
                started = time.monotonic()
                batch = max(1, min(500, int(rate / 20) or 1)) if rate else 500
                counts = _send(gateway.url, "errors", seconds, processes=2, batch=batch, rate=rate)
                flushed = gateway.flush(120)
                elapsed = time.monotonic() - started
            finally:
                gateway.stop(30)
            logs = server.messages(Channel.LOGS.value)
            delivered = sum(
                _occurrences(embed)
                for message in logs
                for embed in message.payload.get("embeds", [])
                if embed.get("title", "").startswith("❌ Error")
            )
            limited = server.stats().rate_limited
            times = sorted(message.received_at for message in logs)
            busiest = max(
                (sum(1 for t in times if start <= t < start + 60) for start in times), default=0
            )
            rows.append(
                [
                    f"{rate:,.0f}" if rate else "max",
                    f"{counts.get('items', 0):,}",
                    f"{counts.get('items', 0) / seconds:,.0f}",
                    f"{len(logs)}",
                    f"{elapsed:.0f}",
                    f"{busiest}",
                    "/".join(str(limited.get(s, 0)) for s in ("user", "shared", "global")),
                    str(len(server.violations)),
                    "yes" if delivered == counts.get("items", 0) and flushed else f"{delivered:,}",
                ]
            )
    return rows


def _occurrences(embed: dict[str, Any]) -> int:
    match = re.search(r"\*\*([\d,]+) occurrences\*\*", embed.get("description", ""))
    return int(match[1].replace(",", "")) if match else 1


def _table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=False)]
    lines = [title, "  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in[:1] == ["--worker"]:
        worker(args_in[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each run")
    parser.add_argument("--batch", type=int, default=512, help="items per request (ingest)")
    parser.add_argument(
        "--ceiling-seconds",
        type=float,
        default=65.0,
        help="length of each storm (over 60 s shows the per-minute channel ceiling)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="short runs (2 s ingest, 15 s storms) for make bench"
    )
    args = parser.parse_args(args_in)
    if args.quick:
        args.seconds, args.ceiling_seconds = 2.0, 15.0
    print(f"python {platform.python_version()} · {os.cpu_count()} CPUs · {platform.machine()}")
    print(
        _table(
            f"\nIngest throughput ({args.seconds:.0f} s, 2 sender processes x 2 threads,"
            f" {args.batch} items per request; 10 % of log records are errors)",
            ["signal", "requests", "items", "wall s", "items/s", "CPU s", "items/CPU-s", "429"],
            ingest(args.seconds, args.batch),
        )
    )
    print(
        _table(
            f"\nDiscord ceiling (error storm over {KINDS} kinds, {args.ceiling_seconds:.0f} s each;"
            " Discord limits 5/2 s per webhook, 30 msgs/min per channel)",
            [
                "offered/s",
                "accepted",
                "accepted/s",
                "msgs",
                "over s",
                "max in 60 s",
                "429 u/s/g",
                "violations",
                "counts exact",
            ],
            ceiling(args.ceiling_seconds, (100.0, 10_000.0, 0.0)),
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
