"""The plain values the intake hands on: a problem (``Occurrence``) and an event (``EventNotice``).

Whatever signal they came from (a log record, a failed span, a gateway export),
state, rendering and delivery see only these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


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


@dataclass
class EventNotice:
    """A log event (guild join, members joining, ...) as the renderer needs it."""

    time_ns: int
    name: str
    body: str
    service: str
    host: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
