"""OpenTelemetry records to the renderer's plain shapes (Occurrence, EventNotice)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Final

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode, format_span_id, format_trace_id

from otel_discord.exception_ids import ATTR_EXCEPTION_ID, ATTR_MESSAGE, ATTR_TYPE
from otel_discord.records import EventNotice, Occurrence
from otel_discord.severity import SEVERITY_ERROR
from otel_discord.state.span_fields import PLAIN_STATUS, FieldReader

EXCEPTION_EVENT: Final = "exception"
_ERROR: Final = StatusCode.ERROR
_STATUS: Final = FieldReader("status")
"""A span's status without a property call (once per span, on the thread ending it)."""


def log_name(record: ReadableLogRecord) -> str:
    """A log's event name: the record's own field, else the ``event.name`` attribute."""
    lr = record.log_record
    name = getattr(lr, "event_name", None) or (lr.attributes or {}).get("event.name")
    return str(name) if name else ""


def log_scope(record: ReadableLogRecord) -> str:
    return record.instrumentation_scope.name if record.instrumentation_scope else ""


def log_severity(record: ReadableLogRecord) -> int:
    number = record.log_record.severity_number
    return int(number.value) if number is not None else 0


def _ids(trace_id: int | None, span_id: int | None) -> tuple[str | None, str | None]:
    if not trace_id:
        return None, None
    return format_trace_id(trace_id), format_span_id(span_id) if span_id else None


def occurrence_from_log(record: ReadableLogRecord, service: str, host: str | None) -> Occurrence:
    lr = record.log_record
    attrs: Mapping[str, Any] = lr.attributes or {}
    trace_id, span_id = _ids(lr.trace_id, lr.span_id)
    body = lr.body
    return Occurrence(
        time_ns=lr.timestamp or lr.observed_timestamp or 0,
        severity_number=log_severity(record),
        severity_text=lr.severity_text or "",
        source=log_scope(record) or "log",
        message=_text(body) or "",
        service=service,
        host=host,
        # the bridge's filter names the unwrapped exception as the instrumentation does
        exc_type=_text(attrs.get(ATTR_TYPE) or attrs.get("exception.type")),
        exc_message=_text(attrs.get(ATTR_MESSAGE, attrs.get("exception.message"))),
        stacktrace=_text(attrs.get("exception.stacktrace")),
        trace_id=trace_id,
        span_id=span_id if attrs.get("exception.type") else None,
        context=attrs,
        exception_id=_text(attrs.get(ATTR_EXCEPTION_ID)),
        base_dir=_working_directory(),
    )


def event_from_log(record: ReadableLogRecord, service: str, host: str | None) -> EventNotice:
    lr = record.log_record
    body = lr.body
    return EventNotice(
        time_ns=lr.timestamp or lr.observed_timestamp or 0,
        name=log_name(record),
        body="" if body is None else str(body),
        service=service,
        host=host,
        attributes=lr.attributes or {},
    )


def span_is_error(span: ReadableSpan) -> bool:
    """An error status or an exception event."""
    read = _STATUS.by_type.get(type(span)) or _STATUS.learn(type(span))
    status = read(span)
    # The API's Status property returns its field: no Python call for it on every span.
    code = status._status_code if type(status) is PLAIN_STATUS else status.status_code
    if code is _ERROR:
        return True
    # The SDK's ``events`` copies its list on every read; most spans have none.
    own = getattr(span, "_events", None)
    if own is not None and not own:
        return False
    return any(event.name == EXCEPTION_EVENT for event in span.events)


def occurrence_from_span(span: ReadableSpan, service: str, host: str | None) -> Occurrence:
    exc: Mapping[str, Any] = {}
    for event in span.events:
        if event.name == EXCEPTION_EVENT:
            exc = event.attributes or {}
    context = span.context
    trace_id, span_id = _ids(
        context.trace_id if context else None, context.span_id if context else None
    )
    scope = span.instrumentation_scope.name if span.instrumentation_scope else ""
    description = span.status.description or ""
    return Occurrence(
        time_ns=span.end_time or span.start_time or 0,
        severity_number=SEVERITY_ERROR,
        severity_text="ERROR",
        source=scope or "span",
        message=f"span {span.name} failed" + (f": {description}" if description else ""),
        service=service,
        host=host,
        exc_type=_text(exc.get("exception.type"))
        or _text((span.attributes or {}).get("error.type")),
        exc_message=_text(exc.get("exception.message")) or description or None,
        stacktrace=_text(exc.get("exception.stacktrace")),
        trace_id=trace_id,
        span_id=span_id,
        context=span.attributes or {},
        exception_id=_text(exc.get(ATTR_EXCEPTION_ID)),
        base_dir=_working_directory(),
    )


def _working_directory() -> str | None:
    try:
        return os.getcwd()
    except OSError:  # deleted under us
        return None


def _text(value: object) -> str | None:
    # A str stays the object it is: the gateway's ClippedText keeps its original length.
    return value if isinstance(value, str) or value is None else str(value)
