"""The receiver under hostile clients: slowloris, drip-fed bodies, budget floods, gzip shapes.

Everything runs over loopback (127.0.0.1 for the attacker, 127.0.0.2 for the legitimate
sender: Linux routes all of 127/8 to the loopback interface) and is bounded in time by
the gateway's own deadlines, set short here.
"""

from __future__ import annotations

import gc
import gzip
import logging
import socket
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_discord.channels import Channel
from otel_discord.cli import main
from otel_discord.errors import ConfigError
from otel_discord.gateway import Gateway, GatewaySettings, _decode
from otel_discord.gateway._decode import inflate
from otel_discord.gateway._intake import Intake
from otel_discord.gateway._records import spans_from
from otel_discord.gateway._values import (
    ATTRIBUTE_BYTES,
    MAX_ATTRIBUTES,
    NAME_CHARS,
    WIRE_TEXT_CHARS,
    Interner,
    any_value,
)
from otel_discord.record_clip import original_length
from tests.conftest import FourChannels

PROTOBUF = {"Content-Type": "application/x-protobuf"}
LEGIT_ADDRESS = "127.0.0.2"


def _spans_body() -> bytes:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource({"service.name": "bot"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    with provider.get_tracer("t").start_as_current_span("work"):
        pass
    return encode_spans(memory.get_finished_spans()).SerializeToString()


def _legit_post(gateway: Gateway, timeout_s: float) -> httpx.Response:
    transport = httpx.HTTPTransport(local_address=LEGIT_ADDRESS)
    with httpx.Client(transport=transport, timeout=timeout_s) as client:
        return client.post(
            f"http://127.0.0.1:{gateway.port}/v1/traces", content=_spans_body(), headers=PROTOBUF
        )


@contextmanager
def _connections(port: int, count: int) -> Iterator[list[socket.socket]]:
    with ExitStack() as stack:
        socks = []
        for _ in range(count):
            sock = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=5))
            sock.setblocking(False)
            socks.append(sock)
        yield socks


def _closed_by_server(sock: socket.socket) -> bool:
    """True once the server closed (with or without a last answer)."""
    try:
        while data := sock.recv(4096):
            if data.startswith(b"HTTP/1.1 503"):
                continue
        return True
    except BlockingIOError:
        return False
    except OSError:
        return True


def _drip(socks: list[socket.socket], data: bytes, *, every_s: float, for_s: float) -> int:
    """Send ``data`` one byte at a time on every socket until all are closed; sockets still open."""
    open_socks = list(socks)
    deadline = time.monotonic() + for_s
    position = 0
    while open_socks and time.monotonic() < deadline:
        byte = data[position % len(data) : position % len(data) + 1]
        position += 1
        for sock in list(open_socks):
            if _closed_by_server(sock):
                open_socks.remove(sock)
                continue
            try:
                sock.send(byte)
            except OSError:
                open_socks.remove(sock)
        time.sleep(every_s)
    return len(open_socks)


