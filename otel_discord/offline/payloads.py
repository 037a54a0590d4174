"""Raw Discord gateway payloads (API v10) and a way to feed them to a real bot.

``feed(bot, "MESSAGE_CREATE", payload)`` runs discord.py's own parser for the
event, exactly as the gateway connection would after decoding a frame: the bot,
its cache, its commands and its error handling are all the real library.
Builders return plain dicts with the fields Discord sends (and discord.py reads);
ids are snowflake strings as on the wire.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable
from typing import Any

JsonDict = dict[str, Any]

TIMESTAMP = "2024-01-01T00:00:00.000000+00:00"
TEXT_CHANNEL = 0
VOICE_CHANNEL = 2
APPLICATION_COMMAND = 2
SLASH = 1
USER_COMMAND = 2
MESSAGE_COMMAND = 3
SUBCOMMAND = 1
STRING_OPTION = 3

_ids = itertools.count(1_100_000_000_000_000_000)


def snowflake() -> str:
    """A fresh snowflake id, as Discord sends it (a string)."""
    return str(next(_ids))


def user(user_id: str | None = None, name: str = "someone", *, bot: bool = False) -> JsonDict:
    """A user object."""
    return {
        "id": user_id or snowflake(),
        "username": name,
        "discriminator": "0",
        "global_name": None,
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def member(user_data: JsonDict, *, roles: Iterable[str] = ()) -> JsonDict:
    """A guild member object wrapping ``user_data``."""
    return {
        "user": user_data,
        "roles": list(roles),
        "joined_at": TIMESTAMP,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "nick": None,
        "avatar": None,
        "pending": False,
    }


def channel(
    channel_id: str, guild_id: str, name: str = "general", kind: int = TEXT_CHANNEL
) -> JsonDict:
    """A guild channel object (text by default)."""
    return {
        "id": channel_id,
        "guild_id": guild_id,
        "name": name,
        "type": kind,
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "bitrate": 64000,
        "user_limit": 0,
        "rate_limit_per_user": 0,
        "topic": None,
        "last_message_id": None,
    }


def role(role_id: str, name: str = "@everyone", permissions: str = "0") -> JsonDict:
    """A role object (the @everyone role shares the guild's id)."""
    return {
        "id": role_id,
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": 0,
        "permissions": permissions,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def ready(bot_user: JsonDict, application_id: str, guild_ids: Iterable[str] = ()) -> JsonDict:
    """READY: the session starts; listed guilds arrive later by GUILD_CREATE."""
    return {
        "v": 10,
        "user": bot_user,
        "guilds": [{"id": guild_id, "unavailable": True} for guild_id in guild_ids],
        "session_id": "session-" + snowflake(),
        "resume_gateway_url": "wss://gateway.invalid",
        "application": {"id": application_id, "flags": 0},
        "private_channels": [],
        "relationships": [],
    }


def guild_create(
    guild_id: str,
    name: str,
    owner_id: str,
    *,
    channels: Iterable[JsonDict] = (),
    members: Iterable[JsonDict] = (),
    member_count: int | None = None,
    voice_states: Iterable[JsonDict] = (),
    unavailable: bool | None = None,
) -> JsonDict:
    """GUILD_CREATE: a full guild.

    Without ``unavailable`` the bot has just joined the guild (``guild_join``); with
    ``unavailable=False`` a guild listed in READY became available.
    """
    member_list = list(members)
    data: JsonDict = {
        "id": guild_id,
        "name": name,
        "owner_id": owner_id,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "features": [],
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "afk_timeout": 300,
        "system_channel_flags": 0,
        "roles": [role(guild_id, permissions="1071698660929")],
        "emojis": [],
        "stickers": [],
        "channels": list(channels),
        "threads": [],
        "members": member_list,
        "member_count": member_count if member_count is not None else len(member_list),
        "voice_states": list(voice_states),
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "large": False,
        "joined_at": TIMESTAMP,
    }
    if unavailable is not None:
        data["unavailable"] = unavailable
    return data


def guild_delete(guild_id: str) -> JsonDict:
    """GUILD_DELETE for a guild the bot was removed from (not an outage)."""
    return {"id": guild_id}


def message_create(
    channel_id: str,
    author: JsonDict,
    content: str,
    *,
    guild_id: str | None = None,
    author_member: JsonDict | None = None,
) -> JsonDict:
    """MESSAGE_CREATE: a new message (guild messages carry ``guild_id`` and ``member``)."""
    data: JsonDict = {
        "id": snowflake(),
        "channel_id": channel_id,
        "author": author,
        "content": content,
        "timestamp": TIMESTAMP,
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
        "flags": 0,
        "components": [],
    }
    if guild_id is not None:
        data["guild_id"] = guild_id
        partial = dict(author_member or member(author))
        partial.pop("user", None)
        data["member"] = partial
    return data


def interaction_create(
    application_id: str,
    name: str,
    *,
    guild_id: str,
    channel_id: str,
    invoker: JsonDict,
    options: list[JsonDict] | None = None,
    command_type: int = SLASH,
    target_id: str | None = None,
    resolved: JsonDict | None = None,
) -> JsonDict:
    """INTERACTION_CREATE for an application command (slash or context menu)."""
    data: JsonDict = {"id": snowflake(), "name": name, "type": command_type}
    if options is not None:
        data["options"] = options
    if target_id is not None:
        data["target_id"] = target_id
    if resolved is not None:
        data["resolved"] = resolved
    invoker_member = dict(member(invoker))
    invoker_member["permissions"] = "1071698660929"
    return {
        "id": snowflake(),
        "application_id": application_id,
        "type": APPLICATION_COMMAND,
        "data": data,
        "guild_id": guild_id,
        "channel_id": channel_id,
        "channel": {"id": channel_id, "type": TEXT_CHANNEL, "guild_id": guild_id},
        "member": invoker_member,
        "token": "interaction-token",
        "version": 1,
        "locale": "en-US",
        "guild_locale": "en-US",
        "app_permissions": "1071698660929",
        "entitlements": [],
        "authorizing_integration_owners": {"0": guild_id},
        "context": 0,
        "attachment_size_limit": 10485760,
    }


def option(name: str, value: Any, kind: int = STRING_OPTION) -> JsonDict:
    """A command option value."""
    return {"name": name, "type": kind, "value": value}


def guild_member_add(guild_id: str, member_data: JsonDict) -> JsonDict:
    """GUILD_MEMBER_ADD."""
    return {**member_data, "guild_id": guild_id}


def guild_member_remove(guild_id: str, user_data: JsonDict) -> JsonDict:
    """GUILD_MEMBER_REMOVE."""
    return {"guild_id": guild_id, "user": user_data}


def reaction(
    user_id: str,
    channel_id: str,
    message_id: str,
    *,
    guild_id: str | None = None,
    emoji: str = "\N{THUMBS UP SIGN}",
    reacting_member: JsonDict | None = None,
) -> JsonDict:
    """MESSAGE_REACTION_ADD / _REMOVE (``type`` and ``burst`` are required by discord.py)."""
    data: JsonDict = {
        "user_id": user_id,
        "channel_id": channel_id,
        "message_id": message_id,
        "emoji": {"id": None, "name": emoji},
        "burst": False,
        "type": 0,
        "burst_colors": [],
    }
    if guild_id is not None:
        data["guild_id"] = guild_id
    if reacting_member is not None:
        data["member"] = reacting_member
    return data


def voice_state(
    guild_id: str,
    channel_id: str | None,
    member_data: JsonDict,
    *,
    self_mute: bool = False,
    self_deaf: bool = False,
    self_stream: bool = False,
    self_video: bool = False,
) -> JsonDict:
    """VOICE_STATE_UPDATE: ``channel_id`` None means the member left voice."""
    return {
        "guild_id": guild_id,
        "channel_id": channel_id,
        "user_id": member_data["user"]["id"],
        "member": member_data,
        "session_id": "voice-session",
        "deaf": False,
        "mute": False,
        "self_deaf": self_deaf,
        "self_mute": self_mute,
        "self_stream": self_stream,
        "self_video": self_video,
        "suppress": False,
        "request_to_speak_timestamp": None,
    }


def feed(bot: Any, event: str, payload: JsonDict) -> None:
    """Run discord.py's parser for gateway ``event`` on ``payload``."""
    bot._connection.parsers[event](payload)


async def settle(timeout: float = 5.0) -> None:
    """Wait until every task the bot scheduled (handlers, commands) has finished.

    Bounded by ``timeout``: a task still running then is a hang, and fails loudly.
    """
    outer = asyncio.current_task()

    async def drain() -> None:
        inner = asyncio.current_task()
        while True:
            pending = [task for task in asyncio.all_tasks() if task not in (outer, inner)]
            if not pending:
                return
            await asyncio.wait(pending)

    await asyncio.wait_for(drain(), timeout)
