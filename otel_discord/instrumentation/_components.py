"""Button and select clicks, and modal submits: counted and traced like commands.

discord.py runs each click in ``View._scheduled_task`` and each submit in
``Modal._scheduled_task``; both catch every exception themselves and hand it to
the view's or modal's ``on_error``. The span wraps that task (the exception
never passes through our frame, so the bot's tracebacks stay its own), and the
class-level ``on_error`` notes the exception for the outcome; a view or modal whose
class overrides ``on_error`` gets a shim on the instance that does the same
(``_component_errors``).

Names are bounded and never the raw custom_id, which often embeds user or
message ids: the view's class and callback (``TicketView.close``), the item's
class for a subclassed or dynamic item, the modal's class, else the custom_id with its
volatile parts blanked (``ticket:close:#``); past ``MAX_NAMES`` names, ``_OTHER``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Coroutine
from typing import Any, Final

from opentelemetry.trace import SpanKind

from otel_discord.instrumentation import _names as n
from otel_discord.instrumentation import _state
from otel_discord.instrumentation._component_errors import (
    shim_own_interaction_check,
    shim_own_on_error,
    watch_dynamic_items,
)
from otel_discord.instrumentation._patching import Patcher
from otel_discord.instrumentation._probe import CommandProbe, note_error, observe_command
from otel_discord.instrumentation._safety import swallow
from otel_discord.instrumentation._telemetry import Recorder

KIND_COMPONENT: Final = "component"
KIND_MODAL: Final = "modal"
SOURCE_COMPONENT: Final = "component"
MAX_NAMES: Final = 200
_NAME_LENGTH: Final = 60
# hex runs only with a digit in them: "feedback" and "decade" are words, not ids
_VOLATILE: Final = re.compile(r"(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{6,}|\d+")
_GENERIC_ITEMS: Final = frozenset(
    {
        "Button",
        "Select",
        "StringSelect",  # nextcord, disnake
        "UserSelect",
        "RoleSelect",
        "MentionableSelect",
        "ChannelSelect",
    }
)
_GENERIC_MODALS: Final = frozenset({"Modal", "DesignerModal"})  # DesignerModal: py-cord

_names: set[str] = set()

AsyncMethod = Callable[..., Coroutine[Any, Any, Any]]


def stable_prefix(custom_id: str) -> str:
    """``custom_id`` with ids, numbers and hex blanked: ``"ticket:close:#"``."""
    return _VOLATILE.sub("#", custom_id)[:_NAME_LENGTH] or "#"


def _bounded(name: str) -> str:
    if name in _names:
        return name
    if len(_names) >= MAX_NAMES:
        return "_OTHER"
    _names.add(name)
    return name


def item_name(view: Any, item: Any) -> str:
    """The name of a clicked item (see the module docstring)."""
    callback = getattr(item, "callback", None)
    function = getattr(callback, "callback", None)  # discord.py's decorated-callback holder
    if function is not None and getattr(callback, "item", None) is item:
        return f"{type(view).__name__}.{getattr(function, '__name__', '?')}"
    # the forks bind a decorated callback as ``partial(function, view, item)``
    if (
        isinstance(callback, functools.partial)
        and len(callback.args) >= 2
        and callback.args[1] is item
    ):
        return f"{type(view).__name__}.{getattr(callback.func, '__name__', '?')}"
    if type(item).__name__ not in _GENERIC_ITEMS:
        return type(item).__name__
    return stable_prefix(str(getattr(item, "custom_id", "") or ""))


def modal_name(modal: Any) -> str:
    """The name of a submitted modal: its class, else its custom_id's stable prefix."""
    name = type(modal).__name__
    if name not in _GENERIC_MODALS:
        return name
    return stable_prefix(str(getattr(modal, "custom_id", "") or ""))


