"""Every name the instrumentation emits, written once.

Exporters, routing rules, dashboards and tests match on these strings, so they
live here as constants and nowhere else. ``NAMES`` is the table the docs print
(see :func:`names_table_markdown`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

SCOPE: Final = "otel_discord.instrumentation.discord"
"""Tracer, meter and logger scope name."""

INTERNAL_LOGGER: Final = "otel_discord.internal"
"""Python logger for the instrumentation's own failures; never bridged to OTel."""

# --- metrics -----------------------------------------------------------------
GATEWAY_EVENTS: Final = "discord.gateway.events"
GATEWAY_PAYLOADS: Final = "discord.gateway.payloads"
MESSAGES: Final = "discord.messages"
COMMANDS: Final = "discord.commands"
COMMANDS_UNKNOWN: Final = "discord.commands.unknown"
COMMAND_DURATION: Final = "discord.command.duration"
GUILD_CHANGES: Final = "discord.guild.changes"
MEMBER_CHANGES: Final = "discord.member.changes"
VOICE_CHANGES: Final = "discord.voice.changes"
REACTIONS: Final = "discord.reactions"
ERRORS: Final = "discord.errors"
GATEWAY_LATENCY: Final = "discord.gateway.latency"
CONNECTED: Final = "discord.connected"
SHARDS: Final = "discord.shards"
GUILDS: Final = "discord.guilds"
USERS_CACHED: Final = "discord.users.cached"
USERS_ACTIVE: Final = "discord.users.active"
EVENT_LOOP_LAG: Final = "discord.event_loop.lag"
GATEWAY_RECONNECTS: Final = "discord.gateway.reconnects"
RATELIMIT_HITS: Final = "discord.ratelimit.hits"

# --- attribute keys ----------------------------------------------------------
ATTR_EVENT: Final = "discord.event"
ATTR_GATEWAY_EVENT_TYPE: Final = "discord.gateway.event_type"
ATTR_CHANNEL_TYPE: Final = "discord.channel.type"
ATTR_CHANNEL_ID: Final = "discord.channel.id"
ATTR_GUILD_PRESENT: Final = "discord.guild.present"
ATTR_GUILD_ID: Final = "discord.guild.id"
ATTR_GUILD_NAME: Final = "discord.guild.name"
ATTR_GUILD_MEMBER_COUNT: Final = "discord.guild.member_count"
ATTR_USER_ID: Final = "discord.user.id"
ATTR_COMMAND_NAME: Final = "discord.command.name"
ATTR_COMMAND_KIND: Final = "discord.command.kind"
ATTR_COMMAND_OUTCOME: Final = "discord.command.outcome"
ATTR_COMMAND_FAILURE_REASON: Final = "discord.command.failure_reason"
ATTR_CHANGE: Final = "discord.change"
ATTR_ERROR_SOURCE: Final = "discord.error.source"
ATTR_SHARD_ID: Final = "discord.shard.id"
ATTR_GATEWAY_KIND: Final = "discord.gateway.kind"
ATTR_RATELIMIT_SCOPE: Final = "discord.ratelimit.scope"
ATTR_MESSAGE_CONTENT: Final = "discord.message.content"
ATTR_ERROR_TYPE: Final = "error.type"
ATTR_EVENT_NAME: Final = "event.name"
ATTR_EXCEPTION_TYPE: Final = "exception.type"
ATTR_EXCEPTION_MESSAGE: Final = "exception.message"
ATTR_EXCEPTION_STACKTRACE: Final = "exception.stacktrace"
ATTR_MESSAGING_SYSTEM: Final = "messaging.system"
ATTR_MESSAGING_OPERATION_TYPE: Final = "messaging.operation.type"
ATTR_MESSAGING_OPERATION_NAME: Final = "messaging.operation.name"
ATTR_RPC_SYSTEM: Final = "rpc.system"
ATTR_RPC_SERVICE: Final = "rpc.service"
ATTR_RPC_METHOD: Final = "rpc.method"

