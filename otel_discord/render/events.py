"""Log records that are not problems: the bot's activity events and the package's own notices."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from otel_discord.records import EventNotice
from otel_discord.render import limits, style
from otel_discord.render.text import clip, human_count, neutralise
from otel_discord.render.types import Embed

_ICONS: Final = {
    "discord.guild.join": ("🎉", "Joined guild", style.GREEN),
    "discord.guild.leave": ("👋", "Left guild", style.YELLOW),
    "discord.member.join": ("➕", "joined", style.GREEN),
    "discord.member.leave": ("➖", "left", style.GREY),
}
MERGED_EVENTS: Final = frozenset({"discord.member.join", "discord.member.leave"})
"""High-volume events: one embed per guild and kind, with a count, while queued."""
SUMMARISED_EVENTS: Final = MERGED_EVENTS
"""In the analytics channel these become per-guild counts in the summary, not embeds."""
SHOWN_ATTRIBUTES: Final = 8


def guild_of(attributes: Mapping[str, Any]) -> str:
    return str(attributes.get("discord.guild.name") or attributes.get("discord.guild.id") or "?")


def _count(value: object) -> float | None:
    """An attribute from the wire as a count, if it is one ("many", inf, -3: not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def render_event(notice: EventNotice, count: int = 1, first_ns: int | None = None) -> Embed:
    """A small embed for one activity event (or ``count`` merged member events)."""
    attrs = notice.attributes
    icon, verb, colour = _ICONS.get(notice.name, ("📌", "", style.BLUE))
    guild = neutralise(guild_of(attrs))
    if notice.name.startswith("discord.guild."):
        members = _count(attrs.get("discord.guild.member_count"))
        extra = f" — {human_count(members)} members" if members is not None else ""
        title = f"{icon} {verb} {guild}{extra}"
    elif notice.name in MERGED_EVENTS:
        who = "member" if count == 1 else "members"
        title = f"{icon} {human_count(count)} {who} {verb} {guild}"
    else:
        title = f"{icon} {notice.name or 'event'}"
    embed: Embed = {
        "title": clip(title, limits.EMBED_TITLE),
        "color": colour,
        "footer": style.footer(notice.service, notice.host),
        "timestamp": style.iso(notice.time_ns),
    }
    if count > 1 and first_ns is not None:
        embed["description"] = f"between {style.window_text(first_ns, notice.time_ns)}"
    elif notice.body and not notice.name.startswith("discord."):
        embed["description"] = clip(neutralise(notice.body), 1000)
    return embed


def render_notice(
    title: str, lines: list[str], *, service: str, host: str | None, time_ns: int, colour: int
) -> Embed:
    """A diagnostics notice: a title and a few lines of plain facts."""
    return {
        "title": clip(title, limits.EMBED_TITLE),
        "description": clip("\n".join(lines), limits.EMBED_DESCRIPTION) or "—",
        "color": colour,
        "footer": style.footer(service, host),
        "timestamp": style.iso(time_ns),
    }


def attribute_fields(attributes: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A few attributes as inline fields (for generic notices)."""
    fields = []
    for key, value in list(attributes.items())[:SHOWN_ATTRIBUTES]:
        fields.append(
            {
                "name": clip(key, 200),
                "value": clip(neutralise(str(value)), 200) or "—",
                "inline": True,
            }
        )
    return fields