class TestSlowloris:
    """Connections that never finish their headers cannot lock out real senders."""

    def test_twice_the_slots_from_one_address(self, make_gateway: Any) -> None:
        """128 dripping connections against 64 slots: a sender elsewhere is served at once."""
        gateway = make_gateway(max_connections=64, request_timeout_s=1.0)
        with _connections(gateway.port, 128) as socks:
            for sock in socks:
                sock.send(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\n")
            time.sleep(0.2)  # let the server take them all in
            response = _legit_post(gateway, timeout_s=5.0)
            assert 200 == response.status_code
            # The dripping ones are cut at the header deadline, not when they stop.
            assert 0 == _drip(socks, b"X-Slow: 1\r\n", every_s=0.1, for_s=8.0)

    def test_header_deadline_closes_a_dripping_connection(self, make_gateway: Any) -> None:
        """Headers sent a byte at a time never complete: the connection is cut at the deadline."""
        gateway = make_gateway(request_timeout_s=0.5)
        with _connections(gateway.port, 1) as socks:
            socks[0].send(b"POST /v1/traces HTTP/1.1\r\n")
            # Cut while still dripping: the 8 s of dripping never run out (deadline 0.5 s).
            assert 0 == _drip(socks, b"X-Slow: 1\r\n", every_s=0.05, for_s=8.0)


class TestDrippedBody:
    """A body fed a byte at a time is cut at the whole-body deadline with 408."""

    def test_body_deadline(self, make_gateway: Any) -> None:
        """Headers complete, then 1 byte per 50 ms of 1000: 408 long before the body ends."""
        gateway = make_gateway(request_timeout_s=0.5)
        with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as sock:
            sock.sendall(
                b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                b"Content-Length: 1000\r\n\r\n"
            )
            sock.setblocking(False)
            answer, sent = b"", 0
            while sent < 1000 and not answer:
                try:
                    answer = sock.recv(4096)
                except BlockingIOError:
                    sock.send(b"\0")
                    sent += 1
                    time.sleep(0.05)
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert sent < 200  # ~10 bytes at the deadline; the old per-read timeout never fired


class TestBeforeTheBody:
    """What can be judged from the headers is answered without waiting for the body."""

    def test_wrong_token_answered_without_the_body(self, make_gateway: Any) -> None:
        """A 1 MB Content-Length with a wrong token: 401 while no body byte was sent."""
        gateway = make_gateway(token="a-proper-token-0123456789")
        with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as sock:
            sock.sendall(
                b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                b"Authorization: Bearer guess-guess-guess-guess\r\nContent-Length: 1000000\r\n\r\n"
            )
            assert sock.recv(4096).startswith(b"HTTP/1.1 401 ")

    def test_oversized_length_answered_without_the_body(self, make_gateway: Any) -> None:
        """A Content-Length over the limit is 413 at once."""
        gateway = make_gateway(max_body_bytes=1000)
        with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as sock:
            sock.sendall(
                b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                b"Content-Length: 5000\r\n\r\n"
            )
            assert sock.recv(4096).startswith(b"HTTP/1.1 413 ")


class TestMalformedHttp:
    """Requests aiohttp cannot parse are answered 400 and counted, not logged as tracebacks."""

    @pytest.mark.parametrize(
        "head",
        [
            b"Content-Length: -1\r\n",
            b"Content-Length: 4\r\nContent-Length: 5\r\n",
            b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n",
            b"".join(b"X-%d: y\r\n" % n for n in range(300)),
        ],
        ids=["negative-length", "two-lengths", "length-and-chunked", "header-flood"],
    )
    def test_answered_400_without_a_traceback(
        self, make_gateway: Any, caplog: pytest.LogCaptureFixture, head: bytes
    ) -> None:
        """Twenty of them: twenty 400s, twenty refused, no record above DEBUG, no traceback."""
        gateway = make_gateway()
        caplog.set_level(logging.DEBUG)
        for _ in range(20):
            with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as sock:
                sock.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n")
                assert b" 400 Bad Request\r\n" in sock.recv(4096)
        deadline = time.monotonic() + 2
        while gateway.stats.figures().refused < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        loud = [r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG or r.exc_info]
        assert [] == loud
        assert 20 == gateway.stats.figures().refused


class TestExpectContinue:
    """A careful client waits for 100 Continue; a refused one never has to send its body."""

    def test_continue_then_answer(self, make_gateway: Any) -> None:
        """Headers with ``Expect: 100-continue`` get 100 first, then the real answer."""
        gateway = make_gateway()
        body = _spans_body()
        with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as sock:
            sock.sendall(
                b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body)
            )
            assert sock.recv(4096).startswith(b"HTTP/1.1 100 Continue")
            sock.sendall(body)
            assert sock.recv(4096).startswith(b"HTTP/1.1 200 ")


