"""What specific dispatched events mean: one small handler per event name.

Handlers get the telemetry, the client and the event's positional arguments, and
are looked up in ``HANDLERS`` by event name, so an ordinary event costs a single
dict miss.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, Final

from otel_discord.instrumentation import _names as n
from otel_discord.instrumentation._fork_events import FORK_HANDLERS
from otel_discord.instrumentation._members import (
    on_member_remove,
    on_raw_member_remove,
    reset_members,
)
from otel_discord.instrumentation._probe import note_error
from otel_discord.instrumentation._telemetry import Recorder

Handler = Callable[[Recorder, Any, tuple[Any, ...]], None]

_UNSHARDED: Final = -1


def voice_changes(before: Any, after: Any) -> tuple[str, ...]:
    """Name the changes between two ``VoiceState``s (join/leave/move/mute/...)."""
    was, now = before.channel, after.channel
    if was is None and now is None:
        return ()
    if was is None:
        return ("join",)
    if now is None:
        return ("leave",)
    changes: list[str] = []
    if was.id != now.id:
        changes.append("move")
    toggles = (
        (before.self_mute or before.mute, after.self_mute or after.mute, "mute", "unmute"),
        (before.self_deaf or before.deaf, after.self_deaf or after.deaf, "deafen", "undeafen"),
        (before.self_stream, after.self_stream, "stream_start", "stream_stop"),
        (before.self_video, after.self_video, "video_start", "video_stop"),
    )
    for old, new, on, off in toggles:
        if bool(old) != bool(new):
            changes.append(on if new else off)
    return tuple(changes)


def _guild_attributes(guild: Any) -> dict[str, Any]:
    return {
        n.ATTR_GUILD_NAME: str(guild.name),
        n.ATTR_GUILD_ID: str(guild.id),
        n.ATTR_GUILD_MEMBER_COUNT: guild.member_count or 0,
    }


def _on_message(telemetry: Recorder, _: Any, args: tuple[Any, ...]) -> None:
    message = args[0]
    if not telemetry.options.include_bot_messages and getattr(message.author, "bot", False):
        return
    channel_type = getattr(getattr(message.channel, "type", None), "name", None) or "unknown"
    guild = message.guild
    if guild is not None and telemetry.options.guild_ids_as_attributes:
        telemetry.count_message(channel_type, True, guild.id)
        return
    key = (channel_type, guild is not None, None)
    counts = telemetry.message_counts
    if key in counts:  # inline: this runs for every message
        counts[key] += 1
    else:
        telemetry.count_message(channel_type, guild is not None, None)


def _guild_change(change: str, event_name: str, verb: str) -> Handler:
    def handler(telemetry: Recorder, _: Any, args: tuple[Any, ...]) -> None:
        guild = args[0]
        telemetry.guild_changes.add(1, telemetry.change_attrs[change])
        attributes = _guild_attributes(guild)
        body = f"{verb} guild {guild.name} ({attributes[n.ATTR_GUILD_MEMBER_COUNT]} members)"
        telemetry.emit_event(event_name, body, attributes)

    return handler


def _member_change(change: str, event_name: str, verb: str) -> Handler:
    def handler(telemetry: Recorder, _: Any, args: tuple[Any, ...]) -> None:
        member = args[0]
        guild = member.guild
        telemetry.member_changes.add(1, telemetry.change_attrs[change])
        attributes = _guild_attributes(guild)
        if telemetry.options.user_ids_as_attributes:
            attributes[n.ATTR_USER_ID] = str(member.id)
        telemetry.emit_event(event_name, f"A member {verb} {guild.name}", attributes)

    return handler


def _on_voice_state_update(telemetry: Recorder, _: Any, args: tuple[Any, ...]) -> None:
    for change in voice_changes(args[1], args[2]):
        telemetry.count_change(telemetry.voice_changes, change)


def _reaction(change: str) -> Handler:
    def handler(telemetry: Recorder, _: Any, __: tuple[Any, ...]) -> None:
        telemetry.count_change(telemetry.reactions, change)

    return handler


_sessions: weakref.WeakKeyDictionary[Any, set[int]] = weakref.WeakKeyDictionary()
"""Shards each client has connected before: a second connect is a reconnect."""


def _session_started(telemetry: Recorder, client: Any, shard_id: int) -> None:
    seen = _sessions.setdefault(client, set())
    if shard_id in seen:
        telemetry.reconnects.add(1, telemetry.gateway_kind_attrs[n.GATEWAY_RECONNECT])
    else:
        seen.add(shard_id)


def _lend_token(client: Any) -> None:
    """Channel-ID destinations without a configured token post with this bot's own."""
    from otel_discord.delivery.bot_token import offer_bot_token

    offer_bot_token(getattr(getattr(client, "http", None), "token", None))


def _on_connect(telemetry: Recorder, client: Any, _: tuple[Any, ...]) -> None:
    _lend_token(client)
    if isinstance(getattr(client, "shards", None), dict):
        return  # sharded clients also dispatch shard_connect with the shard id
    _session_started(telemetry, client, _UNSHARDED)


def _on_shard_connect(telemetry: Recorder, client: Any, args: tuple[Any, ...]) -> None:
    _lend_token(client)
    _session_started(telemetry, client, args[0])


def _on_resumed(telemetry: Recorder, _: Any, __: tuple[Any, ...]) -> None:
    telemetry.reconnects.add(1, telemetry.gateway_kind_attrs[n.GATEWAY_RESUME])


def _on_socket_event_type(telemetry: Recorder, _: Any, args: tuple[Any, ...]) -> None:
    event_type = args[0]
    counts = telemetry.payload_counts
    if event_type in counts:  # inline: this runs for every gateway payload
        counts[event_type] += 1
    else:
        telemetry.count_payload(str(event_type))


def _on_command_error(_: Recorder, __: Any, args: tuple[Any, ...]) -> None:
    if len(args) >= 2 and isinstance(args[1], BaseException):
        note_error(args[0], args[1])


HANDLERS: Final[dict[str, Handler]] = {
    "message": _on_message,
    "guild_join": _guild_change(n.CHANGE_JOIN, n.EVENT_GUILD_JOIN, "Joined"),
    "guild_remove": _guild_change(n.CHANGE_LEAVE, n.EVENT_GUILD_LEAVE, "Left"),
    "member_join": _member_change(n.CHANGE_JOIN, n.EVENT_MEMBER_JOIN, "joined"),
    "member_remove": on_member_remove,
    "raw_member_remove": on_raw_member_remove,
    "voice_state_update": _on_voice_state_update,
    "raw_reaction_add": _reaction(n.CHANGE_ADD),
    "raw_reaction_remove": _reaction(n.CHANGE_REMOVE),
    "connect": _on_connect,
    "shard_connect": _on_shard_connect,
    "resumed": _on_resumed,
    "socket_event_type": _on_socket_event_type,
    "command_error": _on_command_error,
    **FORK_HANDLERS,
}


def reset_sessions() -> None:
    """Forget which clients connected (on uninstrument)."""
    _sessions.clear()
    reset_members()
