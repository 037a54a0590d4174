"""Errors of views and modals whose class overrides ``on_error``.

A click's or a submit's exception reaches the click's probe through the class-level
hook on the library's ``on_error`` (``_components.make_on_error``). A view or modal
that overrides ``on_error`` without calling ``super()`` (discord.py's own modal
example prints the traceback itself) never reaches that hook, so its bug would count
as a success and, with no log record, never reach #logs. Such a view or modal gets a
shim on the instance at its first click or submit: the shim notes the exception (an
argument of ``on_error`` in every library, first or second), then runs the bot's own
handler with the same arguments. Nothing changes in what runs or what is printed; an
override that does call ``super()`` is noted twice, to the same effect.

A view or modal that keeps the library's handler gets nothing on the instance.

discord.py runs a ``DynamicItem``'s click itself (``ViewStore.schedule_dynamic_item_call``)
and hands a failing ``from_custom_id`` or callback to no handler at all: it logs the
exception with ``_log.exception`` on ``discord.ui.view``. A filter on that logger
(it changes no record and drops none) notes a record's exception for the click in
flight, so that bug fails the click too.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Coroutine
from typing import Any, Final

from otel_discord.instrumentation import _state
from otel_discord.instrumentation._active_span import current_probe
from otel_discord.instrumentation._names import ERROR_TYPE_INTERACTION_CHECK
from otel_discord.instrumentation._patching import MARKER, SHIM, class_handler, remove_shim
from otel_discord.instrumentation._probe import note_error
from otel_discord.instrumentation._safety import swallow

Handler = Callable[..., Coroutine[Any, Any, Any]]

_shimmed: weakref.WeakSet[Any] = weakref.WeakSet()


def _note(args: tuple[Any, ...]) -> None:
    """Note the exception among ``on_error``'s arguments for the probe its owner runs."""
    if _state.current is None:
        return
    try:
        error = next((arg for arg in args if isinstance(arg, BaseException)), None)
        if error is None:
            return
        for owner in args:  # the interaction: first (discord.py) or last (forks)
            if owner is not error:
                note_error(owner, error)  # only the probe's own owner is taken
    except Exception as failure:
        swallow("component error", failure)


def _shim(owner: Any, registered: Handler | None) -> Handler:
    ref = weakref.ref(owner)

    async def on_error(*args: Any, **kwargs: Any) -> Any:
        _note(args)
        if registered is not None:
            return await registered(*args, **kwargs)
        return await class_handler(ref())(*args, **kwargs)

    setattr(on_error, SHIM, True)
    on_error.__wrapped__ = registered  # type: ignore[attr-defined]
    return on_error


def shim_own_on_error(owner: Any) -> None:
    """Give ``owner`` (a view or modal) the shim if its ``on_error`` is its own; never raises."""
    try:
        handler = getattr(type(owner), "on_error", None)
        if handler is None or getattr(handler, MARKER, False):  # the library's: hooked
            return
        if owner in _shimmed:
            return
        registered = vars(owner).get("on_error")  # one set on the instance itself
        if getattr(registered, SHIM, False):
            return
        owner.on_error = _shim(owner, registered)
        _shimmed.add(owner)
    except Exception as failure:  # a slotted or unhashable view: left as it is
        swallow("component on_error", failure)


_LIBRARIES: Final = frozenset({"discord", "nextcord", "disnake"})
_CHECK: Final = "interaction_check"
_checked: weakref.WeakSet[Any] = weakref.WeakSet()


def _refused() -> None:
    """The view's ``interaction_check`` said no: the click in flight failed that check."""
    probe = current_probe()
    if probe is not None:
        probe.failure_hint = ERROR_TYPE_INTERACTION_CHECK


def _check_shim(view: Any, registered: Handler | None) -> Handler:
    ref = weakref.ref(view)

    async def interaction_check(*args: Any, **kwargs: Any) -> Any:
        check = registered if registered is not None else class_handler(ref(), _CHECK)
        allowed = await check(*args, **kwargs)
        if not allowed and _state.current is not None:
            try:
                _refused()
            except Exception as failure:
                swallow("component check", failure)
        return allowed

    setattr(interaction_check, SHIM, True)
    interaction_check.__wrapped__ = registered  # type: ignore[attr-defined]
    return interaction_check


def shim_own_interaction_check(view: Any) -> None:
    """Give ``view`` a shim over the ``interaction_check`` its class defines, never raises.

    A refused click returns from the library's task as a success would: only the check
    knows. The library's own check always allows, so a view that keeps it gets nothing.
    """
    try:
        defining = next((k for k in type(view).__mro__ if _CHECK in vars(k)), None)
        if defining is None or view in _checked:
            return
        if str(defining.__module__).split(".", 1)[0] in _LIBRARIES:
            return
        registered = vars(view).get(_CHECK)
        if getattr(registered, SHIM, False):
            return
        setattr(view, _CHECK, _check_shim(view, registered))
        _checked.add(view)
    except Exception as failure:  # a slotted or unhashable view: left as it is
        swallow("component check", failure)


VIEW_LOGGER: Final = "discord.ui.view"
"""discord.py's logger for the view store: a dynamic item's exception is logged there."""


class ClickErrors(logging.Filter):
    """Notes the exception of a record logged during a click for that click; keeps every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            error = record.exc_info[1] if record.exc_info else None
            if error is not None and _state.current is not None:
                probe = current_probe()
                if probe is not None:
                    note_error(probe.owner, error)
        except Exception as failure:
            swallow("component error", failure)
        return True


CLICK_ERRORS: Final = ClickErrors()


def watch_dynamic_items() -> None:
    """Put the filter on discord.py's view logger (once: ``addFilter`` skips a repeat)."""
    logging.getLogger(VIEW_LOGGER).addFilter(CLICK_ERRORS)


def unshim_all() -> None:
    """Put every shimmed view's and modal's own ``on_error`` and ``interaction_check``
    back, and take the view logger's filter off (on uninstrument)."""
    for owner in list(_shimmed):
        remove_shim(owner, vars(owner).get("on_error"))
    _shimmed.clear()
    for view in list(_checked):
        remove_shim(view, vars(view).get(_CHECK), _CHECK)
    _checked.clear()
    logging.getLogger(VIEW_LOGGER).removeFilter(CLICK_ERRORS)
