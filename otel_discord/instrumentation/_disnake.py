"""disnake's own hook points.

Prefix commands: ``disnake.ext.commands.bot_base.BotBase.invoke`` (discord.py's shape).
Application commands: ``InteractionBotBase.process_application_commands`` looks the
command up by type and name, runs it, and reports a failure through the command's
handlers and then the ``slash_command_error`` / ``user_command_error`` /
``message_command_error`` event (read in ``_fork_events``). A command it does not
know it ignores; the same lookup here counts it as unknown. Views and modals:
``_fork_components``; components answered by ``on_button_click``-style listeners:
``_disnake_listeners``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

from otel_discord.instrumentation import _disnake_listeners, _state
from otel_discord.instrumentation import _names as n
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
from otel_discord.instrumentation._probe import CommandProbe, observe_command
from otel_discord.instrumentation._telemetry import Recorder

_REGISTRIES = {
    n.KIND_SLASH: "all_slash_commands",
    n.KIND_USER: "all_user_commands",
    n.KIND_MESSAGE: "all_message_commands",
}


def _start(telemetry: Recorder, bot: Any, interaction: Any) -> CommandProbe | None:
    if getattr(interaction.type, "value", None) != APPLICATION_COMMAND:
        return None
    kind = command_kind(interaction.data)
    if getattr(bot, _REGISTRIES[kind]).get((interaction.data or {}).get("name")) is None:
        telemetry.count_unknown_command(kind)
        return None
    return start_app_command(telemetry, interaction)


def make_process_application_commands(original: AsyncMethod) -> Callable[..., Awaitable[None]]:
    """Wrap ``InteractionBotBase.process_application_commands``."""

    def process_application_commands(self: Any, interaction: Any, /) -> Awaitable[None]:
        telemetry = _state.current
        if telemetry is None:
            return original(self, interaction)
        return observe_command(
            telemetry,
            lambda: _start(telemetry, self, interaction),
            lambda: original(self, interaction),
            lambda _: False,  # failures arrive as the *_command_error events
            "app command",
        )

    return process_application_commands


def patch(patcher: Patcher, module: ModuleType) -> None:
    """Install disnake's command hooks."""
    from disnake.ext.commands.bot_base import BotBase
    from disnake.ext.commands.interaction_bot_base import InteractionBotBase

    patcher.wrap(BotBase, "invoke", make_invoke)
    patcher.wrap(
        InteractionBotBase, "process_application_commands", make_process_application_commands
    )
    patch_view_and_modal(patcher, module.ui)
    _disnake_listeners.patch(patcher, module.Client)


def error_kinds() -> ErrorKinds:
    """disnake's user-input errors: app commands raise ``ext.commands``'s errors too."""
    from disnake.ext import commands

    return ErrorKinds(
        user_errors=prefix_user_errors(commands),
        not_found=(commands.CommandNotFound,),
    )


DISNAKE = Library("disnake", patch, error_kinds)
