"""The storm summary: when errors pour in, one embed says how many, of which kinds.

Grouped error embeds already carry exact counts per kind, but during a storm they
arrive as a stream of follow-ups. Once a minute, if the window held at least
``STORM_THRESHOLD`` errors, one summary ranks the kinds, so a person reading the
last message of the logs channel knows at a glance what is going on.
"""

from __future__ import annotations

from typing import Final

from otel_discord.render import limits, style
from otel_discord.render.text import clip, human_count, human_duration, neutralise, one_line
from otel_discord.render.types import Embed
from otel_discord.state.storm import Storm

STORM_THRESHOLD: Final = 100
"""Errors in one window that make it a storm worth summarising."""
SHOWN_KINDS: Final = 10


def render_storm(storm: Storm, *, service: str, host: str | None) -> list[Embed]:
    """The summary embed, or [] when the window was not a storm."""
    if storm.total < STORM_THRESHOLD:
        return []
    seconds = max(1.0, (storm.end_ns - storm.start_ns) / 1e9)
    kinds = len(storm.kinds) + (1 if storm.other else 0)
    lines = [
        f"• `{human_count(kind.count)}×` {clip(neutralise(one_line(kind.label)), 90)} — "
        f"{clip(neutralise(one_line(kind.source)), 40)}"
        for kind in storm.kinds[:SHOWN_KINDS]
    ]
    hidden = storm.kinds[SHOWN_KINDS:]
    rest = sum(kind.count for kind in hidden) + storm.other
    if rest:
        lines.append(f"• … {human_count(rest)} more in {len(hidden) + bool(storm.other)} kinds")
    lines.append(f"_{human_count(kinds)} kinds · each with exact counts in its own embed_")
    return [
        {
            "title": clip(
                f"🌪️ Error storm · {human_count(storm.total)} errors in {human_duration(seconds)}",
                limits.EMBED_TITLE,
            ),
            "description": clip("\n".join(lines), limits.EMBED_DESCRIPTION),
            "color": style.RED,
            "footer": style.footer(service, host, style.window_text(storm.start_ns, storm.end_ns)),
            "timestamp": style.iso(storm.end_ns),
        }
    ]
