"""Hooks on ``Client.dispatch`` (every event) and ``Client._run_event`` (every handler).

``dispatch`` runs for every gateway event, so its wrapper does the least it can,
inline rather than through method calls (each Python call costs about as much as
the rest of the work): one global read, one identity check for the client, one
dict increment for the event's count, one dict miss for the handler table.
``_run_event`` is where every event handler's exception lands before
``on_error``; the handler coroutine is wrapped so the exception is recorded and
re-raised unchanged, and ``on_error`` (discord.py's or the bot's) still gets it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from otel_discord.instrumentation import _names as n
from otel_discord.instrumentation import _state
from otel_discord.instrumentation._errors import unwrap
from otel_discord.instrumentation._events import HANDLERS
from otel_discord.instrumentation._safety import swallow
from otel_discord.instrumentation._telemetry import NOT_COUNTED

Dispatch = Callable[..., None]
RunEvent = Callable[..., Coroutine[Any, Any, None]]


def make_dispatch(original: Dispatch) -> Dispatch:
    """Wrap ``Client.dispatch``; the original always runs, telemetry first."""
    handlers = HANDLERS

    def dispatch(self: Any, event: str, /, *args: Any, **kwargs: Any) -> None:
        telemetry = _state.current
        if telemetry is not None:
            try:
                clients = telemetry.clients
                if clients.last() is not self:
                    clients.see(self)
                counts = telemetry.event_counts
                if event in counts:
                    counts[event] += 1
                elif event not in NOT_COUNTED:
                    telemetry.count_event(event)
                handler = handlers.get(event)
                if handler is not None:
                    handler(telemetry, self, args)
            except Exception as exc:
                swallow(f"dispatch {event}", exc)
        return original(self, event, *args, **kwargs)

    return dispatch


def _record_event_error(event_name: str, exc: BaseException) -> None:
    telemetry = _state.current
    if telemetry is None:
        return
    try:
        raw = unwrap(exc)
        event = event_name.removeprefix("on_")
        telemetry.report_error(
            raw,
            source=n.SOURCE_EVENT,
            where=f"event {event_name}",
            attributes={n.ATTR_EVENT: event},
        )
    except Exception as failure:
        swallow("event error", failure)


def make_run_event(original: RunEvent) -> RunEvent:
    """Wrap ``Client._run_event``; the handler's exception is noted, then re-raised.

    A plain function returning the original's coroutine (``_schedule_event`` makes a
    task of it), so only the handler gets a frame of ours, not ``_run_event`` too.
    """

    def _run_event(
        self: Any,
        coro: Callable[..., Coroutine[Any, Any, Any]],
        event_name: str,
        *args: Any,
        **kwargs: Any,
    ) -> Coroutine[Any, Any, None]:
        if _state.current is None:
            return original(self, coro, event_name, *args, **kwargs)

        async def observed(*call_args: Any, **call_kwargs: Any) -> Any:
            try:
                return await coro(*call_args, **call_kwargs)
            except Exception as exc:
                _record_event_error(event_name, exc)
                raise

        return original(self, observed, event_name, *args, **kwargs)

    return _run_event
