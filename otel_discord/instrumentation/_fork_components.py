"""Button and select clicks, and modal submits, on discord.py's forks.

The same telemetry as discord.py's (``_components``: kind ``component``/``modal``,
bounded names, never the raw custom_id), at each fork's own hook points:

- every fork runs a view item's click in ``View._scheduled_task(item, interaction)``
  (py-cord: ``BaseView``), which catches the callback's exception and hands it to
  ``on_error(error, item, interaction)``: the error comes first, unlike discord.py;
- nextcord and disnake run a submit in ``Modal._scheduled_task(interaction)`` and
  hand its exception to ``Modal.on_error(error, interaction)``;
- py-cord runs a submit inside ``ModalStore.dispatch(user_id, custom_id,
  interaction)`` (its own task), with ``BaseModal.on_error(error, interaction)``.

As on discord.py the class-level ``on_error`` notes the exception for the outcome
(a view or modal that overrides it gets the instance shim of ``_component_errors``),
and the span wraps the task without ever being in the exception's way.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from otel_discord.instrumentation import _state
from otel_discord.instrumentation._component_errors import shim_own_on_error
from otel_discord.instrumentation._components import (
    KIND_MODAL,
    AsyncMethod,
    make_modal_task,
    make_view_task,
    modal_name,
    start_component,
)
from otel_discord.instrumentation._patching import Patcher
from otel_discord.instrumentation._probe import CommandProbe, note_error, observe_command
from otel_discord.instrumentation._safety import swallow


def make_on_error(original: AsyncMethod) -> AsyncMethod:
    """Wrap a fork's default ``on_error(error, [item,] interaction)``."""

    async def on_error(self: Any, error: Exception, /, *args: Any) -> Any:
        if _state.current is not None and args:
            try:
                note_error(args[-1], error)
            except Exception as failure:
                swallow("component error", failure)
        return await original(self, error, *args)

    return on_error


def make_pycord_modal_dispatch(original: AsyncMethod) -> AsyncMethod:
    """Wrap py-cord's ``ModalStore.dispatch``: a span only when a stored modal takes it."""

    async def dispatch(self: Any, user_id: int, custom_id: str, interaction: Any) -> Any:
        telemetry = _state.current
        if telemetry is None:
            return await original(self, user_id, custom_id, interaction)

        def start() -> CommandProbe | None:
            modal = self._modals.get((user_id, custom_id))
            if modal is None:
                return None  # nobody waits for this submit: py-cord drops it
            shim_own_on_error(modal)
            return start_component(telemetry, interaction, modal_name(modal), KIND_MODAL)

        return await observe_command(
            telemetry,
            start,
            lambda: original(self, user_id, custom_id, interaction),
            lambda _: False,
            "modal",
        )

    return dispatch


def patch_pycord(patcher: Patcher) -> None:
    """py-cord's view and modal hooks (``BaseView``/``BaseModal`` since 2.7, before on
    ``View``/``Modal``)."""
    from discord.ui import modal, view

    base_view = getattr(view, "BaseView", view.View)
    patcher.wrap(base_view, "_scheduled_task", make_view_task)
    patcher.wrap(base_view, "on_error", make_on_error)
    patcher.wrap(modal.ModalStore, "dispatch", make_pycord_modal_dispatch)
    patcher.wrap(getattr(modal, "BaseModal", modal.Modal), "on_error", make_on_error)


def patch_view_and_modal(patcher: Patcher, ui: ModuleType) -> None:
    """nextcord's and disnake's view and modal hooks (the same shape in both; a release
    without modals, disnake before 2.4, gets the view hooks)."""
    patcher.wrap(ui.View, "_scheduled_task", make_view_task)
    patcher.wrap(ui.View, "on_error", make_on_error)
    modal = getattr(ui, "Modal", None)
    if modal is not None:
        patcher.wrap(modal, "_scheduled_task", make_modal_task)
        patcher.wrap(modal, "on_error", make_on_error)
