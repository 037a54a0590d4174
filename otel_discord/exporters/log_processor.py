"""The log processor ``configure()`` puts before ``DiscordLogExporter``.

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
from typing import Any, Final

from opentelemetry.sdk._logs import ReadWriteLogRecord
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExporter

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
_CUT_ABOVE: Final = frozenset({_TRACE, _MESSAGE})
"""Cut above with their own rules (they keep their original length)."""


class ClippingLogRecordProcessor(BatchLogRecordProcessor):
    """``BatchLogRecordProcessor`` that cuts each record to what an embed can show first."""

    def __init__(self, exporter: LogRecordExporter, **options: Any) -> None:
        options.setdefault("max_queue_size", QUEUE_RECORDS)
        super().__init__(exporter, **options)

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        with contextlib.suppress(Exception):  # a record we cannot cut is queued as it is
            _clip(log_record)
        super().on_emit(log_record)


def _clip(log_record: ReadWriteLogRecord) -> None:
    record = log_record.log_record
    body = record.body
    if isinstance(body, str) and len(body) > MESSAGE_CHARS:
        record.body = ClippedText(body[:MESSAGE_CHARS], len(body))
    attributes = record.attributes
    if not attributes:
        return
    trace = attributes.get(_TRACE)
    if isinstance(trace, str) and len(trace) > TRACE_HEAD_CHARS + TRACE_TAIL_CHARS:
        attributes[_TRACE] = clip_trace(trace)  # type: ignore[index]
    message = attributes.get(_MESSAGE)
    if isinstance(message, str) and len(message) > MESSAGE_CHARS:
        attributes[_MESSAGE] = ClippedText(message[:MESSAGE_CHARS], len(message))  # type: ignore[index]
    # The rest (a logging call's ``extra``: a request body, a payload dump) is queued
    # whole too; no embed shows more of one value than this, and intake cuts it anyway.
    for key, value in list(attributes.items()):
        if key in _CUT_ABOVE:
            continue
        cut = _cut_value(value)
        if cut is not value:
            attributes[key] = cut  # type: ignore[index]


def _cut_value(value: object) -> object:
    """``value`` with its text cut to ``MESSAGE_CHARS``; the same object when nothing was cut."""
    if isinstance(value, str):
        return value[:MESSAGE_CHARS] if len(value) > MESSAGE_CHARS else value
    if isinstance(value, (tuple, list)) and any(
        isinstance(item, str) and len(item) > MESSAGE_CHARS for item in value
    ):
        return tuple(item[:MESSAGE_CHARS] if isinstance(item, str) else item for item in value)
    return value
