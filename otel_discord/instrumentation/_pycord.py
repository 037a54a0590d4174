"""py-cord's own hook points (it installs as ``discord``).

Prefix commands: ``discord.ext.commands.bot.BotBase.invoke`` (discord.py's shape).
Application commands: ``discord.bot.ApplicationCommandMixin.invoke_application_command``
(``discord.ext.bridge``'s ``BotBase`` overrides both without calling them: its own
two are wrapped as well)
runs every slash, user and message command with an ``ApplicationContext``; failures
go to the command's and cog's handlers and then the ``application_command_error``
event, and a command the bot does not know to ``unknown_application_command``
(both read in ``_fork_events``). Views and modals: ``_fork_components``. Every REST
response passes through ``discord.http.parse_response`` (discord.py's ``json_or_text``
renamed), 429s included.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

from otel_discord.instrumentation import _state
from otel_discord.instrumentation._app_commands import AsyncMethod, start_app_command
from otel_discord.instrumentation._commands import make_invoke
from otel_discord.instrumentation._errors import ErrorKinds
from otel_discord.instrumentation._fork_components import patch_pycord
from otel_discord.instrumentation._library import Library, prefix_user_errors
from otel_discord.instrumentation._patching import Patcher
from otel_discord.instrumentation._probe import observe_command
from otel_discord.instrumentation._ratelimit import make_json_or_text


def make_invoke_application_command(original: AsyncMethod) -> Callable[..., Awaitable[None]]:
    """Wrap ``ApplicationCommandMixin.invoke_application_command``."""

    def invoke_application_command(self: Any, ctx: Any, /) -> Awaitable[None]:
        telemetry = _state.current
        if telemetry is None:
            return original(self, ctx)
        return observe_command(
            telemetry,
            lambda: start_app_command(telemetry, ctx.interaction),
            lambda: original(self, ctx),
            lambda _: bool(getattr(ctx, "command_failed", False)),
            "app command",
        )

    return invoke_application_command


def patch(patcher: Patcher, module: ModuleType) -> None:
    """Install py-cord's command hooks."""
    from discord.bot import ApplicationCommandMixin
    from discord.ext.commands.bot import BotBase

    patcher.wrap(module.http, "parse_response", make_json_or_text)
    owners: list[Any] = [(BotBase, ApplicationCommandMixin)]
    try:  # bridge.Bot runs both kinds of commands through overrides of its own
        from discord.ext.bridge.bot import BotBase as BridgeBotBase
    except ImportError:  # pragma: no cover - a py-cord without ext.bridge
        pass
    else:
        owners.append((BridgeBotBase, BridgeBotBase))
    for prefix_owner, app_owner in owners:
        patcher.wrap(prefix_owner, "invoke", make_invoke)
        patcher.wrap(app_owner, "invoke_application_command", make_invoke_application_command)
    patch_pycord(patcher)


def error_kinds() -> ErrorKinds:
    """py-cord's user-input errors: ``ext.commands``'s and the app-command check failure."""
    import discord
    from discord.ext import commands

    return ErrorKinds(
        user_errors=(*prefix_user_errors(commands), discord.CheckFailure),
        not_found=(commands.CommandNotFound,),
    )


PYCORD = Library("py-cord", patch, error_kinds)