def start_component(telemetry: Recorder, interaction: Any, name: str, kind: str) -> CommandProbe:
    name = _bounded(name)
    attributes = {
        n.ATTR_RPC_SYSTEM: n.SYSTEM_DISCORD,
        n.ATTR_COMMAND_NAME: name,
        n.ATTR_COMMAND_KIND: kind,
    }
    span = telemetry.tracer.start_span(
        f"{kind} {name}", kind=SpanKind.SERVER, attributes=attributes
    )
    return CommandProbe(
        interaction,
        name=name,
        kind=kind,
        source=SOURCE_COMPONENT,
        span=span,
        guild_id=getattr(interaction, "guild_id", None),
    )


def _refused_by_check(probe: CommandProbe) -> bool:
    """A click the view's own ``interaction_check`` refused (its shim noted it)."""
    return probe.failure_hint is not None


def make_view_task(original: AsyncMethod) -> AsyncMethod:
    """Wrap ``BaseView._scheduled_task(item, interaction)``."""

    async def _scheduled_task(self: Any, item: Any, interaction: Any) -> Any:
        telemetry = _state.current
        if telemetry is None:
            return await original(self, item, interaction)
        shim_own_on_error(self)
        shim_own_interaction_check(self)
        return await observe_command(
            telemetry,
            lambda: start_component(telemetry, interaction, item_name(self, item), KIND_COMPONENT),
            lambda: original(self, item, interaction),
            _refused_by_check,
            "component",
        )

    return _scheduled_task


def make_modal_task(original: AsyncMethod) -> AsyncMethod:
    """Wrap ``Modal._scheduled_task(interaction, ...)``."""

    async def _scheduled_task(self: Any, interaction: Any, *args: Any) -> Any:
        telemetry = _state.current
        if telemetry is None:
            return await original(self, interaction, *args)
        shim_own_on_error(self)
        return await observe_command(
            telemetry,
            lambda: start_component(telemetry, interaction, modal_name(self), KIND_MODAL),
            lambda: original(self, interaction, *args),
            lambda _: False,
            "modal",
        )

    return _scheduled_task


def make_dynamic_task(original: AsyncMethod) -> AsyncMethod:
    """Wrap ``ViewStore.schedule_dynamic_item_call``: a ``DynamicItem`` click, named by class.

    discord.py logs a failing dynamic item's exception itself; the view logger's filter
    (``_component_errors.ClickErrors``) notes it for the click's outcome.
    """

    async def schedule_dynamic_item_call(
        self: Any, component_type: Any, factory: Any, interaction: Any, *args: Any
    ) -> Any:
        telemetry = _state.current
        if telemetry is None:
            return await original(self, component_type, factory, interaction, *args)
        name = str(getattr(factory, "__name__", "") or "DynamicItem")
        return await observe_command(
            telemetry,
            lambda: start_component(telemetry, interaction, name, KIND_COMPONENT),
            lambda: original(self, component_type, factory, interaction, *args),
            lambda _: False,
            "dynamic item",
        )

    return schedule_dynamic_item_call


def make_on_error(original: AsyncMethod) -> AsyncMethod:
    """Wrap the default ``on_error`` so the click's probe learns its exception."""

    async def on_error(self: Any, interaction: Any, error: Exception, /, *args: Any) -> Any:
        if _state.current is not None:
            try:
                note_error(interaction, error)
            except Exception as failure:
                swallow("component error", failure)
        return await original(self, interaction, error, *args)

    return on_error


def patch_components(patcher: Patcher) -> None:
    """Install the view and modal hooks (discord.py only)."""
    from discord.ui import Modal
    from discord.ui.view import BaseView, ViewStore

    patcher.wrap(BaseView, "_scheduled_task", make_view_task)
    if patcher.wrap(ViewStore, "schedule_dynamic_item_call", make_dynamic_task):
        watch_dynamic_items()
    patcher.wrap(BaseView, "on_error", make_on_error)
    patcher.wrap(Modal, "_scheduled_task", make_modal_task)
    patcher.wrap(Modal, "on_error", make_on_error)


def reset_names() -> None:
    """Forget the names seen (on uninstrument)."""
    _names.clear()
