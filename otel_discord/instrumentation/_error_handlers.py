"""A slash command's error, noted where discord.py hands it to the command's error handlers.

``CommandTree._call`` catches the command's ``AppCommandError`` and passes it to
``Command._invoke_error_handlers`` (the command's, then its cog's ``@error``)
before ``tree.on_error``. Observing it there, rather than wrapping the invoke
path it propagates through, keeps our frames out of the traceback discord.py
prints. Errors raised after the command's probe ended (a stale command reaching
``_dispatch_error``) are left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from otel_discord.instrumentation import _state
from otel_discord.instrumentation._active_span import current_probe
from otel_discord.instrumentation._probe import note_error
from otel_discord.instrumentation._safety import swallow

AsyncMethod = Callable[..., Coroutine[Any, Any, Any]]


def make_invoke_error_handlers(original: AsyncMethod) -> AsyncMethod:
    """Wrap ``app_commands.Command._invoke_error_handlers``."""

    async def _invoke_error_handlers(self: Any, interaction: Any, error: Any, /) -> Any:
        if _state.current is not None and current_probe() is not None:
            try:
                note_error(interaction, error)
            except Exception as failure:
                swallow("app command error", failure)
        return await original(self, interaction, error)

    return _invoke_error_handlers
