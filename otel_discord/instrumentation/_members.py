"""Members leaving, counted once whether or not discord.py had them cached.

discord.py dispatches ``member_remove`` only for a cached member (without the
members intent, or before chunking, most are not), and ``raw_member_remove``
for every leave, right after it. The cached event is counted with its member;
the raw one counts the leaves the cached event did not see.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Final

from otel_discord.instrumentation import _names as n
from otel_discord.instrumentation._telemetry import Recorder

_PENDING_LIMIT: Final = 1024
"""Cached leaves waiting for their raw event (it follows at once; the bound is a backstop)."""

_pending: OrderedDict[tuple[int, int], None] = OrderedDict()


def _emit_leave(telemetry: Recorder, guild: Any, guild_id: int, user_id: int) -> None:
    telemetry.member_changes.add(1, telemetry.change_attrs[n.CHANGE_LEAVE])
    name = str(guild.name) if guild is not None else str(guild_id)
    count = (getattr(guild, "member_count", None) or 0) if guild is not None else 0
    attributes: dict[str, Any] = {
        n.ATTR_GUILD_NAME: name,
        n.ATTR_GUILD_ID: str(guild_id),
        n.ATTR_GUILD_MEMBER_COUNT: count,
    }
    if telemetry.options.user_ids_as_attributes:
        attributes[n.ATTR_USER_ID] = str(user_id)
    telemetry.emit_event(n.EVENT_MEMBER_LEAVE, f"A member left {name}", attributes)


def on_member_remove(telemetry: Recorder, _: Any, args: tuple[Any, ...]) -> None:
    """A cached member left: count it and let its raw event pass."""
    member = args[0]
    guild = member.guild
    _pending[(guild.id, member.id)] = None
    while len(_pending) > _PENDING_LIMIT:
        _pending.popitem(last=False)
    _emit_leave(telemetry, guild, guild.id, member.id)


def on_raw_member_remove(telemetry: Recorder, client: Any, args: tuple[Any, ...]) -> None:
    """Any member left: count it unless ``member_remove`` just did."""
    payload = args[0]
    guild_id, user_id = int(payload.guild_id), int(payload.user.id)
    if _pending.pop((guild_id, user_id), False) is None:
        return
    get_guild = getattr(client, "get_guild", None)
    guild = get_guild(guild_id) if callable(get_guild) else None
    _emit_leave(telemetry, guild, guild_id, user_id)


def reset_members() -> None:
    """Forget pending leaves (on uninstrument)."""
    _pending.clear()
