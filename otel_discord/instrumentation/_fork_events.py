"""Dispatched events only the forks have: where their command failures surface.

Each fork reports a failed application command through an event of its own
(py-cord and nextcord ``application_command_error``, disnake one per command
type) with the context or interaction first and the exception second, the shape
of discord.py's ``command_error``; py-cord also dispatches
``unknown_application_command``. discord.py dispatches none of these names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from otel_discord.instrumentation._library import command_kind
from otel_discord.instrumentation._probe import note_error
from otel_discord.instrumentation._telemetry import Recorder

Handler = Callable[[Recorder, Any, tuple[Any, ...]], None]


def _on_app_command_error(_: Recorder, __: Any, args: tuple[Any, ...]) -> None:
    if len(args) >= 2 and isinstance(args[1], BaseException):
        note_error(args[0], args[1])


def _on_unknown_application_command(telemetry: Recorder, _: Any, args: tuple[Any, ...]) -> None:
    telemetry.count_unknown_command(command_kind(getattr(args[0], "data", None)))


FORK_HANDLERS: Final[dict[str, Handler]] = {
    "application_command_error": _on_app_command_error,  # py-cord, nextcord
    "slash_command_error": _on_app_command_error,  # disnake
    "user_command_error": _on_app_command_error,  # disnake
    "message_command_error": _on_app_command_error,  # disnake
    "unknown_application_command": _on_unknown_application_command,  # py-cord
}
