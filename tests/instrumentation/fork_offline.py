"""Drive a real bot of any discord.py flavour offline, the way ``otel_discord.offline.bot``
drives discord.py: raw gateway payloads into ``ConnectionState.parsers``, Discord's REST API
and the interaction-callback webhook answered here (they are outside the machine).

Works for py-cord (``discord``), nextcord and disnake; nothing here imports a library, the
bot's own module is handed in. Used by ``tests/instrumentation/test_fork_*.py``, which run
in one venv per fork (``make test-fork``), and by the fork bots run as scripts under
``opentelemetry-instrument``.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_discord.instrumentation import DiscordInstrumentor, _safety
from otel_discord.offline import payloads as g

Point = tuple[dict[str, Any], Any]
COMPONENT, MODAL_SUBMIT = 3, 5  # interaction types
BUTTON, STRING_SELECT, TEXT_INPUT = 2, 3, 4  # component types


@dataclass
class FakeDiscord:
    """Discord's REST API and the interaction webhook, as far as the test bots use them."""

    bot_user: dict[str, Any]
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    commands: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Global application commands registered by the bot, by name."""
    channel_id: str = ""
    """Where interaction responses are posted."""

    def _register(self, payload: dict[str, Any]) -> dict[str, Any]:
        command = {
            "type": 1,
            "description": "",
            "options": [],
            **payload,
            "id": g.snowflake(),
            "application_id": self.bot_user["id"],
            "version": g.snowflake(),
        }
        self.commands[command["name"]] = command
        return command

    async def request(self, route: Any, **kwargs: Any) -> Any:
        """``HTTPClient.request``: record the call and answer like Discord does."""
        payload = kwargs.get("json")
        if payload is None and kwargs.get("form"):
            payload = _form_json(kwargs["form"])
        self.calls.append((route.method, route.path, payload))
        if route.method == "POST" and route.path == "/channels/{channel_id}/messages":
            content = (payload or {}).get("content") or ""
            return g.message_create(str(route.channel_id), self.bot_user, content)
        if route.method == "DELETE":
            return None
        if route.path == "/applications/{application_id}/commands":
            if route.method == "POST":
                return self._register(payload)
            if route.method == "PUT":
                return [self._register(command) for command in payload]
            return list(self.commands.values())
        if route.path == "/applications/{application_id}/guilds/{guild_id}/commands":
            return []  # the test bots register global commands only
        if route.method == "GET" and route.path == "/soundboard-default-sounds":
            return []  # py-cord fetches these once READY
        msg = f"FakeDiscord has no answer for {route.method} {route.path}"
        raise AssertionError(msg)

    async def webhook(self, route: Any, session: Any = None, **kwargs: Any) -> Any:
        """``AsyncWebhookAdapter.request``: interaction callbacks and follow-ups."""
        payload = kwargs.get("payload")
        if payload is None and kwargs.get("multipart"):
            payload = _form_json(kwargs["multipart"])
        self.calls.append((route.method, route.path, payload))
        if route.path.endswith("/callback"):
            interaction = {"id": str(route.webhook_id), "type": 2}
            return {"interaction": interaction, "resource": {"type": 4}}
        if route.method == "GET" and route.path.endswith("/messages/@original"):
            return g.message_create(self.channel_id, self.bot_user, "")  # py-cord, for a view
        return None

    def replies(self) -> list[str]:
        """What the bot said: message contents and interaction responses, in order."""
        out = []
        for method, _, payload in self.calls:
            if method != "POST" or not isinstance(payload, dict):
                continue
            data = payload.get("data") if "data" in payload else payload
            if isinstance(data, dict) and data.get("content"):
                out.append(str(data["content"]))
        return out


def _form_json(form: Any) -> Any:
    import json

    for part in form:
        if part.get("name") == "payload_json":
            return json.loads(part["value"])
    return None


@dataclass
class World:
    """A bot that is logged in, in one guild with a text channel, Alice and itself."""

    bot: Any
    discord: FakeDiscord
    bot_user: dict[str, Any]
    guild_id: str
    text_id: str
    alice: dict[str, Any]

    def feed(self, event: str, payload: dict[str, Any]) -> None:
        """Deliver one gateway event to the bot."""
        g.feed(self.bot, event, payload)

    def say(self, content: str, author: dict[str, Any] | None = None) -> None:
        """Alice (or ``author``) writes ``content`` in the text channel."""
        self.feed(
            "MESSAGE_CREATE",
            g.message_create(self.text_id, author or self.alice, content, guild_id=self.guild_id),
        )

    def interact(self, name: str, **kwargs: Any) -> None:
        """Alice runs an application command (``command_type`` 1 slash, 2 user, 3 message).

        The command id is the one Discord gave the command when the bot registered it.
        """
        payload = g.interaction_create(
            self.bot_user["id"],
            name,
            guild_id=self.guild_id,
            channel_id=self.text_id,
            invoker=self.alice,
            **kwargs,
        )
        registered = self.discord.commands.get(name)
        if registered is not None:
            payload["data"]["id"] = registered["id"]
        self.feed("INTERACTION_CREATE", payload)

    def user_menu(self, name: str) -> None:
        """Alice runs the user command ``name`` on herself."""
        self.interact(
            name,
            command_type=2,
            target_id=self.alice["id"],
            resolved={"users": {self.alice["id"]: self.alice}},
        )

    def message_menu(self, name: str) -> None:
        """Alice runs the message command ``name`` on one of her messages."""
        message = g.message_create(self.text_id, self.alice, "quotable", guild_id=self.guild_id)
        self.interact(
            name,
            command_type=3,
            target_id=message["id"],
            resolved={"messages": {message["id"]: message}},
        )

    def click(self, custom_id: str, values: list[str] | None = None) -> None:
        """Alice clicks the button ``custom_id`` on the bot's message (picks ``values`` from
        the string select ``custom_id`` when given)."""
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": BUTTON}
        component: dict[str, Any] = {"type": BUTTON, "style": 1, "label": "Go"}
        if values is not None:
            data.update(component_type=STRING_SELECT, values=values)
            options = [{"label": value, "value": value} for value in values]
            component = {"type": STRING_SELECT, "options": options}
        message = g.message_create(self.text_id, self.bot_user, "menu", guild_id=self.guild_id)
        row = {"type": 1, "components": [{**component, "custom_id": custom_id}]}
        message["components"] = [row]  # the message as Discord sends it: the clicked item on it
        self.feed("INTERACTION_CREATE", self._interaction(COMPONENT, data, message=message))

    def submit(self, custom_id: str, fields: dict[str, str]) -> None:
        """Alice submits the modal ``custom_id`` with text inputs ``{custom_id: value}``."""
        rows = [
            {"type": 1, "components": [{"type": TEXT_INPUT, "custom_id": key, "value": value}]}
            for key, value in fields.items()
        ]
        data = {"custom_id": custom_id, "components": rows}
        self.feed("INTERACTION_CREATE", self._interaction(MODAL_SUBMIT, data))

    def _interaction(self, kind: int, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
        payload = g.interaction_create(
            self.bot_user["id"],
            "",
            guild_id=self.guild_id,
            channel_id=self.text_id,
            invoker=self.alice,
        )
        payload.update(type=kind, data=data, **extra)
        return payload

    async def settle(self) -> None:
        """Let the bot's tasks (callbacks, their HTTP calls) run to completion."""
        await g.settle()

    def member_joins(self, name: str) -> None:
        """A new member joins the guild."""
        self.feed(
            "GUILD_MEMBER_ADD", g.guild_member_add(self.guild_id, g.member(g.user(name=name)))
        )

    def member_leaves(self, user: dict[str, Any]) -> None:
        """``user`` leaves the guild."""
        self.feed("GUILD_MEMBER_REMOVE", g.guild_member_remove(self.guild_id, user))

    def react(self, emoji: str = "👍") -> None:
        """Alice reacts to a message in the text channel."""
        self.feed(
            "MESSAGE_REACTION_ADD",
            g.reaction(
                self.alice["id"], self.text_id, g.snowflake(), guild_id=self.guild_id, emoji=emoji
            ),
        )


