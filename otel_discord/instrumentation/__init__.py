"""Zero-code OpenTelemetry instrumentation for discord.py bots (and py-cord, nextcord, disnake).

Usage
-----
Zero-code: ``opentelemetry-instrument python bot.py`` loads this instrumentor
through the ``opentelemetry_instrumentor`` entry point ``discord`` (when
discord.py or one of its forks is installed: the ``instruments-any`` extra). By
hand, before or after the bot is created::

    from otel_discord.instrumentation import DiscordInstrumentor

    DiscordInstrumentor().instrument()          # global providers
    DiscordInstrumentor().instrument(tracer_provider=tp, meter_provider=mp,
                                     logger_provider=lp)
    DiscordInstrumentor().uninstrument()        # every original restored

The bot is not changed: no listener is added (an ``on_command_error`` listener
would silence discord.py's default error print), ``on_error``,
``on_command_error``, cog ``cog_command_error`` and ``@tree.error`` handlers run
as before, and a failure inside the instrumentation is swallowed and reported
once on the ``otel_discord.internal`` Python logger (which does not propagate, so
it never loops back into an OTel logging bridge).

Configuration
-------------
``instrument()`` keyword > environment variable > default.

========================== ============================================== =======
keyword                    environment variable                           default
========================== ============================================== =======
tracer_provider            (global provider)                              global
meter_provider             (global provider)                              global
logger_provider            (global provider)                              global
capture_message_content    OTEL_PYTHON_DISCORD_CAPTURE_MESSAGE_CONTENT    False
include_bot_messages       OTEL_PYTHON_DISCORD_INCLUDE_BOT_MESSAGES       False
guild_ids_as_attributes    OTEL_PYTHON_DISCORD_GUILD_IDS_AS_ATTRIBUTES    False
user_ids_as_attributes     OTEL_PYTHON_DISCORD_USER_IDS_AS_ATTRIBUTES     False
event_loop_lag_interval    OTEL_PYTHON_DISCORD_EVENT_LOOP_LAG_INTERVAL    1.0 s
========================== ============================================== =======

Message content is never captured unless enabled (then it is put on prefix-command
spans as ``discord.message.content``). User and message ids never become metric
attributes; guild ids do only with ``guild_ids_as_attributes``.

What is emitted
---------------
Scope ``otel_discord.instrumentation.discord`` for the tracer, meter and logger.
Names live in ``otel_discord.instrumentation._names``; ``names_table_markdown()``
prints this table for the docs. ``[x]`` = only when configured.

============================= ========= =========== ==========================================
name                          signal    unit        attributes
============================= ========= =========== ==========================================
discord.gateway.events        counter   {event}     discord.event (``socket_*`` meta events
                                                    skipped)
discord.gateway.payloads      counter   {payload}   discord.gateway.event_type (live gateway)
discord.messages              counter   {message}   discord.channel.type, discord.guild.present,
                                                    [discord.guild.id]; bot authors excluded
discord.commands              counter   {command}   discord.command.name, discord.command.kind
                                                    (prefix/slash/user/message/component/
                                                    modal), discord.command.outcome
                                                    (success/failure),
                                                    discord.command.failure_reason,
                                                    [discord.guild.id]
discord.commands.unknown      counter   {command}   discord.command.kind
discord.command.duration      histogram s           name, kind, outcome
discord.guild.changes         counter   {change}    discord.change = join/leave
discord.member.changes        counter   {change}    discord.change = join/leave
discord.voice.changes         counter   {change}    discord.change = join/leave/move/mute/unmute/
                                                    deafen/undeafen/stream_start/stream_stop/
                                                    video_start/video_stop
discord.reactions             counter   {reaction}  discord.change = add/remove
discord.errors                counter   {error}     error.type, discord.error.source
                                                    (event/command/app_command); bugs only
discord.gateway.reconnects    counter   {reconnect} discord.gateway.kind = resume/reconnect
discord.ratelimit.hits        counter   {response}  discord.ratelimit.scope = user/global/shared/
                                                    cloudflare/unknown
discord.gateway.latency       gauge     s           discord.shard.id (NaN/inf skipped)
discord.connected             gauge     1           discord.shard.id (1 ready and open, else 0)
discord.shards                gauge     {shard}
discord.guilds                gauge     {guild}
discord.users.cached          gauge     {user}
discord.users.active          gauge     {user}      distinct message authors and command users,
                                                    last 5 min (estimated past 4,096)
discord.event_loop.lag        gauge     s           worst timer delay since the last collection
<command> (prefix)            span                  CONSUMER: messaging.system=discord,
                                                    messaging.operation.type=process,
                                                    discord.command.name, discord.command.kind,
                                                    [discord.guild.id, discord.channel.id,
                                                    discord.user.id, discord.message.content]
/<command>, <context menu>    span                  SERVER: rpc.system=discord,
                                                    rpc.service=discord.app_commands,
                                                    rpc.method, discord.command.name,
                                                    discord.command.kind, [discord.guild.id,
                                                    discord.channel.id, discord.user.id]
discord.guild.join / .leave   log event             INFO: event.name, discord.guild.name,
                                                    discord.guild.id,
                                                    discord.guild.member_count
discord.member.join / .leave  log event             INFO: event.name, discord.guild.name,
                                                    discord.guild.id,
                                                    discord.guild.member_count,
                                                    [discord.user.id]
"Unhandled exception in ..."  log                   ERROR, in the failing span's context:
                                                    exception.type/.message/.stacktrace,
                                                    error.type, discord.error.source,
                                                    discord.event or
                                                    discord.command.name/.kind
============================= ========= =========== ==========================================

The seven hot-path counters (gateway events and payloads, messages, voice changes,
reactions, commands, unknown commands) are observable counters over plain integer
tallies: the same monotonic sums for exporters, at a fraction of an SDK
``Counter.add`` per event. A command costs one SDK span and one
``discord.command.duration`` record (buckets in seconds, 5 ms to 10 s); see
``benchmarks/RESULTS.md`` for what each costs.

A failed command's span has status ERROR, the exception recorded and ``error.type``.
User-input failures (bad arguments, failed checks, cooldowns, unknown commands)
fail the command (outcome ``failure``, a ``failure_reason`` such as ``bad
argument``) but are not bugs: ``error.type`` on the span without ERROR status, no
error log and no ``discord.errors`` count. Autocomplete interactions are not
command runs. Button/select clicks and modal submits count as commands of kind
``component``/``modal`` with bounded names (see ``_components``). Every record of
one exception carries ``otel_discord.exception.id``, so it is shown once.

Forks
-----
py-cord (which installs as ``discord``), nextcord and disnake get every hook:
the shared ones (``Client.dispatch``, the ``Client.on_error`` hook and shim, the HTTP
response reader) and their own command entry points and error classes, listed per fork in
``_pycord``, ``_nextcord`` and ``_disnake`` (the table is ``_targets``); their views and
modals in ``_fork_components``, disnake's listener-answered components in
``_disnake_listeners``. Any one
installed library satisfies the dependency check. Tested with a realistic bot per
fork in a venv of its own (``make test-fork``).
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Collection
from typing import Any

from opentelemetry.instrumentation.dependencies import (
    DependencyConflict,
    get_dependency_conflicts,
)
from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)

from otel_discord.exception_ids import RECORD_CONTEXT, tag_bridges
from otel_discord.instrumentation import _state
from otel_discord.instrumentation._active_span import command_context
from otel_discord.instrumentation._component_errors import unshim_all
from otel_discord.instrumentation._components import reset_names
from otel_discord.instrumentation._event_errors import unhook_all
from otel_discord.instrumentation._events import reset_sessions
from otel_discord.instrumentation._names import SCOPE, names_table_markdown
from otel_discord.instrumentation._options import Options
from otel_discord.instrumentation._patching import Patcher
from otel_discord.instrumentation._targets import error_kinds, installed_libraries, patch_library
from otel_discord.instrumentation._telemetry import Recorder
from otel_discord.instrumentation._uncaught import make_excepthook
from otel_discord.instrumentation.package import _instruments, _instruments_any
from otel_discord.instrumentation.version import __version__

__all__ = ["SCOPE", "DiscordInstrumentor", "__version__", "names_table_markdown"]


class DiscordInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Instruments discord.py (and the shared hooks of its forks) with OTel telemetry."""

    _patcher: Patcher | None = None
    _telemetry: Recorder | None = None
    _tagged: tuple[tuple[logging.Handler, logging.Filter], ...] = ()

    def instrumentation_dependencies(self) -> Collection[str]:
        """discord.py or a fork, any one of them (the ``instruments-any`` extra)."""
        return _instruments_any

    def _check_dependency_conflicts(self) -> DependencyConflict | None:
        # The base class requires every listed package; one library of the four is enough.
        return get_dependency_conflicts(_instruments, _instruments_any)

    def _instrument(self, **kwargs: Any) -> None:
        options = Options.resolve(kwargs)
        libraries = installed_libraries()
        telemetry = Recorder(
            options,
            error_kinds(libraries),
            tracer_provider=kwargs.get("tracer_provider"),
            meter_provider=kwargs.get("meter_provider"),
            logger_provider=kwargs.get("logger_provider"),
        )
        patcher = Patcher()
        try:
            for module, library in libraries:
                patch_library(patcher, module, library)
            patcher.wrap(sys, "excepthook", make_excepthook)
        except BaseException:
            patcher.restore()
            telemetry.close()
            raise
        self._patcher = patcher
        self._telemetry = telemetry
        _state.current = telemetry
        if command_context not in RECORD_CONTEXT:
            RECORD_CONTEXT.append(command_context)
        # An app's own SDK setup bridges logging without our filter: without the exception's
        # token, discord.py's "Ignoring exception" record of a bug showed beside its span, and
        # of a user's mistake (an unknown command) reached #logs. configure() and the distro
        # tag their bridges themselves; this is a no-op there.
        self._tagged = tuple(tag_bridges())

    def _uninstrument(self, **kwargs: Any) -> None:
        _state.current = None
        for handler, added in self._tagged:
            handler.removeFilter(added)
        self._tagged = ()
        with contextlib.suppress(ValueError):
            RECORD_CONTEXT.remove(command_context)
        if self._telemetry is not None:
            self._telemetry.close()
            self._telemetry = None
        if self._patcher is not None:
            self._patcher.restore()
            self._patcher = None
        reset_sessions()
        reset_names()
        unhook_all()
        unshim_all()
