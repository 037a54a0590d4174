"""Naming and sorting the exceptions a bot raises.

``error.type`` is the exception's fully qualified class name (builtins bare), the
semantic-conventions choice. Wrapper exceptions (``CommandInvokeError``,
``HybridCommandError``) are unwrapped so the name says what went wrong in the bot's
code. User-input errors (bad arguments, failed checks, cooldowns) fail a command
but are not bugs: they get no error log and no ``discord.errors`` count.
"""

from __future__ import annotations

import asyncio
import traceback
from dataclasses import dataclass

from otel_discord.exception_ids import qualified_type


def error_type(exc: BaseException) -> str:
    """Return the ``error.type`` value for ``exc``."""
    return qualified_type(exc)


def stacktrace(exc: BaseException) -> str:
    """Format ``exc`` with its traceback the way Python prints it."""
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


@dataclass(frozen=True, slots=True)
class ErrorKinds:
    """Exception classes looked up once, at instrument time."""

    user_errors: tuple[type[BaseException], ...] = (asyncio.CancelledError,)
    not_found: tuple[type[BaseException], ...] = ()

    def is_bug(self, exc: BaseException) -> bool:
        """True when ``exc`` (already unwrapped) came from the bot's code, not its user."""
        return not isinstance(exc, self.user_errors)

    def is_not_found(self, exc: BaseException) -> bool:
        """True for "no such command" errors."""
        return isinstance(exc, self.not_found)


def discord_py_error_kinds() -> ErrorKinds:
    """Build :class:`ErrorKinds` from discord.py's exception classes (if installed)."""
    try:
        from discord import app_commands
        from discord.ext import commands
    except ImportError:
        return ErrorKinds()
    return ErrorKinds(
        user_errors=(
            asyncio.CancelledError,
            commands.UserInputError,
            commands.CheckFailure,
            commands.CommandOnCooldown,
            commands.MaxConcurrencyReached,
            commands.DisabledCommand,
            commands.CommandNotFound,
            app_commands.CheckFailure,
            app_commands.TransformerError,
            app_commands.CommandNotFound,
        ),
        not_found=(commands.CommandNotFound, app_commands.CommandNotFound),
    )
