"""Bodies in and out: media types, compression, protobuf and OTLP/JSON, response messages."""

from __future__ import annotations

import gzip
import json
import zlib

import pytest
from google.protobuf import json_format
from google.rpc import status_pb2  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_discord.gateway._decode import (
    LOGS,
    METRICS,
    SIGNALS,
    TRACES,
    Encoding,
    PayloadError,
    SignalKind,
    encode_response,
    encode_status,
    inflate,
    media_type,
    parse,
)


def _request() -> ExportTraceServiceRequest:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("parent"), tracer.start_as_current_span("child"):
        pass
    return encode_spans(memory.get_finished_spans())


class TestMediaType:
    """Content-Type picks the encoding; anything else is 415."""

    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            ("application/x-protobuf", Encoding.PROTOBUF),
            ("Application/JSON; charset=utf-8", Encoding.JSON),
        ],
    )
    def test_known(self, header: str, expected: Encoding) -> None:
        """Parameters and case don't matter."""
        assert expected is media_type(header)

    @pytest.mark.parametrize("header", [None, "", "text/plain", "application/protobuf"])
    def test_unknown_is_415(self, header: str | None) -> None:
        """Other types (or none) are refused with 415."""
        with pytest.raises(PayloadError) as info:
            media_type(header)
        assert 415 == info.value.status


class TestInflate:
    """gzip and deflate bodies are undone within the size limit."""

    def test_gzip_and_deflate_round_trip(self) -> None:
        """Both codings give back the bytes; identity passes through."""
        data = b"x" * 1000
        assert data == inflate(gzip.compress(data), "gzip", 2000)
        assert data == inflate(zlib.compress(data), "deflate", 2000)
        assert data == inflate(data, None, 2000)

    def test_concatenated_gzip_members(self) -> None:
        """A body of several gzip members is their concatenation, as gzip defines."""
        assert b"abcdef" == inflate(gzip.compress(b"abc") + gzip.compress(b"def"), "gzip", 100)

    def test_bomb_stops_at_the_limit(self) -> None:
        """A small body that inflates past the limit is a 413, without inflating it all."""
        bomb = gzip.compress(b"\0" * 10_000_000)
        with pytest.raises(PayloadError) as info:
            inflate(bomb, "gzip", 1_000_000)
        assert 413 == info.value.status

    @pytest.mark.parametrize(
        ("body", "coding", "status"),
        [
            (b"not gzip", "gzip", 400),
            (gzip.compress(b"abc")[:-9], "gzip", 400),
            (b"abc", "br", 415),
        ],
    )
    def test_bad_bodies(self, body: bytes, coding: str, status: int) -> None:
        """Corrupt or truncated data is 400; an unknown coding is 415."""
        with pytest.raises(PayloadError) as info:
            inflate(body, coding, 1000)
        assert status == info.value.status

    @settings(max_examples=300, deadline=None)
    @given(st.binary(max_size=2000), st.sampled_from(["gzip", "deflate", "identity"]))
    def test_garbage_never_raises_anything_else(self, body: bytes, coding: str) -> None:
        """Any bytes give bytes within the limit or a PayloadError, nothing else."""
        try:
            out: bytes | int = inflate(body, coding, 4096)
        except PayloadError as exc:
            out = exc.status
        assert out in (400, 413) if isinstance(out, int) else len(out) <= 4096


class TestParse:
    """Requests decode from protobuf and OTLP/JSON (hex ids) to the same message."""

    def test_protobuf(self) -> None:
        """The official encoder's bytes decode to the same request."""
        request = _request()
        assert request == parse(TRACES, request.SerializeToString(), Encoding.PROTOBUF)

    def test_json_with_hex_ids_equals_protobuf(self) -> None:
        """OTLP/JSON's hex trace and span ids decode to the same bytes as protobuf."""
        request = _request()
        document = json_format.MessageToDict(request)
        for resource_spans in document["resourceSpans"]:
            for scope_spans in resource_spans["scopeSpans"]:
                for span in scope_spans["spans"]:
                    for key in ("traceId", "spanId", "parentSpanId"):
                        if key in span:
                            span[key] = json_format.base64.b64decode(span[key]).hex()
        document["unknownFieldFromTheFuture"] = 1
        assert request == parse(TRACES, json.dumps(document).encode(), Encoding.JSON)

    @pytest.mark.parametrize(
        ("body", "encoding"),
        [
            (b"\xff\xff\xff", Encoding.PROTOBUF),
            (b"{not json", Encoding.JSON),
            (b"[1, 2]", Encoding.JSON),
            (
                b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}',
                Encoding.JSON,
            ),
            (b"[" * 100_000, Encoding.JSON),
        ],
    )
    def test_undecodable_is_400(self, body: bytes, encoding: Encoding) -> None:
        """Garbage, non-objects, non-hex ids and absurd nesting are 400."""
        with pytest.raises(PayloadError) as info:
            parse(TRACES, body, encoding)
        assert 400 == info.value.status

    @settings(max_examples=300, deadline=None)
    @given(
        st.binary(max_size=600),
        st.sampled_from(list(SIGNALS.values())),
        st.sampled_from(list(Encoding)),
    )
    def test_fuzzed_bodies_decode_or_400(
        self, body: bytes, kind: SignalKind, encoding: Encoding
    ) -> None:
        """Random bytes never raise anything but a 400 PayloadError."""
        status = 200
        try:
            parse(kind, body, encoding)
        except PayloadError as exc:
            status = exc.status
        assert status in (200, 400)


class TestResponses:
    """Response bodies are the Export*ServiceResponse / google.rpc.Status messages."""

    def test_full_success_has_no_partial_success(self) -> None:
        """Nothing rejected and nothing to say: the partial_success field stays unset."""
        response = ExportTraceServiceResponse.FromString(encode_response(TRACES, Encoding.PROTOBUF))
        assert not response.HasField("partial_success")

    @pytest.mark.parametrize(
        ("kind", "field"),
        [
            (TRACES, "rejectedSpans"),
            (LOGS, "rejectedLogRecords"),
            (METRICS, "rejectedDataPoints"),
        ],
    )
    def test_partial_success_in_json(self, kind: object, field: str) -> None:
        """Rejections are counted in the signal's own field with the reason."""
        body = encode_response(kind, Encoding.JSON, rejected=3, message="bad ids")  # type: ignore[arg-type]
        assert {"partialSuccess": {field: "3", "errorMessage": "bad ids"}} == json.loads(body)

    def test_status_body(self) -> None:
        """Errors carry a google.rpc.Status with the message."""
        status = status_pb2.Status.FromString(encode_status(400, "nope", Encoding.PROTOBUF))
        assert (3, "nope") == (status.code, status.message)
