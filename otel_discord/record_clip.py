"""Record text cut at intake to what any embed could show, remembering how long it was.

A 1 MB log message or a 6 MiB attribute is held by the outbox, the repeat hold and
the storm window for as long as its kind is pending, and the grouping key runs its
regexes over it. No embed shows more than 4096 characters of one text, so nothing
past that is worth keeping: the original length is kept to say "… 1.2 MB truncated".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

MESSAGE_CHARS: Final = 4096
"""The longest text any embed shows (a description)."""
TRACE_HEAD_CHARS: Final = 2048
TRACE_TAIL_CHARS: Final = 14336
"""A stack trace keeps its start and, mostly, its end: the innermost frames and the error."""
CONTEXT_VALUE_CHARS: Final = 1024
CONTEXT_KEYS: Final = 64
"""Attributes kept per record (embeds show a handful)."""


class ClippedText(str):
    """Text already cut before intake (the gateway's wire clip) that remembers its length.

    It passes through the SDK's records as the ``str`` it is, so the "… N truncated"
    line can state the size the sender sent rather than the size of the cut.
    """

    original_chars: int

    def __new__(cls, text: str, original_chars: int) -> ClippedText:
        clipped = super().__new__(cls, text)
        clipped.original_chars = original_chars
        return clipped


def original_length(text: str | None) -> int:
    """How long ``text`` was before any cut (0 for None)."""
    if text is None:
        return 0
    return max(len(text), getattr(text, "original_chars", 0))


def clip_text(text: str | None, limit: int = MESSAGE_CHARS) -> str | None:
    """The first ``limit`` characters of ``text`` (None stays None)."""
    if text is None or len(text) <= limit:
        return text
    return text[:limit]


def clip_trace(trace: str | None) -> str | None:
    """Head and tail of a long stack trace, with a line saying how much was cut between."""
    if trace is None or len(trace) <= TRACE_HEAD_CHARS + TRACE_TAIL_CHARS:
        return trace
    cut = len(trace) - TRACE_HEAD_CHARS - TRACE_TAIL_CHARS
    head = trace[:TRACE_HEAD_CHARS].rsplit("\n", 1)[0]
    tail = trace[-TRACE_TAIL_CHARS:].split("\n", 1)[-1]
    return f"{head}\n  … {cut} characters cut …\n{tail}"


def clip_context(context: Mapping[str, Any]) -> Mapping[str, Any]:
    """At most ``CONTEXT_KEYS`` attributes, long string values cut; the same object if small."""
    if len(context) <= CONTEXT_KEYS and not any(
        isinstance(v, str) and len(v) > CONTEXT_VALUE_CHARS for v in context.values()
    ):
        return context
    kept: dict[str, Any] = {}
    for key, value in list(context.items())[:CONTEXT_KEYS]:
        kept[key] = (
            value[:CONTEXT_VALUE_CHARS]
            if isinstance(value, str) and len(value) > CONTEXT_VALUE_CHARS
            else value
        )
    return kept
