"""Application commands: a SERVER span, counters and duration around ``CommandTree._call``.

A failing app command never raises out of ``_call``: discord.py runs the command's
handlers and then ``tree.on_error``. Rather than wrap ``on_error`` (which a user may
replace with ``@tree.error`` at any time, or override in a subclass), the
exception is noted in ``Command._invoke_error_handlers`` (``_error_handlers``, no
frame in the traceback) and ``ContextMenu._invoke`` (and the ``command_error``
event for hybrid commands).
Errors that escape ``_call`` itself (unknown command, signature mismatch) are
seen directly. ``tree.on_error`` and every user handler run untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Final

from opentelemetry.util.types import AttributeValue

from otel_discord.instrumentation import _names as n
from otel_discord.instrumentation import _state
from otel_discord.instrumentation._probe import (
    CommandProbe,
    drop_own_frame,
    note_error,
    run_observed,
)
from otel_discord.instrumentation._safety import swallow
from otel_discord.instrumentation._telemetry import Recorder

_APPLICATION_COMMAND: Final = 2
"""``InteractionType.application_command``; autocomplete (4) is not a command run."""

_SITE: Final = "app command"
_KINDS: Final = {1: n.KIND_SLASH, 2: n.KIND_USER, 3: n.KIND_MESSAGE}
_SUBCOMMAND_TYPES: Final = (1, 2)

AsyncMethod = Callable[..., Coroutine[Any, Any, Any]]


def qualified_name(data: Mapping[str, Any]) -> str:
    """The command path Discord sent: ``"tag create"`` for a subcommand."""
    parts = [str(data.get("name", "?"))]
    options = data.get("options") or []
    while True:
        sub = next((o for o in options if o.get("type") in _SUBCOMMAND_TYPES), None)
        if sub is None:
            return " ".join(parts)
        parts.append(str(sub.get("name", "?")))
        options = sub.get("options") or []


def start_app_command(telemetry: Recorder, interaction: Any) -> CommandProbe | None:
    """Open the span for an application-command interaction (None for autocomplete)."""
    if getattr(interaction.type, "value", None) != _APPLICATION_COMMAND:
        return None
    data = interaction.data or {}
    kind = _KINDS.get(data.get("type", 1), n.KIND_SLASH)
    name = qualified_name(data)
    shape = telemetry.shapes.kinds[kind].get(name)
    if shape is None:
        shape = telemetry.shapes.get(kind, name)
    guild_id = interaction.guild_id
    attributes = shape.attributes
    options = telemetry.options
    if options.guild_ids_as_attributes or options.user_ids_as_attributes:
        extra: dict[str, AttributeValue] = dict(attributes)
        if options.guild_ids_as_attributes:
            if guild_id is not None:
                extra[n.ATTR_GUILD_ID] = str(guild_id)
            if interaction.channel_id is not None:
                extra[n.ATTR_CHANNEL_ID] = str(interaction.channel_id)
        if options.user_ids_as_attributes:
            extra[n.ATTR_USER_ID] = str(interaction.user.id)
        attributes = extra
    span = telemetry.command_spans.start(
        telemetry.tracer, shape.span_name, shape.span_kind, attributes
    )
    # Positional: keyword calls cost CPython 3.11 about a call's worth more. The shape's
    # success row holds unless the row carries the guild id.
    success = shape.success if guild_id is None or not options.guild_ids_as_attributes else None
    return CommandProbe(
        interaction, name, kind, n.SOURCE_APP_COMMAND, span, guild_id, None, success
    )


def make_call(original: AsyncMethod) -> AsyncMethod:
    """Wrap ``CommandTree._call`` (a plain function returning the coroutine, as ``invoke``)."""

    def _call(self: Any, interaction: Any) -> Coroutine[Any, Any, Any]:
        telemetry = _state.current
        if telemetry is None:
            return original(self, interaction)
        try:  # start_probe's guard, inline: one call less per command
            probe = start_app_command(telemetry, interaction)
        except Exception as exc:
            swallow(f"{_SITE} start", exc)
            probe = None
        if probe is None:
            return original(self, interaction)
        # What a run that failed without an exception failed on (read only then): discord.py's
        # interaction_check said no. (The forks' hooks decide otherwise: not set for them.)
        probe.failure_hint = n.ERROR_TYPE_INTERACTION_CHECK
        # failed=None: run_observed reads interaction.command_failed.
        return run_observed(telemetry, probe, original(self, interaction), None, _SITE)

    return _call


def make_error_origin(original: AsyncMethod) -> AsyncMethod:
    """Wrap an app-command invoker so the error it raises reaches the probe."""

    async def invoker(self: Any, interaction: Any, /, *args: Any, **kwargs: Any) -> Any:
        try:
            return await original(self, interaction, *args, **kwargs)
        except Exception as exc:
            if _state.current is not None:
                try:
                    note_error(interaction, exc)
                except Exception as failure:
                    swallow("app command error", failure)
            drop_own_frame(exc, invoker.__code__)
            raise

    return invoker
