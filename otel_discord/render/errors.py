"""Errors and warnings as grouped embeds: one embed per kind, with a count.

Identical errors (same severity, source, exception type, message template and
location) merge while they wait in the outbox, so a storm of 10,000 errors of
20 kinds reaches Discord as about 20 embeds whose counts add up exactly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from otel_discord.delivery.item import Item, Priority
from otel_discord.render import limits, style
from otel_discord.render.frames import display_path, is_own_frame
from otel_discord.render.text import clip, code_block, human_count, neutralise
from otel_discord.render.types import Embed

_CARETS: Final = re.compile(r"^\s*[\^~]+\s*$")
"""Python 3.11+ underlines the failing expression; in a narrow embed it is only noise."""
_FRAME: Final = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+), in (?P<func>.+)$')
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
STACK_BUDGET: Final = 1400
"""Characters of trace shown: enough for the frames that matter, leaves room for the rest."""
CONTEXT_ATTRIBUTES: Final = (
    ("discord.command.name", "Command"),
    ("discord.guild.name", "Guild"),
    ("discord.event", "Event"),
    ("discord.error.source", "Raised in"),
)


def message_template(message: str) -> str:
    """The message with its variable parts (numbers, quoted text, ids) blanked, for grouping."""
    for pattern, replacement in _TEMPLATE_SUBS:
        message = pattern.sub(replacement, message)
    return message[:300]


def _is_library(path: str) -> bool:
    return any(marker in path for marker in _LIBRARY_MARKERS)


def crash_location(stacktrace: str | None) -> str:
    """``func (file.py:12)`` of the innermost user frame, else of the innermost frame."""
    frames = [m for m in map(_FRAME.match, (stacktrace or "").splitlines()) if m]
    if not frames:
        return ""
    user = [m for m in frames if not _is_library(m["path"]) and not is_own_frame(m["path"])]
    frame = (user or frames)[-1]
    name = re.split(r"[\\/]", frame["path"])[-1]
    return f"{frame['func']} ({name}:{frame['line']})"


def trim_stacktrace(stacktrace: str, base_dir: str | None = None) -> str:
    """Keep the user's own frames and the innermost one; fold library frames into a count.

    Frames of this package are dropped; paths are shortened (:func:`display_path`).
    """
    lines = [line for line in stacktrace.rstrip().splitlines() if not _CARETS.match(line)]
    out: list[str] = []
    folded = 0
    index = 0
    last_frame = max((i for i, line in enumerate(lines) if _FRAME.match(line)), default=-1)
    while index < len(lines):
        line = lines[index]
        match = _FRAME.match(line)
        has_source = (
            index + 1 < len(lines)
            and not _FRAME.match(lines[index + 1])
            and (lines[index + 1].startswith("    "))
        )
        span = lines[index : index + (2 if has_source else 1)]
        index += len(span)
        if match and is_own_frame(match["path"]):
            continue
        if match and _is_library(match["path"]) and index - len(span) != last_frame:
            folded += 1
            continue
        if folded:
            out.append(f"  … {folded} library frame{'s' if folded > 1 else ''}")
            folded = 0
        if match:
            path = match["path"]
            span = [span[0].replace(f'"{path}"', f'"{display_path(path, base_dir)}"', 1), *span[1:]]
        out.extend(span)
    return "\n".join(out)


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

    @property
    def group_key(self) -> str:
        """Identity of the kind of problem: same key, same embed."""
        text = self.exc_message if self.exc_type else self.message
        return "|".join(
            (
                str(self.severity_number // 4),
                self.source,
                self.exc_type or "",
                message_template(text or ""),
                crash_location(self.stacktrace),
            )
        )


class ErrorGroup(Item):
    """Occurrences of one kind of problem, merged while queued."""

    def __init__(self, occurrence: Occurrence) -> None:
        self.sample = occurrence
        self.key = "error:" + occurrence.group_key
        self.count = 1
        self.first_ns = occurrence.time_ns
        self.last_ns = occurrence.time_ns
        self.priority = Priority.ERROR if occurrence.severity_number >= 17 else Priority.WARNING
        self.urgent = occurrence.severity_number >= 17
        self.seen_total = 0
        """Occurrences of this kind so far, when it was seen before this group (else 0)."""
        self.seen_since_ns = 0

    def absorb(self, other: Item) -> bool:
        if not isinstance(other, ErrorGroup) or other.key != self.key:
            return False
        self.count += other.count
        self.first_ns = min(self.first_ns, other.first_ns)
        if other.seen_total > self.seen_total:
            self.seen_total, self.seen_since_ns = other.seen_total, other.seen_since_ns
        if other.last_ns >= self.last_ns:
            self.last_ns = other.last_ns
            self.sample = other.sample
        return True

    def embeds(self) -> list[Embed]:
        # a group that absorbed every earlier occurrence already says how many there were
        shown = self.seen_total > self.count
        seen = (self.seen_total, self.seen_since_ns) if shown else None
        return [render_error(self.sample, self.count, self.first_ns, self.last_ns, seen=seen)]


def render_error(
    occ: Occurrence,
    count: int,
    first_ns: int,
    last_ns: int,
    *,
    seen: tuple[int, int] | None = None,
) -> Embed:
    """The embed of a group of identical problems; ``seen`` = (total so far, since) on repeats."""
    icon = style.severity_icon(occ.severity_number)
    if occ.exc_type:
        title = f"{icon} {occ.exc_type}: {occ.exc_message or ''}".rstrip(": ")
    else:
        title = f"{icon} {occ.severity_text or 'LOG'} · {occ.source}"
    parts = [_count_line(count, first_ns, last_ns)]
    if seen is not None:
        parts[0] += f" · seen {human_count(seen[0])}× since {style.clock(seen[1])} UTC"
    if occ.message and (not occ.exc_type or occ.message != occ.exc_message):
        parts.append(clip(neutralise(occ.message), 1500))
    if occ.stacktrace:
        parts.append(
            code_block(
                trim_stacktrace(occ.stacktrace, occ.base_dir),
                STACK_BUDGET,
                lang="py",
                width=limits.CODE_BLOCK_WIDTH * 2,
                keep="tail",
            )
        )
    fields: list[dict[str, Any]] = [
        {"name": "Logger", "value": clip(neutralise(occ.source), 200), "inline": True}
    ]
    for key, label in CONTEXT_ATTRIBUTES:
        value = occ.context.get(key)
        if value not in (None, ""):
            fields.append(
                {"name": label, "value": clip(neutralise(str(value)), 200), "inline": True}
            )
    if occ.trace_id:
        fields.append({"name": "Trace", "value": f"`{occ.trace_id}`", "inline": True})
    return {
        "title": clip(neutralise(title), limits.EMBED_TITLE),
        "description": "\n".join(parts),
        "color": style.severity_colour(occ.severity_number),
        "fields": fields,
        "footer": style.footer(occ.service, occ.host),
        "timestamp": style.iso(last_ns),
    }


def _count_line(count: int, first_ns: int, last_ns: int) -> str:
    if count == 1:
        return f"at {style.clock(last_ns)} UTC"
    return (
        f"**{human_count(count)} occurrences** · first {style.clock(first_ns)}"
        f" · last {style.clock(last_ns)} UTC"
    )