class TestByteBudget:
    """Bodies in flight share one budget; past it, senders are told to come back."""

    def test_third_big_body_is_503_with_retry_after(self, make_gateway: Any) -> None:
        """Two bodies of the limit fill a budget of twice the limit; a third gets 503."""
        limit = 100_000
        gateway = make_gateway(max_body_bytes=limit, max_inflight_bytes=2 * limit)
        head = (
            b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
            b"Content-Length: %d\r\n\r\n" % limit
        )
        with _connections(gateway.port, 2) as holders:
            for sock in holders:
                sock.send(head + b"\0" * 10)  # holds its reservation while the body trickles
            deadline = time.monotonic() + 5
            while gateway._receiver.budget.used < 2 * limit and time.monotonic() < deadline:
                time.sleep(0.01)
            with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as third:
                third.sendall(head)
                answer = third.recv(4096)
        assert answer.startswith(b"HTTP/1.1 503 ")
        assert b"\r\nRetry-After: 1\r\n" in answer
        # Once the holders are gone, a normal request goes through again.
        deadline = time.monotonic() + 5
        while gateway._receiver.budget.used and time.monotonic() < deadline:
            time.sleep(0.05)
        assert 200 == _legit_post(gateway, timeout_s=5.0).status_code


class _CountingZlib:
    """The real zlib, counting the bytes handed to decompressors."""

    def __init__(self) -> None:
        self.fed = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)

    def decompressobj(self, *args: Any) -> Any:
        real = zlib.decompressobj(*args)
        counter = self

        class Counted:
            def decompress(self, data: Any, max_length: int = 0) -> bytes:
                counter.fed += len(data)
                return real.decompress(data, max_length)

            def __getattr__(self, name: str) -> Any:
                return getattr(real, name)

        return Counted()


class TestManyMemberGzip:
    """Decompression work is linear in the body, whatever its shape."""

    @pytest.mark.parametrize("members", [1_000, 4_000])
    def test_bytes_fed_to_zlib_linear(self, monkeypatch: pytest.MonkeyPatch, members: int) -> None:
        """Empty gzip members: zlib sees each body byte a bounded number of times."""
        counting = _CountingZlib()
        monkeypatch.setattr(_decode, "zlib", counting)
        body = gzip.compress(b"") * members
        assert b"" == inflate(body, "gzip", 1000)
        # Old code re-fed the whole remainder per member: members**2 / 2 * 20 bytes.
        assert counting.fed <= 8 * len(body)

    def test_members_still_concatenate(self) -> None:
        """Many members with content give their concatenation."""
        parts = [f"part {n};".encode() for n in range(500)]
        body = b"".join(gzip.compress(p) for p in parts) + b"\0" * 7
        assert b"".join(parts) == inflate(body, "gzip", 100_000)


