"""Prefix commands: a CONSUMER span, counters and duration around ``Bot.invoke``.

``Bot.invoke`` handles command errors itself (local handler, cog handler, then the
``command_error`` event), so the wrapper never sees them raise: the dispatch hook
hands the exception to the probe instead. Nothing here adds an
``on_command_error`` listener, which would silence discord.py's default print.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from time import perf_counter
from typing import Any, Final

from opentelemetry.util.types import AttributeValue

from otel_discord.instrumentation import _names as n
from otel_discord.instrumentation import _state
from otel_discord.instrumentation._outcomes import REASON_ERROR
from otel_discord.instrumentation._probe import CommandProbe, new_probe, run_observed
from otel_discord.instrumentation._safety import swallow
from otel_discord.instrumentation._telemetry import Recorder

_SITE: Final = "prefix command"

Invoke = Callable[[Any, Any], Coroutine[Any, Any, None]]


_STOCK_MODULE_SUFFIX: Final = ".ext.commands.core"
"""Where discord.py and its forks define ``Command.qualified_name`` and ``full_parent_name``."""

_stock_names: dict[type, bool] = {}
"""Command class -> whether its ``qualified_name`` is the library's own (a top-level
command's is its ``name``): two property calls less per command."""
_STOCK_CLASSES_LIMIT: Final = 64


def _defined_in_library(cls: type, attribute: str) -> bool:
    for klass in cls.__mro__:
        if attribute in vars(klass):
            return str(getattr(klass, "__module__", "")).endswith(_STOCK_MODULE_SUFFIX)
    return False


def command_name(command: Any) -> str:
    """``command.qualified_name``, read once per command class the library's way first.

    The library's property joins the parents' names with the command's own, so for a
    command without a parent it is ``command.name``: that is checked on the first
    command of each class, which is trusted only if it inherits both properties from
    the library and agrees.
    """
    name: str = command.qualified_name
    cls = type(command)
    if cls not in _stock_names and len(_stock_names) < _STOCK_CLASSES_LIMIT:
        _stock_names[cls] = (
            _defined_in_library(cls, "qualified_name")
            and _defined_in_library(cls, "full_parent_name")
            and (command.parent is not None or command.name == name)
        )
    return name


def start_prefix_command(telemetry: Recorder, ctx: Any) -> CommandProbe | None:
    """Open the span for ``ctx``; count and return None for an unknown command."""
    command = ctx.command
    if command is None:
        if ctx.invoked_with:
            telemetry.count_unknown_command(n.KIND_PREFIX)
        return None
    if _stock_names.get(type(command)) and command.parent is None:
        name = command.name  # what the library's qualified_name returns for it
    else:
        name = command_name(command)
    shape = telemetry.prefix_shapes.get(name)
    if shape is None:
        shape = telemetry.shapes.get(n.KIND_PREFIX, name)
    guild_id = None
    attributes = shape.attributes
    if telemetry.per_run_attributes:  # ids or content: off by default, and per run
        options = telemetry.options
        guild = ctx.guild
        guild_id = guild.id if guild is not None else None
        extra: dict[str, AttributeValue] = dict(attributes)
        if options.guild_ids_as_attributes:
            if guild_id is not None:
                extra[n.ATTR_GUILD_ID] = str(guild_id)
            extra[n.ATTR_CHANNEL_ID] = str(ctx.channel.id)
        if options.user_ids_as_attributes:
            extra[n.ATTR_USER_ID] = str(ctx.author.id)
        if options.capture_message_content:
            extra[n.ATTR_MESSAGE_CONTENT] = ctx.message.content
        attributes = extra
    span = telemetry.command_spans.start(
        telemetry.tracer, shape.span_name, shape.span_kind, attributes
    )
    # Positional: keyword calls cost CPython 3.11 about a call's worth more. The shape's
    # success row holds unless the row carries the guild id.
    success = (
        shape.success if guild_id is None or not telemetry.options.guild_ids_as_attributes else None
    )
    return CommandProbe(
        ctx, name, n.KIND_PREFIX, n.SOURCE_COMMAND, span, guild_id, command, success
    )


def make_invoke(original: Invoke) -> Invoke:
    """Wrap ``BotBase.invoke``.

    A plain function that returns a coroutine: for a message that names no command
    (most messages) it hands back the original's own coroutine, with no frame of ours.
    """

    def invoke(self: Any, ctx: Any, /) -> Coroutine[Any, Any, None]:
        telemetry = _state.current
        if telemetry is None:
            return original(self, ctx)
        try:  # plain attribute reads: a try costs nothing, getattr() a call each
            command = ctx.command
            named = command is not None or ctx.invoked_with
        except AttributeError:  # not a commands.Context: nothing to observe
            named = False
        if not named:
            return original(self, ctx)
        try:  # start_probe's guard, inline: one call less per command
            if command is None or telemetry.per_run_attributes:
                probe = start_prefix_command(telemetry, ctx)
            else:  # start_prefix_command's common case, inline: a frame less per command
                if _stock_names.get(type(command)) and command.parent is None:
                    name = command.name  # what the library's qualified_name returns for it
                else:
                    name = command_name(command)
                shape = telemetry.prefix_shapes.get(name)
                if shape is None:
                    shape = telemetry.shapes.get(n.KIND_PREFIX, name)
                span = telemetry.command_spans.start(
                    telemetry.tracer, shape.span_name, shape.span_kind, shape.attributes
                )
                # CommandProbe(ctx, name, KIND_PREFIX, SOURCE_COMMAND, span, None, command,
                # shape.success) without the class call (it runs __init__ from C).
                probe = new_probe(CommandProbe)
                probe.owner = ctx
                probe.name = name
                probe.kind = n.KIND_PREFIX
                probe.source = n.SOURCE_COMMAND
                probe.span = span
                probe.guild_id = None
                probe.error = None
                probe.failure_hint = None
                probe.reason = REASON_ERROR
                probe.command = command
                probe.success = shape.success
                probe.started = perf_counter()
        except Exception as exc:
            swallow(f"{_SITE} start", exc)
            probe = None
        if probe is None:
            return original(self, ctx)
        # failed=None: run_observed reads ctx.command_failed (a check or converter said no).
        return run_observed(telemetry, probe, original(self, ctx), None, _SITE)

    return invoke
