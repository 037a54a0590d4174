"""Make a command's span (and its probe) current for its run, as cheaply as the API allows.

``context.attach(trace.set_span_in_context(span))`` and ``context.detach`` walk about
ten Python calls per command. With the API's default runtime context
(``ContextVarsRuntimeContext``, used unless ``OTEL_PYTHON_CONTEXT`` names another) the
same effect is one ``ContextVar.set`` of a copied ``Context`` and one ``reset``. Any
other runtime context, or an API whose internals differ, goes through the API.

The command's probe rides in the same ``Context`` under a key of ours, so one set and
one reset serve both (a ContextVar of its own cost another pair per command).
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

PROBE_KEY: Final = otel_context.create_key("otel-discord-command")
"""Where the command in flight (its ``CommandProbe``) is kept in the current ``Context``."""


def enter_span(span: Span, probe: object = None) -> Token[Context]:
    """Make ``span`` (and ``probe``, if any) current; the token goes to :func:`leave_span`."""
    var = _VAR
    key = _SPAN_KEY
    if var is not None and key is not None and otel_context._RUNTIME_CONTEXT is _RUNTIME:
        values = {**var.get(), key: span}
        if probe is not None:
            values[PROBE_KEY] = probe
        return var.set(Context(values))
    context = trace.set_span_in_context(span)
    if probe is not None:
        context = otel_context.set_value(PROBE_KEY, probe, context)
    return otel_context.attach(context)


def current_probe() -> Any:
    """The probe :func:`enter_span` made current, else None."""
    var = _VAR
    if var is not None and otel_context._RUNTIME_CONTEXT is _RUNTIME:
        return var.get().get(PROBE_KEY)
    return otel_context.get_value(PROBE_KEY)


def command_context() -> dict[str, str]:
    """The command in flight as log-record attributes (``discord.command.name``), or none."""
    probe = current_probe()
    name = getattr(probe, "name", None)
    return {"discord.command.name": name} if isinstance(name, str) else {}


def leave_span(token: Token[Context]) -> None:
    """Restore the context ``enter_span`` replaced (never raises, as ``detach``)."""
    if token.var is not _VAR:
        otel_context.detach(token)
        return
    try:
        token.var.reset(token)
    except Exception as exc:  # the run ended in another context than it began
        swallow("command context", exc)
