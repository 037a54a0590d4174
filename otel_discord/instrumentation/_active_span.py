"""Make a command's span the current one for its run, as cheaply as the context API allows.

``context.attach(trace.set_span_in_context(span))`` and ``context.detach`` walk about
ten Python calls per command. With the API's default runtime context
(``ContextVarsRuntimeContext``, used unless ``OTEL_PYTHON_CONTEXT`` names another) the
same effect is one ``ContextVar.set`` of a copied ``Context`` and one ``reset``. Any
other runtime context, or an API whose internals differ, goes through the API.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Any, Final

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.context.contextvars_context import ContextVarsRuntimeContext
from opentelemetry.trace import Span

from otel_discord.instrumentation._safety import swallow

_SPAN_KEY: Final[str | None] = getattr(trace.propagation, "_SPAN_KEY", None)


def _default_runtime() -> tuple[Any, ContextVar[Context] | None]:
    runtime = getattr(otel_context, "_RUNTIME_CONTEXT", None)
    var = getattr(runtime, "_current_context", None)
    if type(runtime) is ContextVarsRuntimeContext and isinstance(var, ContextVar):
        return runtime, var
    return runtime, None


_RUNTIME, _VAR = _default_runtime()


def enter_span(span: Span) -> Token[Context]:
    """Make ``span`` current; the token goes to :func:`leave_span`."""
    var = _VAR
    key = _SPAN_KEY
    if var is not None and key is not None and otel_context._RUNTIME_CONTEXT is _RUNTIME:
        return var.set(Context({**var.get(), key: span}))
    return otel_context.attach(trace.set_span_in_context(span))


def leave_span(token: Token[Context]) -> None:
    """Restore the context ``enter_span`` replaced (never raises, as ``detach``)."""
    if token.var is not _VAR:
        otel_context.detach(token)
        return
    try:
        token.var.reset(token)
    except Exception as exc:  # the run ended in another context than it began
        swallow("command context", exc)
