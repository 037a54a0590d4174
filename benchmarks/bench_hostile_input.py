"""Hostile input: memory held under floods, slowloris, many-member gzip, shutdown with big records.

Each probe runs in a worker subprocess of its own (its RSS is its own), once with this
tree's ``otel_discord`` and, when ``--baseline DIR`` names a copy of an older tree (for
example ``git archive 5630f67 | tar -x -C /tmp/base``), once with that one, side by side.
The local Discord runs inside the worker with Discord's real limits (5 per 2 s per
webhook), so what the pipeline holds while delivery lags is what is measured.

Usage::

    python benchmarks/bench_hostile_input.py [--baseline DIR] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit_result, peak_rss_mib, print_header, run_worker, table

SCRIPT = str(Path(__file__).resolve())
MIB = 1024 * 1024


def _rss_mib() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / MIB


def _config(server: Any, **settings: Any) -> Any:
    from otel_discord import Channel
    from otel_discord.config import DiscordConfig

    hooks = {channel: server.create_webhook(channel.value) for channel in Channel}
    return DiscordConfig.resolve(webhooks=hooks, env={}, **settings)


def _discord() -> Any:
    from otel_discord.testing import DiscordServer

    return DiscordServer(webhook_limit=(5, 2.0), channel_limit=(30, 60.0)).start()


def _log_record(message: str, n: int) -> Any:
    from opentelemetry._logs import LogRecord, SeverityNumber
    from opentelemetry.sdk._logs import ReadableLogRecord
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope

    record = LogRecord(
        timestamp=time.time_ns(),
        severity_number=SeverityNumber.ERROR,
        severity_text="ERROR",
        body=message,
        attributes={"code.function": f"handler_{n}"},
    )
    return ReadableLogRecord(
        record, Resource.create({"service.name": "bench"}), InstrumentationScope(f"bench.kind{n}")
    )


# ----- workers -----


def worker_error_kinds(kinds: int, mib: int, max_queue_size: int) -> dict[str, Any]:
    """``kinds`` distinct errors of ``mib`` MiB each through the log exporter; RSS held."""
    from otel_discord.exporters import DiscordLogExporter

    server = _discord()
    exporter = DiscordLogExporter(_config(server, max_queue_size=max_queue_size))
    exporter.force_flush(5000)  # the start-up notice is out
    server.down()  # Discord unreachable: everything exported stays queued (the worst case)
    gc.collect()
    before = _rss_mib()
    started = time.monotonic()
    for n in range(kinds):
        message = f"kind {n} failed: " + "x" * (mib * MIB)
        exporter.export([_log_record(message, n)])
        del message
    export_s = time.monotonic() - started
    gc.collect()
    held = _rss_mib() - before
    server.up()  # back, but rate-limited: shutdown delivers what fits in its deadline
    started = time.monotonic()
    exporter.shutdown()
    shutdown_s = time.monotonic() - started
    server.stop()
    return {
        "held_mib": round(held, 1),
        "export_ms": round(1000 * export_s / kinds, 1),
        "shutdown_s": round(shutdown_s, 2),
    }


def _logs_request(attribute_bytes: int) -> bytes:
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    request = ExportLogsServiceRequest()
    resource_logs = request.resource_logs.add()
    attribute = resource_logs.resource.attributes.add(key="service.name")
    attribute.value.string_value = "flood"
    record = resource_logs.scope_logs.add().log_records.add()
    record.severity_number = 17
    record.body.string_value = "flood"
    blob = record.attributes.add(key="blob")
    blob.value.string_value = "y" * attribute_bytes
    return request.SerializeToString()


def _trim() -> None:
    """Hand freed heap back to the OS (glibc), so RSS shows live memory."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _gateway(server: Any, **settings: Any) -> Any:
    from otel_discord.gateway import Gateway, GatewaySettings

    return Gateway(_config(server), GatewaySettings(port=0, **settings)).start()