async def start(bot: Any, webhook_adapter: Any) -> World:
    """Answer the bot's REST calls, then READY and GUILD_CREATE; wait for the handlers."""
    bot_user = g.user(name="forkbot", bot=True)
    discord = FakeDiscord(bot_user)
    bot.http.request = discord.request
    webhook_adapter.request = discord.webhook
    world = World(
        bot=bot,
        discord=discord,
        bot_user=bot_user,
        guild_id=g.snowflake(),
        text_id=g.snowflake(),
        alice=g.user(name="alice"),
    )
    discord.channel_id = world.text_id
    launched = getattr(bot._connection, "shards_launched", None)
    if launched is not None:
        launched.set()  # what launching the shards' websockets does on a sharded client
    # A sharded client's websocket tags READY with its shard; others ignore the key.
    world.feed("READY", {**g.ready(bot_user, bot_user["id"]), "__shard_id__": 0})
    await g.settle()
    world.feed(
        "GUILD_CREATE",
        g.guild_create(
            world.guild_id,
            "Fork Guild",
            world.alice["id"],
            channels=[g.channel(world.text_id, world.guild_id)],
            members=[g.member(world.alice), g.member(bot_user)],
        ),
    )
    await g.settle()
    return world


@dataclass
class Run:
    """What one offline run of a bot showed: its console and its calls to Discord."""

    stderr: str
    calls: list[tuple[str, str, Any]]
    replies: list[str]

    def console_lines(self) -> list[str]:
        """stderr without traceback frames and with snowflakes/addresses normalised."""
        lines = []
        for line in self.stderr.splitlines():
            if line.startswith(" ") or not line.strip():
                continue  # frames and source lines: file paths and depth are not the message
            lines.append(re.sub(r"\b\d{15,}\b|0x[0-9a-f]+", "#", line))
        return lines


