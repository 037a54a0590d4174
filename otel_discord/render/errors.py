"""Errors and warnings as embeds: one embed per kind of problem, with a count.

Identical errors (same :func:`~otel_discord.fingerprint.error_kind`) merge while
they wait (see :class:`~otel_discord.delivery.grouped.ErrorGroup`), so a storm of
10,000 errors of 20 kinds reaches Discord as about 20 embeds whose counts add up.
"""

from __future__ import annotations

import re
from typing import Any, Final

from otel_discord.fingerprint import FRAME, is_library
from otel_discord.records import Occurrence
from otel_discord.render import limits, style
from otel_discord.render.frames import display_path, is_own_frame
from otel_discord.render.text import clip, code_block, human_bytes, human_count, neutralise
from otel_discord.render.types import Embed

_CARETS: Final = re.compile(r"^\s*[\^~]+\s*$")
"""Python 3.11+ underlines the failing expression; in a narrow embed it is only noise."""
STACK_BUDGET: Final = 1400
"""Characters of trace shown: enough for the frames that matter, leaves room for the rest."""
CONTEXT_ATTRIBUTES: Final = (
    ("discord.command.name", "Command"),
    ("discord.guild.name", "Guild"),
    ("discord.event", "Event"),
    ("discord.error.source", "Raised in"),
)


def trim_stacktrace(stacktrace: str, base_dir: str | None = None) -> str:
    """Keep the user's own frames and the innermost one; fold library frames into a count.

    Frames of this package are dropped; paths are shortened (:func:`display_path`).
    """
    lines = [line for line in stacktrace.rstrip().splitlines() if not _CARETS.match(line)]
    out: list[str] = []
    folded = 0
    index = 0
    last_frame = max((i for i, line in enumerate(lines) if FRAME.match(line)), default=-1)
    while index < len(lines):
        line = lines[index]
        match = FRAME.match(line)
        has_source = (
            index + 1 < len(lines)
            and not FRAME.match(lines[index + 1])
            and (lines[index + 1].startswith("    "))
        )
        span = lines[index : index + (2 if has_source else 1)]
        index += len(span)
        if match and is_own_frame(match["path"]):
            continue
        if match and is_library(match["path"]) and index - len(span) != last_frame:
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
    if occ.original_chars:
        parts.append(f"_… message of {human_bytes(occ.original_chars)} truncated_")
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
