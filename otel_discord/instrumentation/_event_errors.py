"""Event-handler exceptions, observed where they land without adding a frame to them.

``Client._run_event`` catches a handler's exception and awaits ``self.on_error``
inside its ``except`` block, where ``sys.exc_info()`` is that exception. Wrapping
the handler coroutine instead would put a frame of ours into every traceback the
bot prints. So each client gets an instance-level ``on_error`` shim that notes
the exception and then runs the real handler: the class's (a subclass override
included) or the one the bot registered with ``@client.event`` (re-wrapped by
the ``Client.event`` hook). Nothing changes in what runs or what is printed.

The shim is the only attribute of ours on the client, and the client's own handler
is found with ``getattr``, not ``vars()``: on CPython 3.11+ reading an instance's
``__dict__`` makes it keep a dict from then on, and every attribute lookup on that
bot (in discord.py's code and the bot's own) takes the slower path.
"""

from __future__ import annotations

import sys
import types
import weakref
from collections.abc import Callable, Coroutine
from typing import Any, Final

from otel_discord.exception_ids import innermost as unwrap
from otel_discord.exception_ids import mark_escaped
from otel_discord.instrumentation import _names as n
from otel_discord.instrumentation import _state
from otel_discord.instrumentation._disnake_listeners import note_listener_error
from otel_discord.instrumentation._safety import swallow

SHIM: Final = "__otel_discord_on_error__"
ErrorHandler = Callable[..., Coroutine[Any, Any, Any]]

_hooked: weakref.WeakSet[Any] = weakref.WeakSet()
_last: list[Callable[[], Any]] = [lambda: None]


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
        owner: Any = ref()
        return await type(owner).on_error(owner, event_method, *args, **kwargs)

    setattr(on_error, SHIM, True)
    on_error.__wrapped__ = registered  # type: ignore[attr-defined]
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


def hook_on_error(client: Any) -> None:
    """Give ``client`` the shim (once; cheap for the client seen last)."""
    if _last[0]() is client:
        return
    _last[0] = weakref.ref(client)
    if client in _hooked:
        return
    own = own_handler(client)
    if own is not None and getattr(own, SHIM, False):
        return
    client.on_error = _shim(client, own)
    _hooked.add(client)


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
    """Put every client's own ``on_error`` back (on uninstrument)."""
    for client in list(_hooked):
        own = own_handler(client)
        if own is not None and getattr(own, SHIM, False):
            registered = own.__wrapped__
            if registered is None:
                del client.on_error
            else:
                client.on_error = registered
    _hooked.clear()
    _last[0] = lambda: None
