"""Event-handler exceptions, observed where they land without adding a frame to them.

``Client._run_event`` catches a handler's exception and awaits ``self.on_error``
inside its ``except`` block, where ``sys.exc_info()`` is that exception. Wrapping
the handler coroutine instead would put a frame of ours into every traceback the
bot prints. So the exception is noted where ``on_error`` starts, then the real
handler runs; nothing changes in what runs or what is printed:

- a bot that keeps the library's handler gets it through the class-level hook on
  ``Client.on_error``: nothing is set on the bot itself;
- a bot with a handler of its own (a subclass override, or one registered with
  ``@client.event``, re-wrapped by the ``Client.event`` hook) gets an instance-level
  shim that notes the exception, then runs that handler.

Why not a shim on every bot: a new attribute on an instance whose class's shared
keys are full (discord.py's ``Bot`` sets about 29) gives it a dict of its own on
CPython 3.11+, and every attribute lookup on that bot takes the slower path
(+5k instructions per prefix command on the bench bot). For the same reason the
bot's own handler is found with ``getattr``, never ``vars()``.
"""

from __future__ import annotations

import sys
import types
import weakref
from collections.abc import Callable, Coroutine
from typing import Any

from otel_discord.exception_ids import innermost as unwrap
from otel_discord.exception_ids import mark_escaped
from otel_discord.instrumentation import _names as n
from otel_discord.instrumentation import _state
from otel_discord.instrumentation._disnake_listeners import note_listener_error
from otel_discord.instrumentation._patching import MARKER, SHIM, class_handler, remove_shim
from otel_discord.instrumentation._safety import swallow

ErrorHandler = Callable[..., Coroutine[Any, Any, Any]]

_hooked: weakref.WeakSet[Any] = weakref.WeakSet()


def _record(event_method: object) -> None:
    telemetry = _state.current
    exc = sys.exc_info()[1]
    if telemetry is None or exc is None:
        return
    try:
        mark_escaped(exc)
        if note_listener_error(exc):
            return  # a disnake component listener's: reported with its click
        event_name = str(event_method)
        telemetry.report_error(
            unwrap(exc),
            source=n.SOURCE_EVENT,
            where=f"event {event_name}",
            attributes={n.ATTR_EVENT: event_name.removeprefix("on_")},
        )
    except Exception as failure:
        swallow("event error", failure)


def _shim(client: Any, registered: ErrorHandler | None) -> ErrorHandler:
    ref = weakref.ref(client)

    async def on_error(event_method: str, /, *args: Any, **kwargs: Any) -> Any:
        _record(event_method)
        if registered is not None:
            return await registered(event_method, *args, **kwargs)
        return await class_handler(ref())(event_method, *args, **kwargs)

    setattr(on_error, SHIM, True)
    on_error.__wrapped__ = registered  # type: ignore[attr-defined]
    return on_error


def make_on_error(original: ErrorHandler) -> ErrorHandler:
    """Wrap ``Client.on_error`` (the library's handler): note the exception, then run it."""

    def on_error(self: Any, event_method: str, /, *args: Any, **kwargs: Any) -> Any:
        # Called inside _run_event's except block: the exception is sys.exc_info()'s.
        # A shimmed bot's override that calls super().on_error was noted by its shim.
        try:
            shimmed = getattr(own_handler(self), SHIM, False)
        except Exception:  # a bot whose attribute lookup fails: note it anyway
            shimmed = False
        if not shimmed:
            _record(event_method)
        return original(self, event_method, *args, **kwargs)

    return on_error


def own_handler(client: Any) -> Any:
    """The ``on_error`` set on ``client`` itself (``@client.event``, or our shim), else None.

    Read with ``getattr``: the class's handler comes back as a method bound to
    ``client``; anything else is the instance's own.
    """
    found = getattr(client, "on_error", None)
    if (
        isinstance(found, types.MethodType)
        and found.__self__ is client
        and found.__func__ is getattr(type(client), "on_error", None)
    ):
        return None
    return found


def _class_hooked(client: Any) -> bool:
    """Whether the handler ``client`` runs is the library's, through our class-level hook."""
    return bool(getattr(getattr(type(client), "on_error", None), MARKER, False))


def hook_on_error(client: Any) -> None:
    """See to it that ``client``'s event errors are noted, once (the dispatch hook calls
    this for a client it does not remember).

    The class-level hook covers a bot that keeps the library's handler; a bot with its
    own handler gets the shim.
    """
    if client in _hooked:
        return
    _hooked.add(client)  # tracked either way: a handler registered later is shimmed
    own = own_handler(client)
    if own is None and _class_hooked(client):
        return
    if own is not None and getattr(own, SHIM, False):
        return
    client.on_error = _shim(client, own)


def make_event(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``Client.event`` so an ``on_error`` registered later is shimmed too."""

    def event(self: Any, coro: Any, /) -> Any:
        result = original(self, coro)
        if getattr(coro, "__name__", "") == "on_error" and self in _hooked:
            try:
                self.on_error = _shim(self, own_handler(self))
            except Exception as failure:
                swallow("event on_error", failure)
        return result

    return event


def unhook_all() -> None:
    """Put every shimmed client's own ``on_error`` back (on uninstrument)."""
    for client in list(_hooked):
        remove_shim(client, own_handler(client))  # the class-level hook is the patcher's
    _hooked.clear()
