"""The hook on ``Client.dispatch``: every event.

``dispatch`` runs for every gateway event (twice per message: its raw
``socket_event_type`` and ``message``; three more times per command), so its
wrapper does the least it can, inline rather than through calls (a Python call
costs about as much as the rest of the work): one global read, an identity check
for the client seen last (the client carries no mark of ours), one dict lookup for
the event's cell ``[count, action, handler]`` and a list increment. A message or a
payload type costs one more lookup and increment; other actions call their handler.
Unseen keys take the slow path (``KeyError``: free to set up, paid once per key).
Event-handler errors are observed by the ``Client.on_error`` hook, or by the shim
that the first dispatch from a client with a handler of its own installs
(``_event_errors``).
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final

from otel_discord.instrumentation import _state
from otel_discord.instrumentation._active_users import CAP as ACTIVE_USERS_CAP
from otel_discord.instrumentation._event_errors import hook_on_error
from otel_discord.instrumentation._events import MESSAGE, PAYLOAD, plan_event
from otel_discord.instrumentation._safety import swallow

if TYPE_CHECKING:
    from otel_discord.instrumentation._telemetry import Recorder

Dispatch = Callable[..., None]


KNOWN_CLIENTS: Final = 8
"""Clients remembered as tracked: bots that take turns (several in one process) pay the
tracking once each, not at every switch."""


def _see(telemetry: Recorder, client: Any) -> None:
    """Track ``client`` (gauges, loop lag) and see to its ``on_error`` (``hook_on_error``), once.

    Known clients are remembered by weak reference (this runs only at a switch of
    client), and ``forget`` drops the one seen last when it closes: no closed bot is
    kept alive by the hook.
    """
    known = telemetry.known_clients
    if not any(seen() is client for seen in known):
        telemetry.clients.see(client)
        hook_on_error(client)
        telemetry.known_clients = (weakref.ref(client), *known[: KNOWN_CLIENTS - 1])
    telemetry.seen_client = client


def forget(telemetry: Recorder, client: Any) -> None:
    """Drop the hook's references to ``client`` once it has closed.

    The client seen last is held strongly (an identity check per event is all the hot
    path can afford; a weak reference's call costs about 375 instructions a dispatch).
    Held past its close, a bot keeps its module alive through the instrumentation's
    threads, and at interpreter exit the garbage collector then never reaches what the
    module holds: asyncio's "Task exception was never retrieved" for a failed
    ``tasks.loop`` would never be printed.
    """
    if telemetry.seen_client is client:
        telemetry.seen_client = None
    telemetry.known_clients = tuple(ref for ref in telemetry.known_clients if ref() is not client)


def make_close(original: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """Wrap ``Client.close``: the client is forgotten once it has closed (``forget``)."""

    async def close(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            await original(self, *args, **kwargs)
        finally:
            telemetry = _state.current
            if telemetry is not None:
                forget(telemetry, self)

    return close


_NO_ARGUMENT: Final = object()
"""The dispatch hook's default for an event's first argument: the event had none."""


def make_dispatch(original: Dispatch) -> Dispatch:  # noqa: PLR0915 - see dispatch
    """Wrap ``Client.dispatch``; the original always runs, telemetry first.

    The event's first argument has a parameter of its own: nearly every event has
    exactly one (a message, a payload type, a context), and a named parameter costs
    less than a ``*args`` tuple to build and index (about 400 instructions a dispatch).
    """

    # One flat function on purpose: on this path a call costs as much as the work it saves.
    def dispatch(  # noqa: PLR0912, PLR0915
        self: Any, event: str, arg: Any = _NO_ARGUMENT, /, *args: Any, **kwargs: Any
    ) -> None:
        telemetry = _state.current
        if telemetry is not None:
            try:
                if self is not telemetry.seen_client:  # another client than last time
                    _see(telemetry, self)
                try:
                    cell = telemetry.event_plan[event]
                except KeyError:
                    cell = plan_event(telemetry, event)
                cell[0] += 1
                action = cell[1]
                if action:
                    if action == PAYLOAD:
                        try:
                            telemetry.payload_plan[arg][0] += 1
                        except (KeyError, TypeError):
                            if arg is _NO_ARGUMENT:
                                raise IndexError("no payload type") from None
                            telemetry.count_payload(arg)
                    elif action == MESSAGE:
                        message = arg  # none: _NO_ARGUMENT has no author (reported, not raised)
                        author = message.author
                        if telemetry.count_bot_messages or not author.bot:
                            users = telemetry.active_users.ids
                            users.add(author.id)
                            if len(users) > ACTIVE_USERS_CAP:
                                telemetry.active_users.thin()
                            guild = message.guild
                            try:
                                kind = message.channel.type
                            except AttributeError:
                                kind = None
                            if guild is None:
                                plan = telemetry.direct_message_plan
                            elif telemetry.message_guild_ids:
                                plan = None  # keyed by guild id too: the slow path
                            else:
                                plan = telemetry.guild_message_plan
                            if plan is None:
                                telemetry.count_message(kind, guild)
                            else:
                                try:
                                    plan[kind][0] += 1
                                except (KeyError, TypeError):
                                    telemetry.count_message(kind, guild)
                    else:
                        cell[2](telemetry, self, args if arg is _NO_ARGUMENT else (arg, *args))
            except Exception as exc:
                swallow(f"dispatch {event}", exc)
        if args or kwargs or arg is _NO_ARGUMENT:
            if arg is _NO_ARGUMENT:  # then there are no further positional arguments
                return original(self, event, **kwargs)
            return original(self, event, arg, *args, **kwargs)
        return original(self, event, arg)  # most events: one argument

    return dispatch
