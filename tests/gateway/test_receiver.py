"""The OTLP/HTTP receiver over real HTTP: status codes, bodies, auth, limits, backpressure."""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from google.rpc import status_pb2  # type: ignore[import-untyped]
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_discord.channels import Channel
from otel_discord.errors import ConfigError
from otel_discord.gateway import Gateway, GatewaySettings, is_loopback
from tests.conftest import FourChannels

PROTOBUF = {"Content-Type": "application/x-protobuf"}


def _spans_body(count: int = 3) -> bytes:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource({"service.name": "bot", "process.pid": 1}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    for _ in range(count):
        with provider.get_tracer("t").start_as_current_span("work"):
            pass
    return encode_spans(memory.get_finished_spans()).SerializeToString()


VALID = _spans_body(1)


@pytest.fixture
def make_gateway(four_channels: FourChannels) -> Iterator[Any]:
    started: list[Gateway] = []

    def make(**settings: Any) -> Gateway:
        gateway = Gateway(four_channels.config(), GatewaySettings(port=0, **settings)).start()
        started.append(gateway)
        return gateway

    yield make
    for gateway in started:
        gateway.stop(2.0)


@pytest.fixture
def gateway(make_gateway: Any) -> Gateway:
    return make_gateway()  # type: ignore[no-any-return]


class TestEndpoints:
    """Each signal path answers as OTLP/HTTP says."""

    def test_protobuf_and_gzip_accepted(self, gateway: Gateway) -> None:
        """200 with an empty ExportTraceServiceResponse, plain or gzipped."""
        body = _spans_body()
        for data, headers in (
            (body, PROTOBUF),
            (gzip.compress(body), {**PROTOBUF, "Content-Encoding": "gzip"}),
        ):
            response = httpx.post(f"{gateway.url}/v1/traces", content=data, headers=headers)
            assert (200, "application/x-protobuf") == (
                response.status_code,
                response.headers["content-type"],
            )
            assert not ExportTraceServiceResponse.FromString(response.content).HasField(
                "partial_success"
            )
        assert gateway.flush(5.0)
        assert 6 == gateway.stats.figures().items

    def test_json_answered_in_json(self, gateway: Gateway) -> None:
        """An OTLP/JSON request gets a JSON answer."""
        document = {
            "resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": {"stringValue": "hi"}}]}]}]
        }
        response = httpx.post(f"{gateway.url}/v1/logs", json=document)
        assert (200, {}) == (response.status_code, response.json())

    def test_partial_success(self, gateway: Gateway) -> None:
        """A span with a bad id is rejected and counted; the others are taken."""
        document = {
            "resourceSpans": [
                {
                    "scopeSpans": [
                        {
                            "spans": [
                                {"traceId": "ab" * 16, "spanId": "cd" * 8, "name": "ok"},
                                {"traceId": "ab" * 3, "spanId": "cd" * 8, "name": "bad"},
                            ]
                        }
                    ]
                }
            ]
        }
        response = httpx.post(f"{gateway.url}/v1/traces", json=document)
        partial = response.json()["partialSuccess"]
        assert (200, "1") == (response.status_code, partial["rejectedSpans"])
        assert partial["errorMessage"]

    @pytest.mark.parametrize(
        ("method", "path", "headers", "body", "status"),
        [
            ("POST", "/v1/nope", PROTOBUF, b"", 404),
            ("GET", "/v1/traces", {}, b"", 405),
            ("POST", "/v1/traces", {"Content-Type": "text/plain"}, b"x", 415),
            ("POST", "/v1/traces", {**PROTOBUF, "Content-Encoding": "br"}, b"x", 415),
            ("POST", "/v1/traces", PROTOBUF, b"\xff\xfe\xfd", 400),
            ("POST", "/v1/metrics", {"Content-Type": "application/json"}, b"{", 400),
            ("POST", "/v1/logs", {**PROTOBUF, "Content-Encoding": "gzip"}, b"nope", 400),
        ],
    )
    def test_errors(
        self,
        gateway: Gateway,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes,
        status: int,
    ) -> None:
        """Unknown paths, methods, types, codings and bad payloads get their 4xx and a Status."""
        response = httpx.request(method, gateway.url + path, content=body, headers=headers)
        assert status == response.status_code
        if "json" in headers.get("Content-Type", ""):
            assert json.loads(response.content)["message"]
        else:
            assert status_pb2.Status.FromString(response.content).message

    def test_body_limit_before_and_after_decompression(self, make_gateway: Any) -> None:
        """Over the limit as sent, or once inflated, is 413."""
        gateway = make_gateway(max_body_bytes=10_000)
        big = httpx.post(f"{gateway.url}/v1/traces", content=b"\0" * 20_000, headers=PROTOBUF)
        bomb = httpx.post(
            f"{gateway.url}/v1/traces",
            content=gzip.compress(b"\0" * 1_000_000),
            headers={**PROTOBUF, "Content-Encoding": "gzip"},
        )
        assert (413, 413) == (big.status_code, bomb.status_code)

    def test_stalled_body_is_dropped(self, make_gateway: Any) -> None:
        """A client that stops sending mid-body gets 408 and loses its connection."""
        gateway = make_gateway(request_timeout_s=0.3)
        with socket.create_connection(("127.0.0.1", gateway.port), timeout=10) as sock:
            sock.sendall(
                b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                b"Content-Length: 100\r\n\r\n0123456789"
            )
            answer = b""
            while chunk := sock.recv(1024):
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 408 ")