# --- attribute values --------------------------------------------------------
SYSTEM_DISCORD: Final = "discord"
RPC_SERVICE_APP_COMMANDS: Final = "discord.app_commands"
OPERATION_PROCESS: Final = "process"
KIND_PREFIX: Final = "prefix"
KIND_SLASH: Final = "slash"
KIND_USER: Final = "user"
KIND_MESSAGE: Final = "message"
OUTCOME_SUCCESS: Final = "success"
OUTCOME_FAILURE: Final = "failure"
SOURCE_EVENT: Final = "event"
SOURCE_COMMAND: Final = "command"
SOURCE_APP_COMMAND: Final = "app_command"
SOURCE_PROCESS: Final = "process"
"""An exception nothing caught, that ended the process (``sys.excepthook``)."""
CHANGE_JOIN: Final = "join"
CHANGE_LEAVE: Final = "leave"
CHANGE_ADD: Final = "add"
CHANGE_REMOVE: Final = "remove"
GATEWAY_RESUME: Final = "resume"
GATEWAY_RECONNECT: Final = "reconnect"
ERROR_TYPE_INTERACTION_CHECK: Final = "interaction_check"
"""``error.type`` when ``CommandTree.interaction_check`` rejected an interaction."""

# --- log event names ---------------------------------------------------------
EVENT_GUILD_JOIN: Final = "discord.guild.join"
EVENT_GUILD_LEAVE: Final = "discord.guild.leave"
EVENT_MEMBER_JOIN: Final = "discord.member.join"
EVENT_MEMBER_LEAVE: Final = "discord.member.leave"

VOICE_CHANGE_VALUES: Final = (
    "join",
    "leave",
    "move",
    "mute",
    "unmute",
    "deafen",
    "undeafen",
    "stream_start",
    "stream_stop",
    "video_start",
    "video_stop",
)


@dataclass(frozen=True, slots=True)
class Name:
    """One row of the documentation table."""

    name: str
    signal: str
    unit: str
    attributes: str
    meaning: str


