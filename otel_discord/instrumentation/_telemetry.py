"""The instruments, tracer and logger one ``instrument()`` call creates.

Attribute mappings for the hot paths are built once here and reused. Everything
counted per event or per command (events, payloads, messages, reactions, voice
changes, commands, unknown commands) is a plain tally read by an observable
counter at collection time: an SDK ``Counter.add`` costs about 70 Python calls
(attribute cleaning, hashing, locking), a tally one dict increment. Per command
the only synchronous SDK call left is the span; the duration histogram's record
is queued and replayed into the SDK's aggregations at collection time
(``_histogram_tally``).
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Mapping
from typing import Any, Final

from opentelemetry import _logs, metrics, trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.context import Context
from opentelemetry.util.types import AttributeValue

from otel_discord.exception_ids import ATTR_EXCEPTION_ID, exception_id
from otel_discord.instrumentation import _names as n
from otel_discord.instrumentation._command_spans import CommandSpans
from otel_discord.instrumentation._errors import ErrorKinds, error_type, stacktrace
from otel_discord.instrumentation._gauges import ClientRegistry, slot_for
from otel_discord.instrumentation._histogram_tally import Records, fast_histogram
from otel_discord.instrumentation._options import Options
from otel_discord.instrumentation._shapes import ShapeCache
from otel_discord.instrumentation._tally import (
    MAX_ATTRIBUTE_SETS,
    OVERFLOW_ATTRIBUTES,
    Cell,
    CellTally,
    Tally,
)
from otel_discord.instrumentation.version import __version__

Attrs = Mapping[str, AttributeValue]

_ROWS: Final = {row.name: row for row in n.NAMES}
MAX_EVENT_NAMES: Final = 512
"""Distinct event names (and payload types) kept as attribute values; later ones count
as ``_OTHER`` (event names the instrumentation acts on always keep their own)."""

MAX_PLANNED_NAMES: Final = 4096
"""Lookup entries a hot-path plan keeps (names past ``MAX_EVENT_NAMES`` map to the
``_OTHER`` cell); past this, unseen keys take the slow path every time: bounded memory."""

NOT_COUNTED: Final = frozenset({"socket_event_type", "socket_raw_receive", "socket_raw_send"})
"""Meta events about raw payloads; counting them would double ``discord.gateway.events``."""

OTHER: Final = "_OTHER"

_MESSAGE_OVERFLOW: Final = ("otel.metric.overflow",)
"""The ``discord.messages`` cell of guilds past the limit (with guild ids as attributes)."""

DURATION_BUCKETS: Final = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0
)  # fmt: skip
"""Bucket bounds in seconds for ``discord.command.duration`` (the semantic conventions'
advice for request durations); the SDK's defaults (0, 5, 10, 25 ... 10000) suit
milliseconds and would put every command in the first bucket."""


class Recorder:
    """Everything the patched callables record through."""

    def __init__(
        self,
        options: Options,
        error_kinds: ErrorKinds,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        logger_provider: _logs.LoggerProvider | None = None,
    ) -> None:
        self.options = options
        self.per_run_attributes = (
            options.guild_ids_as_attributes
            or options.user_ids_as_attributes
            or options.capture_message_content
        )
        """Whether command spans carry ids or content, i.e. attributes that differ per run."""
        self.shapes = ShapeCache()
        self.prefix_shapes = self.shapes.kinds[n.KIND_PREFIX]
        """Prefix command shapes by name (``shapes.get`` builds a missing one)."""
        self.command_spans = CommandSpans()
        """Prefix and app command spans (the SDK's ReadableSpan, ended on the loop)."""
        self.error_kinds = error_kinds
        self.tracer = trace.get_tracer(n.SCOPE, __version__, tracer_provider)
        self.meter = metrics.get_meter(n.SCOPE, __version__, meter_provider)
        self.logger = _logs.get_logger(n.SCOPE, __version__, logger_provider=logger_provider)
        self.clients = ClientRegistry(options.event_loop_lag_interval)
        self.seen_client: Any = None
        """The client the dispatch hook saw last (tracked, its ``on_error`` seen to): an
        identity check per event tells it apart from one not seen yet. ``direct_bot`` is
        that client too if the hook on ``BotBase.dispatch`` may skip its ``super()`` call
        (``_dispatch.direct_route``), else None."""
        self.direct_bot: Any = None
        self.known_clients: tuple[weakref.ref[Any], ...] = ()
        """The clients tracked lately, newest first, weakly (``_dispatch.KNOWN_CLIENTS``)."""
        self._slot = slot_for(meter_provider or metrics.get_meter_provider(), self.meter)
        self._slot.registry = self.clients
        self._events = self._slot.events
        self._payloads = self._slot.payloads
        self._messages = self._slot.messages
        self.reactions = self._slot.reactions
        self.voice_changes = self._slot.voice_changes
        self.commands = self._slot.commands
        self.commands_unknown = self._slot.commands_unknown
        self.active_users = self._slot.active_users
        self.event_plan: dict[str, Cell] = {}
        """Event name -> ``[count, action, handler]`` (``_events.plan_event`` fills it)."""
        self.payload_plan: dict[Any, Cell] = {}
        """Gateway payload type -> its count cell."""
        self.guild_message_plan: dict[Any, Cell] = {}
        """Channel type (discord's enum value) -> count cell, for messages in a guild."""
        self.direct_message_plan: dict[Any, Cell] = {}
        """The same for messages outside any guild (DMs, group DMs)."""
        self.count_bot_messages = options.include_bot_messages
        self.message_guild_ids = options.guild_ids_as_attributes
        """Messages in guilds are keyed by guild id too: always ``count_message``."""
        self.message_sets_limit = MAX_ATTRIBUTE_SETS
        """``discord.messages`` attribute sets kept; messages of guilds past it count under
        ``otel.metric.overflow`` (as the SDK's cardinality limit would): bounded memory."""
        self.command_duration: Records = fast_histogram(
            self.meter,
            self.meter.create_histogram(
                n.COMMAND_DURATION,
                unit="s",
                description=_ROWS[n.COMMAND_DURATION].meaning,
                explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
            ),
        )
        self.guild_changes = self._counter(n.GUILD_CHANGES)
        self.member_changes = self._counter(n.MEMBER_CHANGES)
        self.errors = self._counter(n.ERRORS)
        self.reconnects = self._counter(n.GATEWAY_RECONNECTS)
        self.ratelimit_hits = self._counter(n.RATELIMIT_HITS)
        self.change_attrs: dict[str, Attrs] = {
            change: {n.ATTR_CHANGE: change}
            for change in (*n.VOICE_CHANGE_VALUES, n.CHANGE_ADD, n.CHANGE_REMOVE)
        }
        self.gateway_kind_attrs: dict[str, Attrs] = {
            kind: {n.ATTR_GATEWAY_KIND: kind} for kind in (n.GATEWAY_RESUME, n.GATEWAY_RECONNECT)
        }
        self._unknown_attrs: dict[str, Attrs] = {}

    def close(self) -> None:
        """Stop background probes; gauges report nothing from now on."""
        self.clients.close()
        self.seen_client = None
        self.direct_bot = None
        self.known_clients = ()
        self.command_spans.close()
        if self._slot.registry is self.clients:
            self._slot.registry = None

    def _counter(self, name: str) -> metrics.Counter:
        row = _ROWS[name]
        return self.meter.create_counter(name, unit=row.unit, description=row.meaning)

    @property
    def events(self) -> CellTally:
        """Counts of ``discord.gateway.events`` (``_events.plan_event`` makes their cells)."""
        return self._events

    def count_payload(self, event_type: Any) -> None:
        """Count one raw gateway payload by its type (``MESSAGE_CREATE``...); the slow path.

        The dispatch hook bumps ``payload_plan[event_type]`` itself for types seen before.
        """
        key = str(event_type)
        tally = self._payloads
        if key not in tally and tally.reported >= MAX_EVENT_NAMES:
            key = OTHER
        cell = tally.cell(key, {n.ATTR_GATEWAY_EVENT_TYPE: key})
        cell[0] += 1
        if len(self.payload_plan) < MAX_PLANNED_NAMES:
            self.payload_plan[event_type] = cell

    def count_message(self, channel_type: Any, guild: Any) -> None:
        """Count one message by channel type and guild presence (and guild id if configured).

        ``channel_type`` is the channel's ``type`` (discord's enum value, or None). The
        message hook bumps ``guild_message_plan``/``direct_message_plan`` itself for types
        seen before; this is the slow path, and every guild message's path with guild ids.
        """
        name = str(getattr(channel_type, "name", None) or "unknown")
        in_guild = guild is not None
        guild_id = guild.id if in_guild and self.message_guild_ids else None
        attrs: dict[str, AttributeValue] = {
            n.ATTR_CHANNEL_TYPE: name,
            n.ATTR_GUILD_PRESENT: in_guild,
        }
        key: tuple[Any, ...] = (name, in_guild, guild_id)
        reported: Attrs = attrs
        tally = self._messages
        if guild_id is not None:
            attrs[n.ATTR_GUILD_ID] = str(guild_id)
            if key not in tally and tally.reported >= self.message_sets_limit:
                key, reported = _MESSAGE_OVERFLOW, OVERFLOW_ATTRIBUTES
        cell = tally.cell(key, reported)
        cell[0] += 1
        if guild_id is not None:
            return  # per guild: not cached by channel type alone
        plan = self.guild_message_plan if in_guild else self.direct_message_plan
        if len(plan) < MAX_PLANNED_NAMES:
            with contextlib.suppress(TypeError):  # an unhashable type: counted, not cached
                plan[channel_type] = cell

    def count_change(self, tally: Tally, change: str) -> None:
        """Count one voice change or reaction."""
        counts = tally.counts
        if change in counts:
            counts[change] += 1
        else:
            tally.add(change, self.change_attrs[change])

    def count_unknown_command(self, kind: str) -> None:
        """Count an invocation of a command the bot does not have."""
        attrs = self._unknown_attrs.get(kind)
        if attrs is None:
            attrs = self._unknown_attrs[kind] = {n.ATTR_COMMAND_KIND: kind}
        self.commands_unknown.add(1, attrs)

    def emit_event(self, event_name: str, body: str, attributes: dict[str, AttributeValue]) -> None:
        """Emit an INFO log event (``event.name`` routes it to the analytics channel)."""
        attributes[n.ATTR_EVENT_NAME] = event_name
        self.logger.emit(
            severity_number=SeverityNumber.INFO,
            severity_text="INFO",
            body=body,
            attributes=attributes,
            event_name=event_name,
        )

    def report_error(
        self,
        exc: BaseException,
        *,
        source: str,
        where: str,
        attributes: Mapping[str, Any],
        context: Context | None = None,
    ) -> None:
        """Count a bug in the bot's code and emit it as an ERROR log with the traceback."""
        kind = error_type(exc)
        self.errors.add(1, {n.ATTR_ERROR_TYPE: kind, n.ATTR_ERROR_SOURCE: source})
        self.logger.emit(
            severity_number=SeverityNumber.ERROR,
            severity_text="ERROR",
            body=f"Unhandled exception in {where}",
            attributes={
                **attributes,
                n.ATTR_EXCEPTION_TYPE: kind,
                n.ATTR_EXCEPTION_MESSAGE: str(exc),
                n.ATTR_EXCEPTION_STACKTRACE: stacktrace(exc),
                n.ATTR_ERROR_TYPE: kind,
                n.ATTR_ERROR_SOURCE: source,
                ATTR_EXCEPTION_ID: exception_id(exc),
            },
            context=context,
        )