class TestBindErrors:
    """A port in use or a bad host is one line, not a traceback."""

    def test_port_in_use(self, four_channels: FourChannels) -> None:
        """Gateway.start() raises ConfigError naming the address."""
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            gateway = Gateway(four_channels.config(), GatewaySettings(port=port))
            with pytest.raises(
                ConfigError, match=rf"^gateway cannot listen on 127\.0\.0\.1:{port}: "
            ):
                gateway.start()
            gateway.stop(1.0)

    def test_cli_bad_host(
        self,
        four_channels: FourChannels,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """``otel-discord gateway --host no.such.host.invalid`` exits 2 with one line."""
        monkeypatch.setenv(
            "OTEL_EXPORTER_DISCORD_WEBHOOK_URL", four_channels.urls[next(iter(four_channels.urls))]
        )
        monkeypatch.setenv("OTEL_DISCORD_GATEWAY_TOKEN", "a-proper-token-0123456789")
        code = main(["gateway", "--host", "no.such.host.invalid", "--port", "0"])
        err = capsys.readouterr().err
        assert 2 == code
        assert 1 == len(err.strip().splitlines()), err
        assert err.startswith("otel-discord: gateway cannot listen on no.such.host.invalid:0: ")
        assert "Traceback" not in err


class TestToken:
    """A gateway token must be long enough not to be guessed."""

    @pytest.mark.parametrize("token", ["x", "short-token", "fifteen-chars!!"])
    def test_short_token_refused(self, token: str) -> None:
        """Under 16 characters is a ConfigError naming the variable, not echoing the token."""
        with pytest.raises(ConfigError, match="OTEL_DISCORD_GATEWAY_TOKEN") as info:
            GatewaySettings(token=token)
        assert token not in str(info.value)

    def test_sixteen_characters_accepted(self) -> None:
        """16 characters is enough."""
        assert "0123456789abcdef" == GatewaySettings(token="0123456789abcdef").token


class TestBoundedInBytes:
    """What the gateway keeps of a request is bounded in bytes, not only in items."""

    def test_wire_strings_cut_head_and_tail(self) -> None:
        """A 6 MiB string value keeps 16 KiB: its start and its end."""
        text = "start " + "z" * 6_000_000 + " end"
        kept = any_value(AnyValue(string_value=text))
        assert len(kept) < WIRE_TEXT_CHARS + 100
        assert kept.startswith("start ")
        assert kept.endswith(" end")

    def test_cut_string_remembers_its_length(self) -> None:
        """The wire clip keeps the length the sender sent, for "… N truncated"."""
        kept = any_value(AnyValue(string_value="z" * 1_000_000))
        assert 1_000_000 == original_length(kept)

    def test_truncation_states_the_size_sent(
        self, make_gateway: Any, four_channels: FourChannels
    ) -> None:
        """A 1,000,000-character error message says "977 KiB truncated", not the 16 KiB kept."""
        gateway = make_gateway()
        record = {
            "severityNumber": 17,
            "severityText": "ERROR",
            "body": {"stringValue": "backup failed: " + "z" * 999_985},
        }
        document = {"resourceLogs": [{"scopeLogs": [{"logRecords": [record]}]}]}
        assert 200 == httpx.post(f"{gateway.url}/v1/logs", json=document).status_code
        assert gateway.flush(5.0)
        [embed] = four_channels.embeds(Channel.LOGS)
        assert "_… message of 977 KiB truncated_" in embed["description"]

    def test_intake_queue_bounded_in_bytes(self) -> None:
        """A queue of 100 bytes takes one 80-byte request, refuses the next (429)."""
        intake = Intake(1_000_000, max_bytes=100)
        assert intake.offer(1, [lambda: None], 80)
        assert not intake.offer(1, [lambda: None], 80)
        intake.close(0.1)


def _bulky_resource_logs(index: int, attrs: int, chars: int) -> bytes:
    """One INFO record from a resource of ``attrs`` attributes of ``chars`` characters."""
    request = ExportLogsServiceRequest()
    resource_logs = request.resource_logs.add()
    for n in range(attrs):
        pair = resource_logs.resource.attributes.add()
        pair.key, pair.value.string_value = f"r{n}", f"{index}-{n}-" + "v" * chars
    record = resource_logs.scope_logs.add().log_records.add()
    record.severity_number, record.body.string_value = 9, "info"
    return request.SerializeToString()


def _flooded_span(attrs: int, name_chars: int) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = b"\1" * 16, b"\2" * 8, "n" * name_chars
    for n in range(attrs):
        pair = span.attributes.add()
        pair.key, pair.value.int_value = f"k{n}", n
    event = span.events.add()
    event.name = "e" * name_chars
    return request


def _labelled_counters(batch: int, points: int) -> bytes:
    """One sender's counter export: ``points`` new series, each with 64 kB of labels."""
    request = ExportMetricsServiceRequest()
    resource_metrics = request.resource_metrics.add()
    pair = resource_metrics.resource.attributes.add()
    pair.key, pair.value.int_value = "process.pid", 4242
    metric = resource_metrics.scope_metrics.add().metrics.add()
    metric.name, metric.sum.is_monotonic, metric.sum.aggregation_temporality = "hits", True, 2
    now = time.time_ns()
    for n in range(points):
        point = metric.sum.data_points.add()
        point.as_int, point.time_unix_nano, point.start_time_unix_nano = 1, now, now
        for a in range(4):
            pair = point.attributes.add()
            pair.key, pair.value.string_value = f"a{a}", f"{batch}-{n}-{a}-" + "x" * 16_000
    return request.SerializeToString()


class TestHostileContentBoundedInBytes:
    """Valid OTLP built to be expensive: what the gateway keeps of it stays small, in bytes."""

    def test_flood_of_labelled_series(self, make_gateway: Any) -> None:
        """960 counter series with 64 kB of labels each (61 MB sent): under 16 MiB kept."""
        gateway = make_gateway()
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            with httpx.Client(timeout=30) as client:
                for batch in range(8):
                    answer = client.post(
                        f"{gateway.url}/v1/metrics",
                        content=_labelled_counters(batch, 120),
                        headers=PROTOBUF,
                    )
                    assert 200 == answer.status_code
            assert gateway.flush(10.0)
            gc.collect()
            kept = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert kept < 16 * 1024 * 1024, f"{kept} bytes kept"
        assert 0 < gateway.pipeline.fleet.series_bytes <= 4 * 1024 * 1024

    def test_flood_of_megabyte_resources(self, make_gateway: Any) -> None:
        """30 senders, each a 1 MB resource: the gateway keeps under 4 MiB of them, not 60 MB."""
        gateway = make_gateway()
        bodies = [_bulky_resource_logs(n, 64, 16_000) for n in range(30)]
        assert all(len(body) > 1_000_000 for body in bodies)
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            with httpx.Client(timeout=30) as client:
                for body in bodies:
                    answer = client.post(f"{gateway.url}/v1/logs", content=body, headers=PROTOBUF)
                    assert 200 == answer.status_code
            assert gateway.flush(10.0)
            gc.collect()
            kept = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert 30 == len(gateway.pipeline.fleet.views())  # all 30 still told apart
        assert kept < 4 * 1024 * 1024, f"{kept} bytes kept"

    def test_resource_cache_bounded_in_bytes(self) -> None:
        """The cache of resources holds at most its byte allowance, however many arrive."""
        interner = Interner(max_bytes=100_000)
        request = ExportLogsServiceRequest()
        for n in range(50):
            request.ParseFromString(_bulky_resource_logs(n, 16, 2_000))
            resource = interner.resource(request.resource_logs[0].resource)
            assert f"{n}-0-" == resource.attributes["r0"][: len(f"{n}-0-")]
        assert 0 < interner.held_bytes <= 100_000

    def test_identity_survives_a_bulky_resource(self) -> None:
        """Identity keys sent after a crowd of attributes are still kept."""
        request = ExportLogsServiceRequest()
        request.ParseFromString(_bulky_resource_logs(0, 200, 1_000))
        pair = request.resource_logs[0].resource.attributes.add()
        pair.key, pair.value.int_value = "process.pid", 4242
        resource = Interner().resource(request.resource_logs[0].resource)
        assert 4242 == resource.attributes["process.pid"]

    def test_attribute_flood_on_a_span(self) -> None:
        """100,000 attributes and 1 MB names: 128 attributes kept, names cut to their limit."""
        request = _flooded_span(100_000, 1_000_000)
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            [(_, [span])] = spans_from(request, Interner()).groups
            kept = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert MAX_ATTRIBUTES == len(span.attributes or {})
        assert len(span.name) < NAME_CHARS + 100
        assert len(span.events[0].name) < NAME_CHARS + 100
        assert kept < 256 * 1024, f"{kept} bytes kept"

    def test_array_and_map_values_end_at_the_allowance(self) -> None:
        """A million-item array attribute keeps what fits in one attribute set's allowance."""
        value = AnyValue()
        for n in range(1_000_000):
            value.array_value.values.add().string_value = f"item-{n}"
        kept = any_value(value)
        assert 500 < len(kept) < ATTRIBUTE_BYTES // 64
        assert "item-0" == kept[0]
