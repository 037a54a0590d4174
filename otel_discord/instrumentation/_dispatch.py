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

A discord.py ``commands.Bot`` runs ``BotBase.dispatch`` first, whose ``super()`` call
reaches the hook: a second hook on ``BotBase.dispatch`` (``make_bot_dispatch``) does
both in one frame where that is the library's own path (its stock bytecode, nothing
between it and ``Client`` in the bot's MRO, our ``Client`` hook still in place).
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
    telemetry.direct_bot = client if direct_route(client) else None


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
        telemetry.direct_bot = None
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


class Route:
    """A bot hook's way past ``super().dispatch``: the library's ``Client`` and our hook on it."""

    __slots__ = ("base", "client", "client_hook", "client_original", "verdicts")

    def __init__(self, base: type, client: type, client_hook: Dispatch) -> None:
        self.base = base
        self.client = client
        self.client_hook = client_hook
        self.client_original: Dispatch = client_hook.__wrapped__  # type: ignore[attr-defined]
        self.verdicts: dict[type, bool] = {}
        """Bot class -> whether its route is direct (a class's MRO never changes)."""

    def direct(self, cls: type) -> bool:
        """Whether ``cls``'s ``super().dispatch`` from ``base`` is our hook on ``client``."""
        verdict = self.verdicts.get(cls)
        if verdict is None:
            mro = cls.__mro__
            after = mro[mro.index(self.base) + 1 :]
            definer = next((klass for klass in after if "dispatch" in vars(klass)), None)
            verdict = definer is self.client and vars(definer)["dispatch"] is self.client_hook
            if len(self.verdicts) < _VERDICTS_KEPT:
                self.verdicts[cls] = verdict
        return verdict


_VERDICTS_KEPT: Final = 64


_routes: dict[type, Route] = {}
"""``BotBase`` class -> its route, for the bot hooks installed (``make_bot_dispatch``)."""


def direct_route(client: Any) -> bool:
    """Whether ``client``'s ``super().dispatch`` from ``BotBase`` reaches our ``Client`` hook
    with nothing in between (no mixin's ``dispatch``), so the bot hook may do both at once."""
    cls = type(client)
    return any(route.direct(cls) for base, route in _routes.items() if issubclass(cls, base))


class _StockBotBase:
    """discord.py's ``BotBase.dispatch``, compiled here to compare with the installed one."""

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        # super() will resolve to Client
        super().dispatch(event_name, *args, **kwargs)  # type: ignore[misc]
        ev = "on_" + event_name
        for event in self.extra_events.get(ev, []):  # type: ignore[attr-defined]
            self._schedule_event(event, ev, *args, **kwargs)  # type: ignore[attr-defined]


_CODE_FIELDS: Final = (
    "co_code",
    "co_consts",
    "co_names",
    "co_varnames",
    "co_freevars",
    "co_cellvars",
    "co_argcount",
    "co_posonlyargcount",
    "co_kwonlyargcount",
    "co_flags",
    "co_exceptiontable",
)


def stock_bot_dispatch(function: Any) -> bool:
    """Whether ``function`` is, bytecode for bytecode, the ``BotBase.dispatch`` above."""
    code = getattr(function, "__code__", None)
    reference = _StockBotBase.dispatch.__code__
    try:
        return code is not None and all(
            getattr(code, field) == getattr(reference, field) for field in _CODE_FIELDS
        )
    except AttributeError:  # another interpreter's code objects: not ours to guess
        return False


def make_bot_dispatch(base: type, client: type) -> Callable[[Dispatch], Dispatch] | None:
    """The factory of the hook on ``BotBase.dispatch``, or None where it can't apply.

    A bot's every event runs ``BotBase.dispatch``, whose ``super().dispatch`` is our
    ``Client`` hook: two frames of the library's and ours. The bot hook counts the
    event itself and runs ``BotBase.dispatch``'s body with the library's own
    ``Client.dispatch`` in place of ``super().dispatch`` (a frame less per event, about
    1k instructions). Only where that is the same thing: the installed
    ``BotBase.dispatch`` is the stock one (``stock_bot_dispatch``), our hook is on
    ``client``, and the bot's class puts no other ``dispatch`` between the two
    (``direct_route``, once per client); else the library's own path runs.
    """
    client_hook = vars(client).get("dispatch")
    if not stock_bot_dispatch(vars(base).get("dispatch")) or not getattr(
        client_hook, "__wrapped__", None
    ):
        return None

    def factory(original: Dispatch) -> Dispatch:
        route = Route(base, client, client_hook)  # type: ignore[arg-type]
        _routes[base] = route
        return make_dispatch(original, route)

    return factory


def make_dispatch(  # noqa: PLR0915 (one flat hook on purpose)
    original: Dispatch, route: Route | None = None
) -> Dispatch:
    """Wrap ``Client.dispatch`` (or, with ``route``, ``BotBase.dispatch``); the original runs,
    telemetry first.

    The event's first argument has a parameter of its own: nearly every event has
    exactly one (a message, a payload type, a context), and a named parameter costs
    less than a ``*args`` tuple to build and index (about 400 instructions a dispatch).
    """
    bot = route is not None
    client = route.client if route is not None else None
    client_hook = route.client_hook if route is not None else None
    client_original = route.client_original if route is not None else original

    # One flat function on purpose: on this path a call costs as much as the work it saves.
    def dispatch(  # noqa: PLR0912, PLR0915
        self: Any, event: str, arg: Any = _NO_ARGUMENT, /, *args: Any, **kwargs: Any
    ) -> None:
        telemetry = _state.current
        if bot and (
            telemetry is None
            or self is not telemetry.direct_bot
            or client.dispatch is not client_hook  # type: ignore[union-attr]  # re-patched since
        ):  # the library's BotBase.dispatch, whose super() call reaches our Client hook
            if arg is _NO_ARGUMENT:
                return original(self, event, *args, **kwargs)
            return original(self, event, arg, *args, **kwargs)
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
            if arg is not _NO_ARGUMENT:
                args = (arg, *args)
            if not bot:
                return original(self, event, *args, **kwargs)
            client_original(self, event, *args, **kwargs)
            ev = "on_" + event  # the rest of BotBase.dispatch, as the library has it
            for handler in self.extra_events.get(ev, []):
                self._schedule_event(handler, ev, *args, **kwargs)
            return None
        if bot:  # most events: one argument
            client_original(self, event, arg)
            ev = "on_" + event
            for handler in self.extra_events.get(ev, []):
                self._schedule_event(handler, ev, arg)
            return None
        return original(self, event, arg)

    return dispatch
