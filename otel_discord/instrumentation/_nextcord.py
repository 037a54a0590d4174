"""nextcord's own hook points.

Prefix commands: ``nextcord.ext.commands.bot.BotBase.invoke`` (discord.py's shape).
Application commands: ``Client.process_application_commands`` finds (or lazily
associates) the command and calls ``BaseApplicationCommand.call_from_interaction``,
which runs checks, the callback and the hooks, and reports a failure through the
``application_command_error`` event (read in ``_fork_events``) before the command's
own error handler. An interaction naming no known command never reaches
``call_from_interaction``; it is counted as unknown after
``process_application_commands`` returns without having set the command.
Views and modals: ``_fork_components``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

from otel_discord.instrumentation import _state
from otel_discord.instrumentation._app_commands import AsyncMethod, start_app_command
from otel_discord.instrumentation._commands import make_invoke
from otel_discord.instrumentation._errors import ErrorKinds
from otel_discord.instrumentation._fork_components import patch_view_and_modal
from otel_discord.instrumentation._library import (
    APPLICATION_COMMAND,
    Library,
    command_kind,
    prefix_user_errors,
)
from otel_discord.instrumentation._patching import Patcher
from otel_discord.instrumentation._probe import drop_own_frame, observe_command
from otel_discord.instrumentation._safety import swallow


def make_call_from_interaction(original: AsyncMethod) -> Callable[..., Awaitable[None]]:
    """Wrap ``BaseApplicationCommand.call_from_interaction``."""

    def call_from_interaction(self: Any, interaction: Any, /) -> Awaitable[None]:
        telemetry = _state.current
        if telemetry is None:
            return original(self, interaction)
        return observe_command(
            telemetry,
            lambda: start_app_command(telemetry, interaction),
            lambda: original(self, interaction),
            lambda _: False,  # failures arrive as the application_command_error event
            "app command",
        )

    return call_from_interaction


def make_process_application_commands(original: AsyncMethod) -> AsyncMethod:
    """Wrap ``Client.process_application_commands`` to count commands it could not find."""

    async def process_application_commands(self: Any, interaction: Any, /) -> None:
        try:
            await original(self, interaction)
        except BaseException as exc:  # no frame of ours in what the bot prints (3.11+)
            drop_own_frame(exc, process_application_commands.__code__)
            raise
        telemetry = _state.current
        if telemetry is None:
            return
        try:
            if (
                getattr(interaction.type, "value", None) == APPLICATION_COMMAND
                and getattr(interaction, "application_command", None) is None
            ):
                telemetry.count_unknown_command(command_kind(interaction.data))
        except Exception as exc:
            swallow("unknown app command", exc)

    return process_application_commands


def patch(patcher: Patcher, module: ModuleType) -> None:
    """Install nextcord's command hooks."""
    from nextcord.application_command import BaseApplicationCommand
    from nextcord.ext.commands.bot import BotBase

    patcher.wrap(BotBase, "invoke", make_invoke)
    patcher.wrap(BaseApplicationCommand, "call_from_interaction", make_call_from_interaction)
    patcher.wrap(module.Client, "process_application_commands", make_process_application_commands)
    patch_view_and_modal(patcher, module.ui)


def error_kinds() -> ErrorKinds:
    """nextcord's user-input errors: ``ext.commands``'s and the app-command check failures."""
    import nextcord
    from nextcord.ext import commands

    return ErrorKinds(
        user_errors=(
            *prefix_user_errors(commands),
            nextcord.ApplicationCheckFailure,
            # not ApplicationCommandOptionMissing: "missing on our end", a registration out
            # of date (a bug of the bot's), not the user's input
        ),
        not_found=(commands.CommandNotFound,),
    )


NEXTCORD = Library("nextcord", patch, error_kinds)