class TestAuth:
    """Bearer tokens, and the rule that only loopback may go without one."""

    def test_token_required_when_set(self, make_gateway: Any) -> None:
        """Missing or wrong token: 401 with WWW-Authenticate; the right one: 200."""
        gateway = make_gateway(token="open-sesame-0123456789")
        url, body = f"{gateway.url}/v1/traces", _spans_body(1)
        missing = httpx.post(url, content=body, headers=PROTOBUF)
        wrong = httpx.post(
            url,
            content=body,
            headers={**PROTOBUF, "Authorization": "Bearer open-sesame-wrong-token"},
        )
        right = httpx.post(
            url,
            content=body,
            headers={**PROTOBUF, "Authorization": "bearer open-sesame-0123456789"},
        )
        assert (401, 401, 200) == (missing.status_code, wrong.status_code, right.status_code)
        assert missing.headers["www-authenticate"].startswith("Bearer")
        assert "open-sesame-0123456789" not in missing.text + wrong.text

    def test_token_quoted_in_telemetry_never_reaches_discord(
        self, make_gateway: Any, four_channels: FourChannels
    ) -> None:
        """A sender logging its exporter headers: the embed shows ``***`` where the token was."""
        token = "quoted-gateway-token-0123456789"
        gateway = make_gateway(token=token)
        record = {
            "severityNumber": 17,
            "body": {"stringValue": f"export failed: {{'Authorization': 'Bearer {token}'}}"},
        }
        document = {"resourceLogs": [{"scopeLogs": [{"logRecords": [record]}]}]}
        answer = httpx.post(
            f"{gateway.url}/v1/logs", json=document, headers={"Authorization": f"Bearer {token}"}
        )
        assert 200 == answer.status_code
        assert gateway.flush(5.0)
        [embed] = four_channels.embeds(Channel.LOGS)
        assert "'Authorization': 'Bearer ***'" in embed["description"]
        posted = json.dumps([m.payload for m in four_channels.server.messages()])
        assert token not in posted

    def test_non_loopback_needs_a_token(self) -> None:
        """Binding to all interfaces without a token is a configuration error naming the fix."""
        with pytest.raises(ConfigError, match="OTEL_DISCORD_GATEWAY_TOKEN"):
            GatewaySettings(host="0.0.0.0")
        assert "open-sesame-0123456789" not in repr(
            GatewaySettings(host="0.0.0.0", token="open-sesame-0123456789")
        )

    def test_token_from_environment(self) -> None:
        """``OTEL_DISCORD_GATEWAY_TOKEN`` is used when no token is passed; an argument wins."""
        env = {"OTEL_DISCORD_GATEWAY_TOKEN": "from-the-environment-0123"}
        assert "from-the-environment-0123" == GatewaySettings.resolve(env=env).token
        assert (
            "from-the-argument-0123"
            == GatewaySettings.resolve(token="from-the-argument-0123", env=env).token
        )

    @pytest.mark.parametrize(
        ("host", "loopback"),
        [
            ("127.0.0.1", True),
            ("::1", True),
            ("localhost", True),
            ("0.0.0.0", False),
            ("10.0.0.2", False),
        ],
    )
    def test_is_loopback(self, host: str, loopback: bool) -> None:
        """Only addresses that never leave the machine count as loopback."""
        assert loopback is is_loopback(host)


class TestBackpressure:
    """A full queue tells senders to back off; a stopping gateway says so too."""

    def test_full_queue_is_429_with_retry_after(self, make_gateway: Any) -> None:
        """While the pipeline is stuck, requests beyond the queue get 429 + Retry-After."""
        gateway = make_gateway(queue_items=3)
        release = threading.Event()
        real = gateway.pipeline.ingest_spans
        gateway.pipeline.ingest_spans = lambda *a: (release.wait(10), real(*a))  # type: ignore[method-assign]
        url, body = f"{gateway.url}/v1/traces", _spans_body(3)
        first = httpx.post(url, content=body, headers=PROTOBUF)
        second = httpx.post(url, content=body, headers=PROTOBUF)
        release.set()
        assert gateway.intake.drain(5.0)
        third = httpx.post(url, content=body, headers=PROTOBUF)
        assert (200, 429, 200) == (first.status_code, second.status_code, third.status_code)
        assert second.headers["retry-after"].isdigit()
        assert 1 == gateway.stats.figures().throttled

    def test_stopping_is_503(self, gateway: Gateway) -> None:
        """Once the intake is closed, data is refused with 503 + Retry-After."""
        gateway.intake.close(1.0)
        response = httpx.post(f"{gateway.url}/v1/traces", content=_spans_body(1), headers=PROTOBUF)
        assert (503, True) == (response.status_code, "retry-after" in response.headers)


class TestFuzz:
    """No body, type or coding a client sends breaks the receiver."""

    @settings(
        max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        body=st.binary(max_size=400) | st.binary(max_size=400).map(gzip.compress),
        path=st.sampled_from(["/v1/traces", "/v1/metrics", "/v1/logs"]),
        content_type=st.sampled_from(["application/x-protobuf", "application/json", "x/y"]),
        coding=st.sampled_from(["gzip", "identity", "deflate"]),
    )
    def test_garbage_gets_an_answer(
        self, gateway: Gateway, body: bytes, path: str, content_type: str, coding: str
    ) -> None:
        """Every request is answered with 200, 400, 413 or 415; the server keeps serving."""
        headers = {"Content-Type": content_type, "Content-Encoding": coding}
        with httpx.Client(base_url=gateway.url) as client:
            response = client.post(path, content=body, headers=headers)
            assert response.status_code in (200, 400, 413, 415)
            assert 200 == client.post("/v1/traces", content=VALID, headers=PROTOBUF).status_code
