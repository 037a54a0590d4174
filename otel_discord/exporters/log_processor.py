"""The log processor before ``DiscordLogExporter`` (``configure()``, ``opentelemetry-instrument``).

The SDK's ``BatchLogRecordProcessor`` queues each record whole until its worker
exports it, and drops what does not fit (2,048 records by default) without a word.
A burst of 1 MB messages held up to 2 GB there before our intake cut them to what an
embed can show. This one cuts every record as it is emitted, on the logging thread
(the message to 4,096 characters, a stack trace to its head and tail, remembering
the original length for the "… truncated" line, every other text attribute to 4,096
characters), so the queue holds bounded records and can be longer: a burst of 10,000
errors fits where 2,048 did.
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


def _cut(key: str, value: Any) -> Any:
    """``value`` cut to what an embed can show; the same object when nothing was cut.

    Besides the exception's message and trace, a logging call's ``extra`` (a request
    body, a payload dump) becomes attributes too, and was queued whole.
    """
    if key == _TRACE:  # its head and tail, however long its message
        if _too_long(value, TRACE_HEAD_CHARS + TRACE_TAIL_CHARS):
            return clip_trace(value) or ""
        return value
    if _too_long(value, MESSAGE_CHARS):
        text = str(value)
        kept = text[:MESSAGE_CHARS]
        return ClippedText(kept, len(text)) if key == _MESSAGE else kept
    if isinstance(value, (tuple, list)) and any(_too_long(item, MESSAGE_CHARS) for item in value):
        return tuple(item[:MESSAGE_CHARS] if isinstance(item, str) else item for item in value)
    return value


def clipped(log_record: ReadWriteLogRecord) -> ReadWriteLogRecord:
    """``log_record``, or a copy cut to what an embed can show.

    Never cut in place: the provider hands the same record to every processor, and an
    OTLP exporter beside ours must get the whole text. Most records need no cut and
    cost a check per attribute; a long one costs two shallow copies.
    """
    record = log_record.log_record
    body = record.body
    attributes = record.attributes or {}
    cut_body = _too_long(body, MESSAGE_CHARS)
    cuts: dict[str, Any] = {}
    for key, value in attributes.items():
        cut = _cut(key, value)
        if cut is not value:
            cuts[key] = cut
    if not (cut_body or cuts):
        return log_record
    copied = copy.copy(record)
    if cut_body:
        copied.body = ClippedText(str(body)[:MESSAGE_CHARS], len(str(body)))
    if cuts:
        copied.attributes = {**attributes, **cuts}
    result = copy.copy(log_record)
    result.log_record = copied
    return result
