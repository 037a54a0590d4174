"""The hook on ``Client.dispatch``: every event.

``dispatch`` runs for every gateway event, so its wrapper does the least it can,
inline rather than through method calls (each Python call costs about as much as
the rest of the work): one global read, one identity check for the client, one
dict increment for the event's count, one dict miss for the handler table.
Event-handler errors are observed by the client's ``on_error`` shim
(``_event_errors``), which the first dispatch from a client installs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from otel_discord.instrumentation import _state
from otel_discord.instrumentation._event_errors import hook_on_error
from otel_discord.instrumentation._events import HANDLERS
from otel_discord.instrumentation._safety import swallow
from otel_discord.instrumentation._telemetry import NOT_COUNTED

Dispatch = Callable[..., None]


def make_dispatch(original: Dispatch) -> Dispatch:
    """Wrap ``Client.dispatch``; the original always runs, telemetry first."""
    handlers = HANDLERS

    def dispatch(self: Any, event: str, /, *args: Any, **kwargs: Any) -> None:
        telemetry = _state.current
        if telemetry is not None:
            try:
                clients = telemetry.clients
                if clients.last() is not self:  # a client not seen last: rare
                    clients.see(self)
                    hook_on_error(self)
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
