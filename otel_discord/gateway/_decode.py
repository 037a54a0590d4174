"""OTLP/HTTP bodies in and out: media types, gzip/deflate, protobuf and JSON, response bodies.

Everything here works on bytes and the official ``opentelemetry-proto`` messages;
any failure becomes a :class:`PayloadError` carrying the HTTP status to answer.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import zlib
from dataclasses import dataclass, field
from typing import Final

from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc import status_pb2  # type: ignore[import-untyped]  # no stubs published
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2


class Encoding(enum.Enum):
    """The two OTLP/HTTP encodings, by media type."""

    PROTOBUF = "application/x-protobuf"
    JSON = "application/json"


@dataclass(frozen=True)
class SignalKind:
    """One OTLP/HTTP endpoint: its request and response messages."""

    name: str
    path: str
    request: type[Message]
    response: type[Message]
    rejected_field: str


TRACES: Final = SignalKind(
    "traces",
    "/v1/traces",
    trace_service_pb2.ExportTraceServiceRequest,
    trace_service_pb2.ExportTraceServiceResponse,
    "rejected_spans",
)
LOGS: Final = SignalKind(
    "logs",
    "/v1/logs",
    logs_service_pb2.ExportLogsServiceRequest,
    logs_service_pb2.ExportLogsServiceResponse,
    "rejected_log_records",
)
METRICS: Final = SignalKind(
    "metrics",
    "/v1/metrics",
    metrics_service_pb2.ExportMetricsServiceRequest,
    metrics_service_pb2.ExportMetricsServiceResponse,
    "rejected_data_points",
)
SIGNALS: Final = {kind.path: kind for kind in (TRACES, LOGS, METRICS)}

_GRPC_CODES: Final = {400: 3, 401: 16, 404: 12, 405: 12, 413: 8, 415: 3, 429: 8, 503: 14}
"""HTTP status -> google.rpc.Code for the Status body (INVALID_ARGUMENT, UNAUTHENTICATED, ...)."""

_FIRST_FEED: Final = 64
"""Bytes of a gzip member fed to zlib first; doubled on each further feed of that member."""
_MAX_FEED: Final = 65536

_ID_KEYS: Final = frozenset(
    {"traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"}
)
"""OTLP/JSON carries these bytes fields as hex, not protobuf-JSON's base64."""


@dataclass
class Answer:
    """An HTTP answer the receiver writes out as is."""

    status: int
    body: bytes
    encoding: Encoding
    headers: dict[str, str] = field(default_factory=dict)


class PayloadError(Exception):
    """A request that cannot be accepted; ``status`` is the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def media_type(content_type: str | None) -> Encoding:
    """The encoding named by a Content-Type header (parameters ignored); 415 otherwise."""
    base = (content_type or "").split(";", 1)[0].strip().lower()
    for encoding in Encoding:
        if base == encoding.value:
            return encoding
    msg = "unsupported Content-Type; use application/x-protobuf or application/json"
    raise PayloadError(415, msg)


def content_coding(content_encoding: str | None) -> str:
    """``identity``, ``gzip`` or ``deflate`` from a Content-Encoding header; 415 otherwise."""
    coding = (content_encoding or "identity").strip().lower()
    if coding in ("", "identity"):
        return "identity"
    if coding in ("gzip", "x-gzip"):
        return "gzip"
    if coding == "deflate":
        return coding
    raise PayloadError(415, "unsupported Content-Encoding; use gzip, deflate or none")


def inflate(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    """Undo gzip/deflate without ever holding more than ``limit`` bytes (zip bombs get 413).

    Linear in the body size whatever its shape: a body of many tiny gzip members is
    fed to zlib in pieces that start small and grow, so the part zlib hands back after
    each member (``unused_data``, a copy) stays proportional to that member.
    """
    coding = content_coding(content_encoding)
    if coding == "identity":
        return body
    wbits = zlib.MAX_WBITS | (16 if coding != "deflate" else 0)
    view = memoryview(body)
    out = bytearray()
    offset = 0
    try:
        while True:  # one member per round
            inflater = zlib.decompressobj(wbits)
            feed = _FIRST_FEED
            while not inflater.eof:
                if offset >= len(view):
                    raise PayloadError(400, f"truncated {coding} body")
                piece = view[offset : offset + feed]
                offset += len(piece)
                feed = min(2 * feed, _MAX_FEED)
                out += inflater.decompress(piece, limit + 1 - len(out))
                if len(out) > limit or inflater.unconsumed_tail:
                    raise PayloadError(413, f"decompressed body exceeds {limit} bytes")
            offset -= len(inflater.unused_data)
            rest = view[offset:]
            if coding == "deflate" or not rest or (rest[0] == 0 and not bytes(rest).strip(b"\0")):
                return bytes(out)  # gzip may hold several members; trailing zeros are padding
    except zlib.error as exc:
        raise PayloadError(400, f"corrupt {coding} body") from exc


def parse(kind: SignalKind, body: bytes, encoding: Encoding) -> Message:
    """The Export*ServiceRequest in ``body``; 400 when it does not decode."""
    request = kind.request()
    try:
        if encoding is Encoding.PROTOBUF:
            request.ParseFromString(body)
        else:
            document = json.loads(body)
            if not isinstance(document, dict):
                raise PayloadError(400, "OTLP/JSON body must be an object")
            json_format.ParseDict(_hex_ids_to_base64(document), request, ignore_unknown_fields=True)
    except PayloadError:
        raise
    except Exception as exc:  # DecodeError, ParseError, ValueError, RecursionError...
        msg = f"undecodable {kind.name} payload ({encoding.value})"
        raise PayloadError(400, msg) from exc
    return request


def _hex_ids_to_base64(document: dict[str, object]) -> dict[str, object]:
    """Rewrite hex trace/span ids in place so protobuf's JSON parser (base64) accepts them."""
    stack: list[object] = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in _ID_KEYS and isinstance(value, str):
                    node[key] = _hex_to_base64(value)
                elif isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(item for item in node if isinstance(item, (dict, list)))
    return document


def _hex_to_base64(value: str) -> str:
    try:
        raw = binascii.unhexlify(value)
    except (binascii.Error, ValueError) as exc:
        msg = "trace and span ids in OTLP/JSON must be hex strings"
        raise PayloadError(400, msg) from exc
    return base64.b64encode(raw).decode("ascii")


def encode_response(
    kind: SignalKind, encoding: Encoding, *, rejected: int = 0, message: str = ""
) -> bytes:
    """The success body; ``partial_success`` is set only when something was rejected or said."""
    response = kind.response()
    if rejected or message:
        partial = getattr(response, "partial_success")  # noqa: B009 - same field name, three types
        setattr(partial, kind.rejected_field, rejected)
        partial.error_message = message
    return _encode(response, encoding)


def encode_status(status: int, message: str, encoding: Encoding) -> bytes:
    """An error body: a ``google.rpc.Status``, as the OTLP/HTTP specification asks."""
    return _encode(status_pb2.Status(code=_GRPC_CODES.get(status, 2), message=message), encoding)


def _encode(message: Message, encoding: Encoding) -> bytes:
    if encoding is Encoding.JSON:
        return json_format.MessageToJson(message, indent=None).encode()
    return message.SerializeToString()