@dataclass
class FakeGateway:
    """Stands in for the gateway websocket: the bot looks connected, with this latency."""

    latency: float = 0.07
    open: bool = True
    shard_id: int | None = None

    def is_ratelimited(self) -> bool:
        return False

    async def close(self, code: int = 1000) -> None:
        self.open = False


def run_bot(
    build: Callable[[], Any],
    webhook_adapter: Any,
    scenario: Callable[[World], Any],
    before_close: Callable[[World], None] | None = None,
    *,
    capture: bool = True,
) -> Run:
    """Build the bot, play ``scenario`` on a fresh loop, close; capture stderr.

    ``before_close`` runs while the bot is still connected (gauges read live clients).
    ``capture=False`` leaves stderr alone (a bot run as a script prints as it would).
    """

    async def main(sink: list[World]) -> None:
        bot = build()
        world = await start(bot, webhook_adapter)
        bot.ws = FakeGateway()
        sink.append(world)
        result = scenario(world)
        if asyncio.iscoroutine(result):
            await result
        await g.settle()
        if before_close is not None:
            before_close(world)
        await bot.close()

    worlds: list[World] = []
    with _captured_stderr(capture) as err:
        asyncio.run(main(worlds))
    [world] = worlds
    return Run(err.getvalue(), list(world.discord.calls), world.discord.replies())


@contextlib.contextmanager
def _captured_stderr(capture: bool) -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    if not capture:
        yield buffer
        return
    with contextlib.redirect_stderr(buffer):
        yield buffer


class Sinks:
    """Fresh SDK providers whose output stays in memory (any flavour; ``harness.Otel``
    adds discord.py tests' lookups)."""

    def __init__(self) -> None:
        self.span_exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.span_exporter))
        self.metric_reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.metric_reader])
        self.log_exporter = InMemoryLogRecordExporter()
        self.logger_provider = LoggerProvider()
        self.logger_provider.add_log_record_processor(SimpleLogRecordProcessor(self.log_exporter))

    def providers(self) -> dict[str, Any]:
        """Keyword arguments for ``instrument()``."""
        return {
            "tracer_provider": self.tracer_provider,
            "meter_provider": self.meter_provider,
            "logger_provider": self.logger_provider,
        }

    def spans(self) -> list[ReadableSpan]:
        """Finished spans, oldest first."""
        return list(self.span_exporter.get_finished_spans())

    def logs(self) -> list[ReadableLogRecord]:
        """Emitted log records, oldest first."""
        return list(self.log_exporter.get_finished_logs())

    def error_logs(self) -> list[ReadableLogRecord]:
        """Log records at ERROR severity or above."""
        return [
            record
            for record in self.logs()
            if (record.log_record.severity_number or SeverityNumber.UNSPECIFIED).value
            >= SeverityNumber.ERROR.value
        ]

    def log_events(self, event_name: str) -> list[ReadableLogRecord]:
        """Log records whose ``event.name`` attribute is ``event_name``."""
        return [
            record
            for record in self.logs()
            if (record.log_record.attributes or {}).get("event.name") == event_name
        ]

    def metrics(self) -> dict[str, list[Point]]:
        """Collect now: metric name -> [(attributes, value)] (sums, gauges, histogram counts)."""
        data = self.metric_reader.get_metrics_data()
        out: dict[str, list[Point]] = {}
        if data is None:
            return out
        for resource_metrics in data.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    points = out.setdefault(metric.name, [])
                    for point in metric.data.data_points:
                        value = getattr(point, "value", None)
                        if value is None:
                            value = point.count  # type: ignore[union-attr]
                        points.append((dict(point.attributes or {}), value))
        return out


