"""What specific dispatched events mean: an action per event name.

The dispatch hook looks an event name up once in ``Recorder.event_plan`` and gets
a cell ``[count, action, handler]`` (made by ``plan_event`` the first time): the
count to bump and what else to do. The two events of every message (its raw
``socket_event_type`` and ``message``) are counted inline in the hook; rarer
events call a small handler from ``HANDLERS`` with the telemetry, the client and
the event's positional arguments.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, Final

from otel_discord.instrumentation import _names as n
from otel_discord.instrumentation._active_users import CAP as ACTIVE_USERS_CAP
from otel_discord.instrumentation._fork_events import FORK_HANDLERS
from otel_discord.instrumentation._members import (
    on_member_remove,
    on_raw_member_remove,
    reset_members,
)
from otel_discord.instrumentation._probe import note_error
from otel_discord.instrumentation._tally import Cell
from otel_discord.instrumentation._telemetry import (
    MAX_EVENT_NAMES,
    MAX_PLANNED_NAMES,
    NOT_COUNTED,
    OTHER,
    Recorder,
)

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


def _on_interaction(telemetry: Recorder, _: Any, args: tuple[Any, ...]) -> None:
    """A slash command, context menu, button, menu or modal: its user is active."""
    user = getattr(args[0], "user", None)
    if user is not None and (telemetry.count_bot_messages or not user.bot):
        ids = telemetry.active_users.ids
        ids.add(user.id)
        if len(ids) > ACTIVE_USERS_CAP:
            telemetry.active_users.thin()


def _on_command_error(_: Recorder, __: Any, args: tuple[Any, ...]) -> None:
    if len(args) >= 2 and isinstance(args[1], BaseException):
        note_error(args[0], args[1])


HANDLERS: Final[dict[str, Handler]] = {
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
    "command_error": _on_command_error,
    "interaction": _on_interaction,
    **FORK_HANDLERS,
}


COUNT_ONLY: Final = 0
"""Actions of the dispatch hook per event name: count only (most events),"""
PAYLOAD: Final = 1
"""count the raw payload's type (``socket_event_type``, inline in the hook),"""
MESSAGE: Final = 2
"""count the message (inline in the hook),"""
HANDLE: Final = 3
"""or call the event's handler from ``HANDLERS`` (rarer events)."""

INLINE_ACTIONS: Final[dict[str, int]] = {"socket_event_type": PAYLOAD, "message": MESSAGE}


def plan_event(telemetry: Recorder, event: str) -> Cell:
    """The dispatch hook's cell for an event name not seen before: ``[count, action, handler]``.

    Meta events (``socket_*``) get a cell that is never reported; names past
    ``MAX_EVENT_NAMES`` share the ``_OTHER`` cell, except names with an action.
    """
    action = INLINE_ACTIONS.get(event, COUNT_ONLY)
    handler = HANDLERS.get(event)
    if handler is not None:
        action = HANDLE
    tally = telemetry.events
    if event in NOT_COUNTED:
        cell = tally.cell(event, None, action, handler)
    elif action != COUNT_ONLY or event in tally or tally.reported < MAX_EVENT_NAMES:
        cell = tally.cell(event, {n.ATTR_EVENT: event}, action, handler)
    else:
        cell = tally.cell(OTHER, {n.ATTR_EVENT: OTHER}, COUNT_ONLY, None)
    plan = telemetry.event_plan
    if len(plan) < MAX_PLANNED_NAMES:
        plan[event] = cell
    return cell


def reset_sessions() -> None:
    """Forget which clients connected (on uninstrument)."""
    _sessions.clear()
    reset_members()
