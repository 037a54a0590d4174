"""Which classes get patched, in discord.py and in the forks that share its shape.

discord.py gets every hook. py-cord (which also installs as ``discord``), nextcord
and disnake get the hooks whose shapes they share with discord.py:
``Client.dispatch``, ``Client.on_error`` and ``http.json_or_text``.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType
from typing import Final

from otel_discord.instrumentation._app_commands import make_call, make_error_origin
from otel_discord.instrumentation._commands import make_invoke
from otel_discord.instrumentation._components import patch_components
from otel_discord.instrumentation._dispatch import make_dispatch
from otel_discord.instrumentation._error_handlers import make_invoke_error_handlers
from otel_discord.instrumentation._event_errors import make_event
from otel_discord.instrumentation._patching import Patcher
from otel_discord.instrumentation._ratelimit import make_json_or_text

LIBRARIES: Final = ("discord", "nextcord", "disnake")


def installed_libraries() -> list[ModuleType]:
    """Import every installed Discord library the hooks apply to."""
    modules = []
    for name in LIBRARIES:
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        if isinstance(getattr(module, "Client", None), type):
            modules.append(module)
    return modules


def _is_discord_py(module: ModuleType) -> bool:
    return (
        module.__name__ == "discord"
        and importlib.util.find_spec("discord.app_commands") is not None
    )


def patch_library(patcher: Patcher, module: ModuleType) -> None:
    """Install every hook ``module`` supports."""
    client = module.Client
    patcher.wrap(client, "dispatch", make_dispatch)
    # event-handler errors: an on_error shim per client (no frame of ours in tracebacks)
    patcher.wrap(client, "event", make_event)
    http = getattr(module, "http", None)
    if http is not None:
        patcher.wrap(http, "json_or_text", make_json_or_text)
    if not _is_discord_py(module):
        return
    from discord import app_commands
    from discord.ext.commands.bot import BotBase

    patcher.wrap(BotBase, "invoke", make_invoke)
    patcher.wrap(app_commands.CommandTree, "_call", make_call)
    patcher.wrap(app_commands.Command, "_invoke_error_handlers", make_invoke_error_handlers)
    patcher.wrap(app_commands.ContextMenu, "_invoke", make_error_origin)
    patch_components(patcher)
