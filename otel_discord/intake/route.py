"""Spans and log records to channels: the one routing path of the exporters and the gateway.

Each record is routed (:class:`~otel_discord.routing.Router`), converted to a plain
value (:mod:`~otel_discord.intake.convert`) and handed to the pipeline: errors
and warnings to the grouped error path, activity events to analytics. ``origin``
names the process a record came from: the exporters learn it from the resource,
the gateway from the sender it tracks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan

from otel_discord.channels import Channel
from otel_discord.exception_ids import ATTR_USER_ERROR
from otel_discord.intake.convert import (
    event_from_log,
    log_name,
    log_scope,
    log_severity,
    occurrence_from_log,
    occurrence_from_span,
    span_is_error,
)
from otel_discord.pipeline import Pipeline
from otel_discord.render.events import SUMMARISED_EVENTS
from otel_discord.routing import Router
from otel_discord.severity import SEVERITY_WARN, is_error

Origin = Callable[[Resource], tuple[str, str | None]]
"""A record's resource -> (service, host) to show in its embed's footer."""

OWN_SCOPES: Final = ("otel_discord.", "httpx", "httpcore")
"""Loggers whose records never reach Discord: our own and our HTTP client's.

With logging bridged to OTel, anything we log while exporting would come back as
a record to export, and so on without end (DESIGN.md). The instrumentation's
and diagnostics' scopes are data, not our chatter, and pass.
"""
PASSING_SCOPES: Final = ("otel_discord.instrumentation", "otel_discord.diagnostics")


def is_user_mistake(record: ReadableLogRecord) -> bool:
    """The library's default print of a user's mistake (counted as a failure reason instead)."""
    return bool((record.log_record.attributes or {}).get(ATTR_USER_ERROR))


def is_own_chatter(scope: str) -> bool:
    """True for log records the package itself (or httpx under it) produced."""
    return scope.startswith(OWN_SCOPES) and not scope.startswith(PASSING_SCOPES)


def take_spans(
    pipeline: Pipeline,
    router: Router,
    spans: Sequence[ReadableSpan],
    origin: Origin,
    ok_spans: Sequence[ReadableSpan] = (),
) -> int:
    """Count spans into the analytics window; queue the errors routed somewhere.

    ``ok_spans``: spans the caller already found not errors (``span_is_error`` false):
    counted without reading their status, and not even looked at again when only the
    default span rules apply (they drop every successful span).
    Returns how many error spans were routed to a channel.
    """
    pipeline.add_spans(spans, ok_spans)
    return route_span_errors(pipeline, router, spans, origin, ok_spans)


def try_take_spans(
    pipeline: Pipeline,
    router: Router,
    spans: Sequence[ReadableSpan],
    origin: Origin,
    ok_spans: Sequence[ReadableSpan] = (),
) -> int | None:
    """``take_spans`` without waiting for the pipeline's lock: None (nothing taken) if held."""
    if not pipeline.try_add_spans(spans, ok_spans):
        return None
    return route_span_errors(pipeline, router, spans, origin, ok_spans)


def route_span_errors(
    pipeline: Pipeline,
    router: Router,
    spans: Sequence[ReadableSpan],
    origin: Origin,
    ok_spans: Sequence[ReadableSpan] = (),
) -> int:
    """Queue the spans routed to a channel (errors, by default); return how many were errors.

    ``ok_spans`` (known not errors) go through the user's span rules only: the defaults
    drop them all.
    """
    defaults = router.default_spans
    if not defaults:
        for span in ok_spans:
            _route_span(pipeline, router, span, origin, error=False)
    errors = 0
    for span in spans:
        error = span_is_error(span)
        if defaults and not error:
            continue  # the default rules drop it: no rule walk for every successful span
        errors += _route_span(pipeline, router, span, origin, error=error)
    return errors


def _route_span(
    pipeline: Pipeline, router: Router, span: ReadableSpan, origin: Origin, *, error: bool
) -> bool:
    """Queue ``span`` if a rule routes it; True for a routed error span."""
    scope = span.instrumentation_scope.name if span.instrumentation_scope else ""
    channel = router.route(
        "spans", scope=scope, name=span.name, attributes=span.attributes, is_error=error
    )
    if channel is None:
        return False
    occurrence = occurrence_from_span(span, *origin(span.resource))
    pipeline.submit_error(channel, occurrence, from_span=True)
    return error


def take_logs(
    pipeline: Pipeline, router: Router, records: Sequence[ReadableLogRecord], origin: Origin
) -> int:
    """Route log records: problems to the error path, events to analytics or their channel.

    Returns how many error-level records were routed to a channel.
    """
    errors = 0
    for record in records:
        scope = log_scope(record)
        if is_own_chatter(scope) or is_user_mistake(record):
            continue
        service, host = origin(record.resource)
        severity = log_severity(record)
        name = log_name(record)
        channel = router.route(
            "logs",
            severity=severity,
            scope=scope,
            name=name,
            attributes=record.log_record.attributes,
        )
        if channel is None:
            continue
        if channel is Channel.ANALYTICS or (name and severity < SEVERITY_WARN):
            notice = event_from_log(record, service, host)
            if channel is Channel.ANALYTICS and notice.name in SUMMARISED_EVENTS:
                pipeline.add_member_event(notice)  # one line in the summary, not an embed each
            else:
                pipeline.submit_event(channel, notice)
        else:
            errors += is_error(severity)
            pipeline.submit_error(channel, occurrence_from_log(record, service, host))
    return errors
