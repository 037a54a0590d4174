"""The log processor before ``DiscordLogExporter`` (``configure()``, ``opentelemetry-instrument``).

The SDK's ``BatchLogRecordProcessor`` queues each record whole until its worker
exports it, and drops what does not fit (2,048 records by default) without a word.
A burst of 1 MB messages held up to 2 GB there before our intake cut them to what an
embed can show. This one cuts every record as it is emitted, on the logging thread
(the message to 4,096 characters, a stack trace to its head and tail, remembering
the original length for the "… truncated" line), so the queue holds bounded records
and can be longer: a burst of 10,000 errors fits where 2,048 did.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any, Final

from opentelemetry.sdk._logs import ReadWriteLogRecord
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExporter

from otel_discord.exporters.logs import DiscordLogExporter
from otel_discord.record_clip import (
    MESSAGE_CHARS,
    TRACE_HEAD_CHARS,
    TRACE_TAIL_CHARS,
    ClippedText,
    clip_trace,
)

QUEUE_RECORDS: Final = 16_384
"""Records queued before the SDK drops: each is cut first, about 20 KB at most."""
_TRACE: Final = "exception.stacktrace"
_MESSAGE: Final = "exception.message"


class ClippingLogRecordProcessor(BatchLogRecordProcessor):
    """``BatchLogRecordProcessor`` that cuts each record to what an embed can show first."""

    def __init__(self, exporter: LogRecordExporter, **options: Any) -> None:
        options.setdefault("max_queue_size", QUEUE_RECORDS)
        super().__init__(exporter, **options)

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        with contextlib.suppress(Exception):  # a record we cannot cut is queued as it is
            log_record = clipped(log_record)
        super().on_emit(log_record)


def log_processor_for(exporter: LogRecordExporter) -> BatchLogRecordProcessor:
    """The processor ``opentelemetry-instrument`` gives each logs exporter: ours for the
    Discord exporter, the SDK's ``BatchLogRecordProcessor`` for any other."""
    if isinstance(exporter, DiscordLogExporter):
        return ClippingLogRecordProcessor(exporter)
    return BatchLogRecordProcessor(exporter)


def _too_long(value: object, limit: int) -> bool:
    return isinstance(value, str) and len(value) > limit


def clipped(log_record: ReadWriteLogRecord) -> ReadWriteLogRecord:
    """``log_record``, or a copy cut to what an embed can show.

    Never cut in place: the provider hands the same record to every processor, and an
    OTLP exporter beside ours must get the whole text. Most records need no cut and
    cost three checks; a long one costs two shallow copies.
    """
    record = log_record.log_record
    body = record.body
    attributes = record.attributes or {}
    trace = attributes.get(_TRACE)
    message = attributes.get(_MESSAGE)
    cut_body = _too_long(body, MESSAGE_CHARS)
    cut_trace = _too_long(trace, TRACE_HEAD_CHARS + TRACE_TAIL_CHARS)
    cut_message = _too_long(message, MESSAGE_CHARS)
    if not (cut_body or cut_trace or cut_message):
        return log_record
    copied = copy.copy(record)
    if cut_body:
        copied.body = ClippedText(str(body)[:MESSAGE_CHARS], len(str(body)))
    if cut_trace or cut_message:
        kept = dict(attributes)
        if cut_trace:
            kept[_TRACE] = clip_trace(str(trace)) or ""
        if cut_message:
            kept[_MESSAGE] = ClippedText(str(message)[:MESSAGE_CHARS], len(str(message)))
        copied.attributes = kept
    result = copy.copy(log_record)
    result.log_record = copied
    return result