def worker_gateway_flood(clients: int, mib: int) -> dict[str, Any]:
    """``clients`` concurrent requests of one ``mib`` MiB attribute each; peak RSS growth."""
    import httpx

    server = _discord()
    gateway = _gateway(server)
    body = _logs_request(mib * MIB)
    gc.collect()
    before = _rss_mib()
    statuses: list[int] = []
    lock = threading.Lock()

    def send() -> None:
        try:
            code = httpx.post(
                f"{gateway.url}/v1/logs",
                content=body,
                headers={"Content-Type": "application/x-protobuf"},
                timeout=60,
            ).status_code
        except httpx.HTTPError:
            code = 0
        with lock:
            statuses.append(code)

    threads = [threading.Thread(target=send) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    gateway.flush(5.0)
    peak = peak_rss_mib() - before
    gc.collect()
    _trim()  # what is live, not what glibc keeps of freed blocks
    held = _rss_mib() - before
    gateway.stop(5.0)
    server.stop()
    counts = {str(code): statuses.count(code) for code in sorted(set(statuses))}
    return {"peak_growth_mib": round(peak, 1), "held_mib": round(held, 1), "statuses": counts}


def worker_slowloris(slots_factor: int) -> dict[str, Any]:
    """``slots_factor`` x max_connections dripping connections; a legit request's answer."""
    import httpx

    from otel_discord.gateway import GatewaySettings

    server = _discord()
    gateway = _gateway(server)
    slots = GatewaySettings().max_connections
    socks = []
    for _ in range(slots * slots_factor):
        sock = socket.create_connection(("127.0.0.1", gateway.port), timeout=5)
        sock.sendall(b"POST /v1/logs HTTP/1.1\r\nHost: x\r\n")
        socks.append(sock)
    time.sleep(0.5)
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    started = time.monotonic()
    try:
        with httpx.Client(transport=transport, timeout=30) as client:
            status = client.post(
                f"http://127.0.0.1:{gateway.port}/v1/logs",
                content=_logs_request(10),
                headers={"Content-Type": "application/x-protobuf"},
            ).status_code
    except httpx.HTTPError as exc:
        status = type(exc).__name__  # type: ignore[assignment]
    answered_s = time.monotonic() - started
    for sock in socks:
        sock.close()
    gateway.stop(5.0)
    server.stop()
    return {
        "slots": slots,
        "attackers": len(socks),
        "legit": status,
        "legit_s": round(answered_s, 3),
    }


def worker_gzip(kib: int) -> dict[str, Any]:
    """Inflate ``kib`` KiB of empty gzip members; CPU seconds."""
    import gzip

    from otel_discord.gateway._decode import inflate

    member = gzip.compress(b"")
    body = member * (kib * 1024 // len(member))
    started = time.process_time()
    inflate(body, "gzip", 8 * MIB)
    return {"cpu_s": round(time.process_time() - started, 3), "members": kib * 1024 // len(member)}


WORKERS: dict[str, Callable[..., dict[str, Any]]] = {
    "error_kinds": worker_error_kinds,
    "gateway_flood": worker_gateway_flood,
    "slowloris": worker_slowloris,
    "gzip": worker_gzip,
}


def _worker(name: str, args: Sequence[str]) -> None:
    import otel_discord

    result = WORKERS[name](*(int(a) for a in args))
    result["source"] = str(Path(otel_discord.__file__).parent.parent)
    emit_result(result)


# ----- parent -----


def _run(tree: str | None, name: str, *args: object, timeout: float = 900) -> dict[str, Any]:
    env = {"PYTHONPATH": tree} if tree else {}
    return run_worker(
        SCRIPT, ["--worker", name, *map(str, args)], env={**os.environ, **env}, timeout=timeout
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", help="a copy of an older tree to compare with")
    parser.add_argument("--quick", action="store_true", help="smaller floods")
    parser.add_argument("--only", help="run only the probes whose worker has this name")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.worker[0], args.worker[1:])
        return 0
    print_header(
        "Hostile input: memory, slowloris, gzip",
        [SCRIPT, *(argv or sys.argv[1:])],
        ["otel-discord"],
    )
    trees = [("this tree", None)] + ([("baseline", args.baseline)] if args.baseline else [])
    kinds = 40 if args.quick else 150
    flood = 32 if args.quick else 96
    probes: list[tuple[str, str, tuple[object, ...], Callable[[dict[str, Any]], str]]] = [
        (
            f"{kinds} error kinds x 4 MiB (exporter)",
            "error_kinds",
            (kinds, 4, 1000),
            lambda r: (
                f"held {r['held_mib']} MiB · {r['export_ms']} ms/export · "
                f"shutdown {r['shutdown_s']} s"
            ),
        ),
        (
            f"{100 if args.quick else 500} errors x 1 MiB, MAX_QUEUE_SIZE=50 (exporter)",
            "error_kinds",
            (100 if args.quick else 500, 1, 50),
            lambda r: (
                f"held {r['held_mib']} MiB · {r['export_ms']} ms/export · "
                f"shutdown {r['shutdown_s']} s"
            ),
        ),
        (
            f"{flood} concurrent 6 MiB attributes (gateway)",
            "gateway_flood",
            (flood, 6),
            lambda r: (
                f"peak +{r['peak_growth_mib']} MiB · held {r['held_mib']} MiB · {r['statuses']}"
            ),
        ),
        (
            "2x slots of slowloris, legit sender (gateway)",
            "slowloris",
            (2,),
            lambda r: (
                f"{r['attackers']} vs {r['slots']} slots · legit {r['legit']} in {r['legit_s']} s"
            ),
        ),
        ("1 MiB of empty gzip members", "gzip", (1024,), lambda r: f"{r['cpu_s']} s CPU"),
        ("4 MiB of empty gzip members", "gzip", (4096,), lambda r: f"{r['cpu_s']} s CPU"),
    ]
    rows = []
    for title, name, probe_args, show in probes:
        if args.only and name != args.only:
            continue
        row = [title]
        for label, tree in trees:
            if name == "gzip" and tree and probe_args[0] > 1024:
                row.append("skipped (quadratic: minutes)")
                continue
            result = _run(tree, name, *probe_args)
            row.append(result["error"] if "error" in result else show(result))
            print(f"{title} · {label}: {result}", file=sys.stderr, flush=True)
        rows.append(row)
    print(table(["probe", *(label for label, _ in trees)], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