NAMES: Final[tuple[Name, ...]] = (
    Name(GATEWAY_EVENTS, "counter", "{event}", ATTR_EVENT, "Events dispatched by the client."),
    Name(
        GATEWAY_PAYLOADS,
        "counter",
        "{payload}",
        ATTR_GATEWAY_EVENT_TYPE,
        "Raw gateway payloads received (from `socket_event_type`; needs a live gateway).",
    ),
    Name(
        MESSAGES,
        "counter",
        "{message}",
        f"{ATTR_CHANNEL_TYPE}, {ATTR_GUILD_PRESENT}, [{ATTR_GUILD_ID}]",
        "Messages seen; bot authors excluded unless `include_bot_messages`.",
    ),
    Name(
        COMMANDS,
        "counter",
        "{command}",
        f"{ATTR_COMMAND_NAME}, {ATTR_COMMAND_KIND}, {ATTR_COMMAND_OUTCOME}, "
        f"{ATTR_COMMAND_FAILURE_REASON} (failures), [{ATTR_GUILD_ID}]",
        "Commands run: kind prefix|slash|user|message|component|modal, outcome "
        "success|failure; failure reason `error` for a bug, `refused` for a command error "
        "the bot raised on purpose, else the user's mistake (bad argument, missing argument, "
        "on cooldown, missing permission, not owner, ...).",
    ),
    Name(
        COMMANDS_UNKNOWN,
        "counter",
        "{command}",
        ATTR_COMMAND_KIND,
        "Invocations naming a command the bot does not have.",
    ),
    Name(
        COMMAND_DURATION,
        "histogram",
        "s",
        f"{ATTR_COMMAND_NAME}, {ATTR_COMMAND_KIND}, {ATTR_COMMAND_OUTCOME}",
        "Time from invocation to the end of the command, error handlers included.",
    ),
    Name(GUILD_CHANGES, "counter", "{change}", f"{ATTR_CHANGE}=join|leave", "Bot added/removed."),
    Name(
        MEMBER_CHANGES,
        "counter",
        "{change}",
        f"{ATTR_CHANGE}=join|leave",
        "Members joining or leaving a guild.",
    ),
    Name(
        VOICE_CHANGES,
        "counter",
        "{change}",
        f"{ATTR_CHANGE}={'|'.join(VOICE_CHANGE_VALUES)}",
        "Voice state changes; one update can count several changes.",
    ),
    Name(REACTIONS, "counter", "{reaction}", f"{ATTR_CHANGE}=add|remove", "Raw reaction events."),
    Name(
        ERRORS,
        "counter",
        "{error}",
        f"{ATTR_ERROR_TYPE}, {ATTR_ERROR_SOURCE}=event|command|app_command",
        "Exceptions raised by bot code (user-input errors such as bad arguments excluded).",
    ),
    Name(
        GATEWAY_RECONNECTS,
        "counter",
        "{reconnect}",
        f"{ATTR_GATEWAY_KIND}=resume|reconnect",
        "Gateway sessions resumed or re-identified after the first connect.",
    ),
    Name(
        RATELIMIT_HITS,
        "counter",
        "{response}",
        f"{ATTR_RATELIMIT_SCOPE}=user|global|shared|cloudflare|unknown",
        "HTTP 429 responses the bot's own REST client received.",
    ),
    Name(
        GATEWAY_LATENCY,
        "gauge",
        "s",
        ATTR_SHARD_ID,
        "Heartbeat latency per shard (0 for unsharded); NaN/inf skipped.",
    ),
    Name(CONNECTED, "gauge", "1", ATTR_SHARD_ID, "1 when the shard is ready and open, else 0."),
    Name(SHARDS, "gauge", "{shard}", "", "Shard count."),
    Name(GUILDS, "gauge", "{guild}", "", "Guilds in the cache."),
    Name(USERS_CACHED, "gauge", "{user}", "", "Users in the cache."),
    Name(
        USERS_ACTIVE,
        "gauge",
        "{user}",
        "",
        "Distinct users who sent a message or used a command, button or menu in the last five "
        "minutes (to the minute; bots only with `count_bot_messages`); exact up to 4,096, "
        "an estimate within a few percent past it.",
    ),
    Name(
        EVENT_LOOP_LAG,
        "gauge",
        "s",
        "",
        "Worst delay of a periodic timer on the bot's event loop since the last collection.",
    ),
    Name(
        "<command name> / /<slash name>",
        "span",
        "",
        f"{ATTR_COMMAND_NAME}, {ATTR_COMMAND_KIND}, {ATTR_MESSAGING_SYSTEM}|{ATTR_RPC_SYSTEM}, "
        f"[{ATTR_GUILD_ID}, {ATTR_CHANNEL_ID}, {ATTR_USER_ID}, {ATTR_MESSAGE_CONTENT}], "
        f"{ATTR_ERROR_TYPE} on failure",
        "Prefix commands: CONSUMER span; app commands: SERVER span.",
    ),
    Name(
        EVENT_GUILD_JOIN,
        "log event",
        "",
        f"{ATTR_GUILD_NAME}, {ATTR_GUILD_ID}, {ATTR_GUILD_MEMBER_COUNT}",
        "INFO: the bot joined a guild.",
    ),
    Name(EVENT_GUILD_LEAVE, "log event", "", "as guild.join", "INFO: the bot left a guild."),
    Name(
        EVENT_MEMBER_JOIN,
        "log event",
        "",
        f"{ATTR_GUILD_NAME}, {ATTR_GUILD_ID}, {ATTR_GUILD_MEMBER_COUNT}, [{ATTR_USER_ID}]",
        "INFO: a member joined.",
    ),
    Name(EVENT_MEMBER_LEAVE, "log event", "", "as member.join", "INFO: a member left."),
    Name(
        "Unhandled exception in ...",
        "log",
        "",
        f"{ATTR_ERROR_TYPE}, {ATTR_ERROR_SOURCE}, exception.*, "
        f"{ATTR_EVENT}|{ATTR_COMMAND_NAME}, {ATTR_COMMAND_KIND}",
        "ERROR, in the active span's context.",
    ),
)


def names_table_markdown() -> str:
    """Return ``NAMES`` as a Markdown table for the docs."""
    lines = [
        "| Name | Signal | Unit | Attributes | Meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines.extend(
        "| "
        + " | ".join(
            cell.replace("|", "\\|")
            for cell in (f"`{row.name}`", row.signal, row.unit, row.attributes, row.meaning)
        )
        + " |"
        for row in NAMES
    )
    return "\n".join(lines)
