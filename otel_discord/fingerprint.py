"""What makes two problems "the same error kind": one key for every merge.

The repeat hold, the outbox (through the error item's key) and the storm window
all group by :func:`error_kind`, so a kind counted in one place is the same kind
everywhere. The key is computed once per occurrence, at intake.
"""

from __future__ import annotations

import re
from typing import Final

from otel_discord.records import Occurrence

FRAME: Final = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+), in (?P<func>.+)$')
"""One frame line of a Python traceback."""
_LIBRARY_MARKERS: Final = (
    "site-packages",
    "dist-packages",
    "/lib/python",
    "\\lib\\python",
    "<frozen",
)
_TEMPLATE_SUBS: Final = (
    (re.compile(r"'[^'\n]*'|\"[^\"\n]*\""), "'…'"),
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "#"),
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}\b"), "#"),
    (re.compile(r"\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{6,}\b"), "#"),
    (re.compile(r"\d+(?:\.\d+)?"), "#"),
)


def error_kind(occurrence: Occurrence) -> str:
    """Identity of the kind of problem: same key, same embed, same tally."""
    text = occurrence.exc_message if occurrence.exc_type else occurrence.message
    return "|".join(
        (
            str(occurrence.severity_number // 4),
            occurrence.source,
            occurrence.exc_type or "",
            message_template(text or ""),
            crash_location(occurrence.stacktrace),
        )
    )


def message_template(message: str) -> str:
    """The message with its variable parts (numbers, quoted text, ids) blanked, for grouping."""
    for pattern, replacement in _TEMPLATE_SUBS:
        message = pattern.sub(replacement, message)
    return message[:300]


_OWN_PACKAGE: Final = re.compile(r"(?:^|[\\/])otel_discord[\\/](?!demo[\\/])")
"""Our package's files; the demo's simulated bot is the "user" code of its traces."""


def is_own_frame(path: str) -> bool:
    """A frame of this package (installed or a checkout), the demo bot excepted."""
    return bool(_OWN_PACKAGE.search(path))


def is_library(path: str) -> bool:
    """True for a frame in an installed library or the standard library."""
    return any(marker in path for marker in _LIBRARY_MARKERS)


def crash_location(stacktrace: str | None) -> str:
    """``func (file.py:12)`` of the innermost user frame, else of the innermost frame."""
    frames = [m for m in map(FRAME.match, (stacktrace or "").splitlines()) if m]
    if not frames:
        return ""
    user = [m for m in frames if not is_library(m["path"]) and not is_own_frame(m["path"])]
    frame = (user or frames)[-1]
    name = re.split(r"[\\/]", frame["path"])[-1]
    return f"{frame['func']} ({name}:{frame['line']})"