def commands_by_outcome(points: list[Point]) -> dict[tuple[str, str, str], int]:
    """``discord.commands`` as {(name, kind, outcome): count}."""
    return {
        (
            attrs["discord.command.name"],
            attrs["discord.command.kind"],
            attrs["discord.command.outcome"],
        ): value
        for attrs, value in points
    }


def commands_by_reason(sinks: Sinks) -> dict[tuple[str, str], int]:
    """``discord.commands`` as {(name, failure reason or "ok"): count}, over every kind."""
    counts: dict[tuple[str, str], int] = {}
    for attrs, value in sinks.metrics()["discord.commands"]:
        key = (attrs["discord.command.name"], attrs.get("discord.command.failure_reason", "ok"))
        counts[key] = counts.get(key, 0) + value
    return counts


def assert_printed_as_without_us(played: Played, error: str) -> None:
    """The console is the bot's own, and ``error``'s traceback shows no frame of ours."""
    assert played.plain.console_lines() == played.observed.console_lines()
    assert error in played.observed.stderr
    assert [] == [line for line in played.observed.stderr.splitlines() if "otel_discord" in line]


def component_spans(sinks: Sinks) -> list[tuple[str, Any, Any, Any]]:
    """Click and submit spans, sorted: (name, kind, status code, error.type)."""
    return sorted(
        (
            (
                span.name,
                span.kind,
                span.status.status_code,
                (span.attributes or {}).get("error.type"),
            )
            for span in sinks.spans()
            if (span.attributes or {}).get("discord.command.kind") in ("component", "modal")
        ),
        key=lambda row: (row[0], row[2].name),  # enums do not order: by name and status
    )


def assert_error_log_in_span(sinks: Sinks, span_name: str) -> None:
    """The one error log of ``span_name``'s failure is emitted in that span's context."""
    name = span_name.partition(" ")[2]
    [log] = [r for r in sinks.error_logs() if str(r.log_record.body).endswith(f"command {name}")]
    [span] = [s for s in sinks.spans() if s.name == span_name]
    assert span.context is not None
    assert span.context.span_id == log.log_record.span_id
    assert span.context.trace_id == log.log_record.trace_id


def by(points: list[Point], *keys: str) -> dict[Any, Any]:
    """Points keyed by the values of ``keys`` (one key: the bare value)."""
    out = {}
    for attrs, value in points:
        key = tuple(attrs.get(k) for k in keys)
        out[key[0] if len(keys) == 1 else key] = value
    return out


@dataclass
class Played:
    """A bot's scenario played twice: plain, then instrumented."""

    plain: Run
    observed: Run
    sinks: Sinks
    live: dict[str, list[Point]]
    """Metrics collected while the instrumented bot was still connected (for gauges)."""


def play_twice(bot_module: Any) -> Played:
    """Run ``bot_module``'s bot and scenario without, then with the instrumentation.

    The instrumentor is undone afterwards; a telemetry failure it swallowed fails here.
    """
    plain = run_bot(bot_module.build, bot_module.ADAPTER, bot_module.scenario)
    sinks = Sinks()
    live: dict[str, list[Point]] = {}
    _safety.RECENT_FAILURES.clear()
    instrumentor = DiscordInstrumentor()
    instrumentor.instrument(**sinks.providers())
    try:
        observed = run_bot(
            bot_module.build,
            bot_module.ADAPTER,
            bot_module.scenario,
            before_close=lambda _: live.update(sinks.metrics()),
        )
    finally:
        instrumentor.uninstrument()
    failures = list(_safety.RECENT_FAILURES)
    if failures:
        raise failures[0]
    return Played(plain, observed, sinks, live)
