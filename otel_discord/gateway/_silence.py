"""Silence notices, grouped: one embed per merge however many processes went quiet.

A fleet that loses a host (or a flood of throwaway sender ids that then stop)
would otherwise post one "Process silent" embed each, hundreds in a row. One
process keeps its detailed notice; several share one embed that names them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from otel_discord.gateway._fleet import Transition
from otel_discord.gateway._render import render_silence
from otel_discord.render import limits, style
from otel_discord.render.text import clip, inline_code
from otel_discord.render.types import Embed

MAX_NAMED: Final = 40
"""Processes named in a grouped notice; the rest are counted."""


def silence_embeds(transitions: Sequence[Transition], *, time_ns: int) -> list[tuple[str, Embed]]:
    """(kind, embed) per kind of transition: the detailed embed for one, a grouped one for more."""
    out: list[tuple[str, Embed]] = []
    for kind in ("silent", "back"):
        group = [t for t in transitions if t[0] == kind]
        if len(group) == 1:
            _, view, seconds = group[0]
            out.append((kind, render_silence(kind, view, seconds, time_ns=time_ns)))
        elif group:
            out.append((kind, _grouped(kind, group, time_ns)))
    return out


def _grouped(kind: str, group: Sequence[Transition], time_ns: int) -> Embed:
    views = sorted(group, key=lambda t: t[1].label)
    names = [inline_code(view.label) for _, view, _ in views[:MAX_NAMED]]
    hidden = len(views) - len(names)
    if hidden:
        names.append(f"+{hidden} more")
    if kind == "silent":
        longest = max(seconds for _, _, seconds in group)
        since = style.clock(time_ns - int(longest * 1e9))
        title = f"🔕 {len(group)} processes silent since {since} UTC"
        lead = "No metrics from these processes: crashed, stopped, or cut off from the gateway."
        colour = style.RED
    else:
        title = f"✅ {len(group)} processes back"
        lead = "Metrics again from these processes."
        colour = style.GREEN
    services = sorted({view.service for _, view, _ in group})
    return {
        "title": clip(title, limits.EMBED_TITLE),
        "description": clip(f"{lead}\n{', '.join(names)}", limits.EMBED_DESCRIPTION),
        "color": colour,
        "footer": style.footer(", ".join(services[:3]), None),
        "timestamp": style.iso(time_ns),
    }
