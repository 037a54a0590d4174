"""The hook on ``Client.dispatch``: every event.

``dispatch`` runs for every gateway event, so its wrapper does the least it can:
one global read, two identity checks for the client, one cached attribute lookup,
one counter add, one dict miss. Event-handler errors are observed by the
client's ``on_error`` shim (``_event_errors``), which the first dispatch installs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from otel_discord.instrumentation import _state
from otel_discord.instrumentation._event_errors import hook_on_error
from otel_discord.instrumentation._events import HANDLERS
from otel_discord.instrumentation._safety import swallow

Dispatch = Callable[..., None]


def make_dispatch(original: Dispatch) -> Dispatch:
    """Wrap ``Client.dispatch``; the original always runs, telemetry first."""

    def dispatch(self: Any, event: str, /, *args: Any, **kwargs: Any) -> None:
        telemetry = _state.current
        if telemetry is not None:
            try:
                telemetry.clients.see(self)
                hook_on_error(self)
                telemetry.count_event(event)
                handler = HANDLERS.get(event)
                if handler is not None:
                    handler(telemetry, self, args)
            except Exception as exc:
                swallow(f"dispatch {event}", exc)
        return original(self, event, *args, **kwargs)

    return dispatch
