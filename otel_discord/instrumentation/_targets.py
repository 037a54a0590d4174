"""Which classes get patched, in discord.py and in its forks.

Every flavour gets the shared hooks (``Client.dispatch``, ``Client.on_error``,
``Client.event`` with the ``on_error`` shim of a bot that has its own handler,
``Client.close`` and ``http.json_or_text``); its command hooks and error classes come
from its
:class:`~otel_discord.instrumentation._library.Library` (``_pycord``, ``_nextcord``,
``_disnake``; discord.py's are here). py-cord installs as ``discord``, and nextcord
ships a ``discord`` alias of itself: a library is told apart by where its
``Client`` class lives, and a ``Client`` seen once is not patched twice.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType
from typing import Final

from otel_discord.instrumentation._app_commands import make_call, make_error_origin
from otel_discord.instrumentation._commands import make_invoke
from otel_discord.instrumentation._components import patch_components
from otel_discord.instrumentation._disnake import DISNAKE
from otel_discord.instrumentation._dispatch import make_bot_dispatch, make_close, make_dispatch
from otel_discord.instrumentation._error_handlers import make_invoke_error_handlers
from otel_discord.instrumentation._errors import ErrorKinds, discord_py_error_kinds
from otel_discord.instrumentation._event_errors import make_event, make_on_error
from otel_discord.instrumentation._library import Library, merge
from otel_discord.instrumentation._nextcord import NEXTCORD
from otel_discord.instrumentation._patching import Patcher
from otel_discord.instrumentation._pycord import PYCORD
from otel_discord.instrumentation._ratelimit import make_json_or_text
from otel_discord.instrumentation._safety import swallow

LIBRARIES: Final = ("discord", "nextcord", "disnake")
"""Import names to look for (py-cord is one of the two that import as ``discord``)."""


def _patch_discord_py(patcher: Patcher, module: ModuleType) -> None:
    from discord import app_commands
    from discord.ext.commands.bot import BotBase

    patcher.wrap(BotBase, "invoke", make_invoke)
    bot_dispatch = make_bot_dispatch(BotBase, module.Client)
    if bot_dispatch is not None:  # after the Client hook (patch_library), which it calls past
        patcher.wrap(BotBase, "dispatch", bot_dispatch)
    patcher.wrap(app_commands.CommandTree, "_call", make_call)
    patcher.wrap(app_commands.Command, "_invoke_error_handlers", make_invoke_error_handlers)
    patcher.wrap(app_commands.ContextMenu, "_invoke", make_error_origin)
    patch_components(patcher)


DISCORD_PY: Final = Library("discord.py", _patch_discord_py, discord_py_error_kinds)


def library_of(module: ModuleType) -> Library | None:
    """The flavour ``module`` is, from the package its ``Client`` class is defined in."""
    home = module.Client.__module__.partition(".")[0]
    if home == "nextcord":
        return NEXTCORD
    if home == "disnake":
        return DISNAKE
    if home != "discord":
        return None
    if importlib.util.find_spec("discord.app_commands") is not None:
        return DISCORD_PY
    if importlib.util.find_spec("discord.bot") is not None:
        return PYCORD
    return None


def installed_libraries() -> list[tuple[ModuleType, Library | None]]:
    """Import every installed Discord library the hooks apply to, each ``Client`` once."""
    found: list[tuple[ModuleType, Library | None]] = []
    seen: set[type] = set()
    for name in LIBRARIES:
        if importlib.util.find_spec(name) is None:
            continue
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # a broken install: the bot's own import will say so
            swallow(f"import {name}", exc)
            continue
        client = getattr(module, "Client", None)
        if not isinstance(client, type) or client in seen:
            continue
        seen.add(client)
        found.append((module, library_of(module)))
    return found


def error_kinds(libraries: list[tuple[ModuleType, Library | None]]) -> ErrorKinds:
    """The user-input and not-found errors of every installed library."""
    kinds = []
    for _, library in libraries:
        if library is None:
            continue
        try:
            kinds.append(library.error_kinds())
        except (ImportError, AttributeError) as exc:  # a release without these names
            swallow(f"{library.distribution} error classes", exc)
    return merge(kinds)


def patch_library(patcher: Patcher, module: ModuleType, library: Library | None) -> None:
    """Install every hook ``module`` supports."""
    client = module.Client
    patcher.wrap(client, "dispatch", make_dispatch)
    # event-handler errors, with no frame of ours in tracebacks: the library's handler
    # hooked on the class, a bot's own handler shimmed on the bot (_event_errors)
    patcher.wrap(client, "on_error", make_on_error)
    patcher.wrap(client, "event", make_event)
    # drops our reference to a closed bot (the sharded client's close is its own)
    for closing in (client, getattr(module, "AutoShardedClient", None)):
        if closing is not None:
            patcher.wrap(closing, "close", make_close)
    http = getattr(module, "http", None)
    if http is not None:
        patcher.wrap(http, "json_or_text", make_json_or_text)
    if library is None:
        return
    try:
        library.patch(patcher, module)
    except (ImportError, AttributeError) as exc:
        # A release that moved a command hook point: the shared hooks above still work.
        swallow(f"{library.distribution} command hooks", exc)
