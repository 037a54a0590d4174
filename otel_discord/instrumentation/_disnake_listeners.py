"""disnake's listener-based components: clicks and submits no view or modal object takes.

disnake dispatches every component interaction as ``button_click`` / ``dropdown``
(and ``message_interaction``), every submit as ``modal_submit``; its low-level
component examples answer them in ``@bot.listen("on_button_click")`` listeners that
check the custom_id. Each listener runs in a task of its own made by
``Client._schedule_event``, which is wrapped here: for such an event whose
interaction no stored view or modal claims (those are ``_fork_components``'), one
span per interaction covers every listener's task (the task copies the span's
context when it is created) and ends with the last of them, so a click counts once
however many cogs listen. Named by the custom_id's stable prefix, as discord.py
names a plain item.

A listener's exception is handled by disnake (``Client.on_error``, printed as
"Ignoring exception in on_button_click"); the ``on_error`` hook (or shim) hands it to
:func:`note_listener_error`, so it fails the click and is reported once with it,
as a view's failing click is (a second listener failing on the same click is
reported as the event error it is). A ``bot.wait_for("button_click")``
resolves a future inside ``dispatch`` and runs no listener task: not captured.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from otel_discord.instrumentation import _state
from otel_discord.instrumentation._active_span import current_probe, enter_span, leave_span
from otel_discord.instrumentation._components import (
    KIND_COMPONENT,
    KIND_MODAL,
    stable_prefix,
    start_component,
)
from otel_discord.instrumentation._patching import Patcher
from otel_discord.instrumentation._probe import CommandProbe, finish
from otel_discord.instrumentation._safety import swallow
from otel_discord.instrumentation._telemetry import Recorder

LISTENER_EVENTS: Final = {
    "on_button_click": KIND_COMPONENT,
    "on_dropdown": KIND_COMPONENT,
    "on_message_interaction": KIND_COMPONENT,
    "on_modal_submit": KIND_MODAL,
}
"""disnake's component events, by the method name ``_schedule_event`` receives."""


@dataclass(slots=True)
class _Click:
    """One interaction's listener tasks: the span stays open until the last is done."""

    interaction: Any
    probe: CommandProbe
    pending: int = 0


_open: dict[int, _Click] = {}
"""Interactions whose listeners still run, by ``id()`` (bounded by running tasks)."""


def _claimed(client: Any, interaction: Any, kind: str) -> bool:
    """Whether a stored view or modal takes this interaction (its hooks observe it)."""
    state = client._connection
    data = interaction.data
    if kind == KIND_MODAL:
        return (interaction.author.id, data.custom_id) in state._modal_store._modals
    views = state._view_store._views
    component_type = getattr(data.component_type, "value", data.component_type)
    message = interaction.message
    message_id = message.id if message is not None else None
    return (component_type, message_id, data.custom_id) in views or (
        component_type,
        None,
        data.custom_id,
    ) in views


def _click_for(
    telemetry: Recorder, client: Any, event: str, args: tuple[Any, ...]
) -> _Click | None:
    if not args:
        return None
    interaction = args[0]
    click = _open.get(id(interaction))
    if click is not None and click.interaction is interaction:
        return click
    kind = LISTENER_EVENTS[event]
    if _claimed(client, interaction, kind):
        return None
    name = stable_prefix(str(getattr(interaction.data, "custom_id", "") or ""))
    click = _Click(interaction, start_component(telemetry, interaction, name, kind))
    _open[id(interaction)] = click
    return click


def _done(telemetry: Recorder, click: _Click) -> Callable[[asyncio.Task[Any]], None]:
    def done(_: asyncio.Task[Any]) -> None:
        click.pending -= 1
        if click.pending:
            return
        try:
            if _open.get(id(click.interaction)) is click:
                del _open[id(click.interaction)]
            probe = click.probe
            finish(telemetry, probe, failed=False)
        except Exception as exc:
            swallow("component listener finish", exc)

    return done


def make_schedule_event(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``Client._schedule_event``: other events pass straight through."""

    def _schedule_event(self: Any, coro: Any, event_name: str, /, *args: Any, **kwargs: Any) -> Any:
        telemetry = _state.current
        if telemetry is None or event_name not in LISTENER_EVENTS:
            return original(self, coro, event_name, *args, **kwargs)
        click = None
        try:
            click = _click_for(telemetry, self, event_name, args)
        except Exception as exc:
            swallow("component listener start", exc)
        if click is None:
            return original(self, coro, event_name, *args, **kwargs)
        # the task copies the current context: its listener runs inside the click's span
        span_token = enter_span(click.probe.span, click.probe)
        try:
            task = original(self, coro, event_name, *args, **kwargs)
        except BaseException:
            if not click.pending:  # no task of this click will end its span
                _open.pop(id(click.interaction), None)
                click.probe.span.end()
            raise
        finally:
            leave_span(span_token)
        click.pending += 1
        task.add_done_callback(_done(telemetry, click))
        return task

    return _schedule_event


def note_listener_error(exc: BaseException) -> bool:
    """Fail the listener click in flight with ``exc``; True if the click reports it."""
    probe = current_probe()
    if probe is None or probe.error is not None:
        return False
    click = _open.get(id(probe.owner))
    if click is None or click.probe is not probe:
        return False
    probe.error = exc
    return True


def patch(patcher: Patcher, client: type) -> None:
    """Install the listener hook on disnake's ``Client``."""
    patcher.wrap(client, "_schedule_event", make_schedule_event)
