"""OTLP trace and log requests to the SDK's ReadableSpan and ReadableLogRecord.

With the SDK's own classes the package's routing, rendering and monitors run on
remote telemetry unchanged. Items that cannot be valid (ids of the wrong length)
are counted as rejected for the response's ``partial_success``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from typing import Final, Generic, TypeVar

from opentelemetry._logs import LogRecord, SeverityNumber
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.logs.v1 import logs_pb2
from opentelemetry.proto.trace.v1 import trace_pb2
from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from otel_discord.gateway._values import NAME_CHARS, Interner, any_value, attributes, clip

T = TypeVar("T")

_KINDS: Final = {
    trace_pb2.Span.SPAN_KIND_INTERNAL: SpanKind.INTERNAL,
    trace_pb2.Span.SPAN_KIND_SERVER: SpanKind.SERVER,
    trace_pb2.Span.SPAN_KIND_CLIENT: SpanKind.CLIENT,
    trace_pb2.Span.SPAN_KIND_PRODUCER: SpanKind.PRODUCER,
    trace_pb2.Span.SPAN_KIND_CONSUMER: SpanKind.CONSUMER,
}
_STATUS: Final = {
    trace_pb2.Status.STATUS_CODE_OK: StatusCode.OK,
    trace_pb2.Status.STATUS_CODE_ERROR: StatusCode.ERROR,
}
MAX_EVENTS: Final = 128
MAX_LINKS: Final = 128
"""Events and links kept per span: the SDK's default limits (``OTEL_SPAN_EVENT_COUNT_LIMIT``...)."""
_TRACE_ID_BYTES: Final = 16
_SPAN_ID_BYTES: Final = 8


@dataclass
class Converted(Generic[T]):
    """One request's items grouped by resource, and how many were rejected and why."""

    groups: list[tuple[Resource, list[T]]] = field(default_factory=list)
    rejected: int = 0
    reason: str = ""

    @property
    def count(self) -> int:
        return sum(len(items) for _, items in self.groups)

    def reject(self, reason: str) -> None:
        self.rejected += 1
        self.reason = self.reason or reason


def _id(raw: bytes, size: int) -> int | None:
    """The id as an int; None when empty or all zeros; ValueError for a wrong length."""
    if not raw:
        return None
    if len(raw) != size:
        msg = f"id of {len(raw)} bytes, expected {size}"
        raise ValueError(msg)
    return int.from_bytes(raw, "big") or None


def _context(trace_id: bytes, span_id: bytes, flags: int) -> SpanContext | None:
    trace = _id(trace_id, _TRACE_ID_BYTES)
    span = _id(span_id, _SPAN_ID_BYTES)
    if trace is None or span is None:
        return None
    return SpanContext(trace, span, is_remote=True, trace_flags=TraceFlags(flags & 0xFF))


def spans_from(request: ExportTraceServiceRequest, interner: Interner) -> Converted[ReadableSpan]:
    out: Converted[ReadableSpan] = Converted()
    for resource_spans in request.resource_spans:
        resource = interner.resource(resource_spans.resource, resource_spans.schema_url)
        spans: list[ReadableSpan] = []
        for scope_spans in resource_spans.scope_spans:
            scope = interner.scope(scope_spans.scope, scope_spans.schema_url)
            for span in scope_spans.spans:
                try:
                    context = _context(span.trace_id, span.span_id, span.flags)
                    if context is None:
                        raise ValueError("missing trace or span id")
                    parent_id = _id(span.parent_span_id, _SPAN_ID_BYTES)
                    links = [_link(link) for link in islice(span.links, MAX_LINKS)]
                except ValueError:
                    out.reject("spans need a 16-byte trace id and an 8-byte span id")
                    continue
                parent = (
                    SpanContext(context.trace_id, parent_id, is_remote=True)
                    if parent_id is not None
                    else None
                )
                code = _STATUS.get(span.status.code, StatusCode.UNSET)
                spans.append(
                    ReadableSpan(
                        name=clip(span.name, NAME_CHARS),
                        context=context,
                        parent=parent,
                        resource=resource,
                        attributes=attributes(span.attributes),
                        events=[
                            Event(
                                clip(e.name, NAME_CHARS),
                                attributes(e.attributes),
                                e.time_unix_nano or None,
                            )
                            for e in islice(span.events, MAX_EVENTS)
                        ],
                        links=[link for link in links if link is not None],
                        kind=_KINDS.get(span.kind, SpanKind.INTERNAL),
                        status=Status(
                            code, clip(span.status.message) if code is StatusCode.ERROR else None
                        ),
                        start_time=span.start_time_unix_nano or None,
                        end_time=span.end_time_unix_nano or None,
                        instrumentation_scope=scope,
                    )
                )
        if spans:
            out.groups.append((resource, spans))
    return out


def _link(link: trace_pb2.Span.Link) -> Link | None:
    context = _context(link.trace_id, link.span_id, link.flags)
    return Link(context, attributes(link.attributes)) if context is not None else None


def logs_from(
    request: ExportLogsServiceRequest, interner: Interner
) -> Converted[ReadableLogRecord]:
    out: Converted[ReadableLogRecord] = Converted()
    for resource_logs in request.resource_logs:
        resource = interner.resource(resource_logs.resource, resource_logs.schema_url)
        records: list[ReadableLogRecord] = []
        for scope_logs in resource_logs.scope_logs:
            scope = interner.scope(scope_logs.scope, scope_logs.schema_url)
            for record in scope_logs.log_records:
                try:
                    trace_id = _id(record.trace_id, _TRACE_ID_BYTES)
                    span_id = _id(record.span_id, _SPAN_ID_BYTES)
                except ValueError:
                    out.reject("log records need 16-byte trace ids and 8-byte span ids")
                    continue
                records.append(
                    ReadableLogRecord(_log_record(record, trace_id, span_id), resource, scope)
                )
        if records:
            out.groups.append((resource, records))
    return out


def _log_record(record: logs_pb2.LogRecord, trace_id: int | None, span_id: int | None) -> LogRecord:
    number = record.severity_number
    severity = SeverityNumber(number) if 1 <= number <= 24 else None
    out = LogRecord(
        timestamp=record.time_unix_nano or None,
        observed_timestamp=record.observed_time_unix_nano or None,
        severity_text=clip(record.severity_text, NAME_CHARS) or None,
        severity_number=severity,
        body=any_value(record.body) if record.HasField("body") else None,
        attributes=attributes(record.attributes),
        event_name=clip(record.event_name, NAME_CHARS) or None,
    )
    # Ids from the wire, not from whatever context the gateway's own thread has.
    out.trace_id, out.span_id = trace_id or 0, span_id or 0
    out.trace_flags = TraceFlags(record.flags & 0xFF)
    return out
