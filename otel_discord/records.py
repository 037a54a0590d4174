"""The plain values the intake hands on: a problem (``Occurrence``) and an event (``EventNotice``).

Whatever signal they came from (a log record, a failed span, a gateway export),
state, rendering and delivery see only these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from otel_discord.record_clip import (
    MESSAGE_CHARS,
    clip_context,
    clip_text,
    clip_trace,
    original_length,
)


@dataclass
class Occurrence:
    """One error or warning as the renderer needs it, whatever signal it came from."""

    time_ns: int
    severity_number: int
    severity_text: str
    source: str
    message: str
    service: str
    host: str | None = None
    exc_type: str | None = None
    exc_message: str | None = None
    stacktrace: str | None = None
    trace_id: str | None = None
    span_id: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    exception_id: str | None = None
    """Identity of the exception object (``otel_discord.exception_ids``): one embed per object."""
    base_dir: str | None = None
    """The reporting process's working directory: the bot's own paths are shown relative to it."""
    original_chars: int = 0
    """Length of the message as received when intake cut it (0: kept whole)."""

    def __post_init__(self) -> None:
        # Cut at intake: everything downstream (queues, holds, the kind's key) sees
        # bounded text, so the key's regexes never run over a megabyte.
        longest = max(original_length(self.message), original_length(self.exc_message))
        if longest > MESSAGE_CHARS:
            self.original_chars = max(self.original_chars, longest)
            self.message = self.message[:MESSAGE_CHARS]
            self.exc_message = clip_text(self.exc_message)
        self.stacktrace = clip_trace(self.stacktrace)
        self.context = clip_context(self.context)

    def text_chars(self) -> int:
        """Characters of text this occurrence holds (what an outbox's byte budget counts)."""
        return (
            len(self.message)
            + len(self.exc_message or "")
            + len(self.stacktrace or "")
            + sum(len(v) for v in self.context.values() if isinstance(v, str))
        )


@dataclass
class EventNotice:
    """A log event (guild join, members joining, ...) as the renderer needs it."""

    time_ns: int
    name: str
    body: str
    service: str
    host: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Cut at intake, as problems are: a queued event never holds more than an embed shows.
        self.body = clip_text(self.body) or ""
        self.attributes = clip_context(self.attributes)
