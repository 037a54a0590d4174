"""An exception nothing caught (a bot that dies in ``setup_hook``) reaches #logs.

``bot.run()`` lets a start-up failure escape to ``sys.excepthook``, which prints it and
the process ends: without this hook the channels would show a clean stop with no
error. The hook reports the exception, then calls the hook it replaced, so the
console output is the same.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from otel_discord.exception_ids import innermost as unwrap
from otel_discord.exception_ids import mark_escaped
from otel_discord.instrumentation import _names as n
from otel_discord.instrumentation import _state
from otel_discord.instrumentation._safety import swallow

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]


def make_excepthook(original: ExceptHook) -> ExceptHook:
    """Wrap ``sys.excepthook``: report an uncaught ``Exception``, then print as before."""

    def excepthook(
        kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> object:
        telemetry = _state.current
        if telemetry is not None and isinstance(exc, Exception):
            try:
                mark_escaped(exc)
                telemetry.report_error(
                    unwrap(exc),
                    source=n.SOURCE_PROCESS,
                    where="the process, which it ended",
                    attributes={},
                )
            except Exception as failure:
                swallow("uncaught exception", failure)
        return original(kind, exc, tb)

    return excepthook
