"""Gateway events on a real bot: counters, analytics log events, handler errors."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from discord.ext import commands
from opentelemetry._logs import SeverityNumber

from otel_discord.instrumentation import DiscordInstrumentor
from otel_discord.instrumentation._events import voice_changes
from otel_discord.offline import payloads as g
from tests.instrumentation.harness import Otel, World, make_bot, run_bot, start

Instrument = Callable[..., DiscordInstrumentor]


def member_life(world: World) -> None:
    """Bob joins, talks in voice, reacts, leaves; then the bot is removed from the guild."""
    bob = g.user(name="bob")
    bob_member = g.member(bob)
    world.feed("GUILD_MEMBER_ADD", g.guild_member_add(world.guild_id, bob_member))
    world.feed("VOICE_STATE_UPDATE", g.voice_state(world.guild_id, world.voice_id, bob_member))
    world.feed(
        "VOICE_STATE_UPDATE",
        g.voice_state(world.guild_id, world.voice_id, bob_member, self_mute=True),
    )
    world.feed("VOICE_STATE_UPDATE", g.voice_state(world.guild_id, None, bob_member))
    message_id = g.snowflake()
    world.feed(
        "MESSAGE_REACTION_ADD",
        g.reaction(
            bob["id"],
            world.text_id,
            message_id,
            guild_id=world.guild_id,
            reacting_member=bob_member,
        ),
    )
    world.feed(
        "MESSAGE_REACTION_REMOVE",
        g.reaction(bob["id"], world.text_id, message_id, guild_id=world.guild_id),
    )
    world.feed("GUILD_MEMBER_REMOVE", g.guild_member_remove(world.guild_id, bob))
    world.feed("GUILD_DELETE", g.guild_delete(world.guild_id))


class TestGatewayEvents:
    """discord.gateway.events counts every dispatched event by name."""

    def test_counts_by_event_name(self, otel: Otel, instrument: Instrument) -> None:
        """READY, the guild join and a message each count once under their event name."""
        instrument()
        run_bot(lambda world: world.say("hello"))
        counted = {
            attrs["discord.event"]: value
            for attrs, value in otel.metrics()["discord.gateway.events"]
        }
        assert {"connect": 1, "ready": 1, "guild_join": 1, "message": 1} == counted

    def test_raw_payload_types_are_a_separate_counter(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        """socket_event_type feeds discord.gateway.payloads, not discord.gateway.events."""
        instrument()
        run_bot(lambda world: world.bot.dispatch("socket_event_type", "MESSAGE_CREATE"))
        metrics = otel.metrics()
        assert [({"discord.gateway.event_type": "MESSAGE_CREATE"}, 1)] == metrics[
            "discord.gateway.payloads"
        ]
        names = {attrs["discord.event"] for attrs, _ in metrics["discord.gateway.events"]}
        assert "socket_event_type" not in names


class TestMessages:
    """discord.messages counts messages by channel type and guild presence."""

    def test_human_messages_counted_bots_excluded(self, otel: Otel, instrument: Instrument) -> None:
        """A member's guild message and a DM count; the bot's own message does not."""
        instrument()

        def scenario(world: World) -> None:
            world.say("hi")
            world.say("I am the bot", author=world.bot_user)
            world.feed("MESSAGE_CREATE", g.message_create(g.snowflake(), world.alice, "psst"))

        run_bot(scenario)
        points = sorted(
            (attrs["discord.channel.type"], attrs["discord.guild.present"], value)
            for attrs, value in otel.metrics()["discord.messages"]
        )
        assert [("private", False, 1), ("text", True, 1)] == points

    def test_bot_messages_when_configured(self, otel: Otel, instrument: Instrument) -> None:
        """include_bot_messages=True counts bot authors too."""
        instrument(include_bot_messages=True)
        run_bot(lambda world: world.say("beep", author=world.bot_user))
        assert [({"discord.channel.type": "text", "discord.guild.present": True}, 1)] == (
            otel.metrics()["discord.messages"]
        )

    def test_guild_id_only_when_configured(self, otel: Otel, instrument: Instrument) -> None:
        """guild_ids_as_attributes adds discord.guild.id to the message counter."""
        instrument(guild_ids_as_attributes=True)
        guild: list[str] = []

        def scenario(world: World) -> None:
            guild.append(world.guild_id)
            world.say("hi")

        run_bot(scenario)
        [(attrs, _)] = otel.metrics()["discord.messages"]
        assert guild[0] == attrs["discord.guild.id"]


class TestGuildAndMemberChanges:
    """Guild and member joins/leaves: counters plus analytics log events."""

    def test_counters(self, otel: Otel, instrument: Instrument) -> None:
        """Joins and leaves of guilds and members, voice changes and reactions are counted."""
        instrument()
        run_bot(member_life)
        metrics = otel.metrics()

        def by_change(name: str) -> dict[str, int]:
            return {attrs["discord.change"]: value for attrs, value in metrics[name]}

        assert {"join": 1, "leave": 1} == by_change("discord.guild.changes")
        assert {"join": 1, "leave": 1} == by_change("discord.member.changes")
        assert {"join": 1, "mute": 1, "leave": 1} == by_change("discord.voice.changes")
        assert {"add": 1, "remove": 1} == by_change("discord.reactions")

    def test_guild_log_events(self, otel: Otel, instrument: Instrument) -> None:
        """discord.guild.join/leave carry the guild's name, id and member count at INFO."""
        instrument()
        guild: list[str] = []

        def scenario(world: World) -> None:
            guild.append(world.guild_id)
            member_life(world)

        run_bot(scenario)
        [joined] = otel.log_events("discord.guild.join")
        [left] = otel.log_events("discord.guild.leave")
        assert SeverityNumber.INFO == joined.log_record.severity_number
        assert {
            "event.name": "discord.guild.join",
            "discord.guild.name": "Test Guild",
            "discord.guild.id": guild[0],
            "discord.guild.member_count": 2,
        } == dict(joined.log_record.attributes or {})
        assert "Joined guild Test Guild (2 members)" == joined.log_record.body
        assert "discord.guild.join" == joined.log_record.event_name
        assert "discord.guild.leave" == left.log_record.event_name
        assert guild[0] == (left.log_record.attributes or {})["discord.guild.id"]

    def test_member_log_events_carry_no_user_id(self, otel: Otel, instrument: Instrument) -> None:
        """Member events name the guild, never the member, by default."""
        instrument()
        run_bot(member_life)
        [joined] = otel.log_events("discord.member.join")
        [left] = otel.log_events("discord.member.leave")
        assert "discord.user.id" not in (joined.log_record.attributes or {})
        assert "Test Guild" == (left.log_record.attributes or {})["discord.guild.name"]
        assert "A member joined Test Guild" == joined.log_record.body

    def test_member_user_id_when_configured(self, otel: Otel, instrument: Instrument) -> None:
        """user_ids_as_attributes adds discord.user.id to member events."""
        instrument(user_ids_as_attributes=True)
        run_bot(member_life)
        [joined] = otel.log_events("discord.member.join")
        assert str((joined.log_record.attributes or {})["discord.user.id"]).isdigit()


def state(channel: int | None = None, **flags: bool) -> SimpleNamespace:
    """A stand-in for discord.VoiceState with the fields voice_changes reads."""
    values = dict.fromkeys(
        ("self_mute", "mute", "self_deaf", "deaf", "self_stream", "self_video"), False
    )
    values.update(flags)
    return SimpleNamespace(
        channel=None if channel is None else SimpleNamespace(id=channel), **values
    )


class TestVoiceChanges:
    """voice_changes names what changed between two voice states."""

    @pytest.mark.parametrize(
        ("before", "after", "expected"),
        [
            (state(), state(), ()),
            (state(), state(1), ("join",)),
            (state(1, self_mute=True), state(), ("leave",)),
            (state(1), state(2), ("move",)),
            (state(1), state(1, self_mute=True), ("mute",)),
            (state(1, mute=True), state(1), ("unmute",)),
            (state(1), state(1, deaf=True), ("deafen",)),
            (state(1, self_deaf=True), state(1), ("undeafen",)),
            (state(1), state(1, self_stream=True), ("stream_start",)),
            (state(1, self_video=True), state(1), ("video_stop",)),
            (state(1), state(2, self_mute=True, self_video=True), ("move", "mute", "video_start")),
        ],
    )
    def test_changes(self, before: Any, after: Any, expected: tuple[str, ...]) -> None:
        """Each transition maps to the documented change names."""
        assert expected == voice_changes(before, after)


class TestReconnects:
    """discord.gateway.reconnects: a second READY is a reconnect, RESUMED a resume."""

    def test_reconnect_and_resume(self, otel: Otel, instrument: Instrument) -> None:
        """The first connect is not counted; later ones and resumes are."""
        instrument()

        def scenario(world: World) -> None:
            world.feed("RESUMED", {})
            world.feed("READY", g.ready(world.bot_user, world.application_id))

        run_bot(scenario)
        counted = {
            attrs["discord.gateway.kind"]: value
            for attrs, value in otel.metrics()["discord.gateway.reconnects"]
        }
        assert {"resume": 1, "reconnect": 1} == counted


def raising_on_message(bot: commands.Bot) -> None:
    @bot.event
    async def on_message(message: Any) -> None:
        if message.content == "explode":
            raise LookupError("handler kaboom")


class TestEventHandlerErrors:
    """Exceptions in event handlers: error logs, and discord.py's on_error still runs."""

    def test_error_log_and_counter(self, otel: Otel, instrument: Instrument) -> None:
        """An ERROR log naming the event, and discord.errors with source event."""
        instrument()
        run_bot(lambda world: world.say("explode"), raising_on_message)
        [record] = otel.error_logs()
        log = record.log_record
        assert "Unhandled exception in event on_message" == log.body
        attributes = dict(log.attributes or {})
        assert "LookupError" == attributes["error.type"]
        assert "message" == attributes["discord.event"]
        assert "event" == attributes["discord.error.source"]
        assert "handler kaboom" in str(attributes["exception.stacktrace"])
        assert 1 == otel.value(
            otel.metrics(),
            "discord.errors",
            error__type="LookupError",
            discord__error__source="event",
        )

    def test_default_on_error_still_logs(
        self, instrument: Instrument, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Client.on_error's default output is unchanged."""
        instrument()
        with caplog.at_level(logging.ERROR, logger="discord"):
            run_bot(lambda world: world.say("explode"), raising_on_message)
        assert "Ignoring exception in on_message" in caplog.text
        assert "LookupError: handler kaboom" in caplog.text

    def test_a_bound_method_set_as_on_error_still_runs(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        """``bot.on_error = handler.method`` (a method of another object) is the bot's own
        handler, not the class's: it still gets the event and the live exception."""
        seen: list[tuple[str, str]] = []

        class Reporter:
            async def report(self, event: str, *args: Any, **kwargs: Any) -> None:
                seen.append((event, type(sys.exc_info()[1]).__name__))

        def setup(bot: commands.Bot) -> None:
            raising_on_message(bot)
            bot.on_error = Reporter().report  # type: ignore[method-assign]

        instrument()
        run_bot(lambda world: world.say("explode"), setup)
        assert [("on_message", "LookupError")] == seen
        assert 1 == len(otel.error_logs())

    def test_bots_own_on_error_still_runs(self, otel: Otel, instrument: Instrument) -> None:
        """A bot's on_error gets the event name and the live exception, as before."""
        seen: list[tuple[str, str]] = []

        def setup(bot: commands.Bot) -> None:
            raising_on_message(bot)

            @bot.event
            async def on_error(event: str, *args: Any, **kwargs: Any) -> None:
                seen.append((event, type(sys.exc_info()[1]).__name__))

        instrument()
        run_bot(lambda world: world.say("explode"), setup)
        assert [("on_message", "LookupError")] == seen
        assert 1 == len(otel.error_logs())

    def test_an_on_error_registered_after_the_first_event_runs_and_is_noted(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        """``@bot.event`` on_error after events began: it runs, the error is logged once."""
        seen: list[str] = []

        def scenario(world: World) -> None:
            world.say("hello")  # the bot is seen with the library's handler

            @world.bot.event
            async def on_error(event: str, *args: Any, **kwargs: Any) -> None:
                seen.append(type(sys.exc_info()[1]).__name__)

            world.say("explode")

        instrument()
        run_bot(scenario, raising_on_message)
        assert ["LookupError"] == seen
        assert 1 == len(otel.error_logs())


class _OwnHandlerBot(commands.Bot):
    """A subclass overriding ``on_error``, as many public bots do; ``up`` calls super()."""

    def __init__(self, *, up: bool, **options: Any) -> None:
        super().__init__(**options)
        self.up = up
        self.seen: list[tuple[str, str]] = []

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        self.seen.append((event_method, type(sys.exc_info()[1]).__name__))
        if self.up:
            await super().on_error(event_method, *args, **kwargs)


class TestSubclassOnError:
    """A bot class with its own ``on_error``: it runs as before, each error is noted once."""

    @pytest.mark.parametrize("up", [False, True], ids=["own-only", "calls-super"])
    def test_override_runs_and_error_noted_once(
        self,
        otel: Otel,
        instrument: Instrument,
        caplog: pytest.LogCaptureFixture,
        up: bool,
    ) -> None:
        """The override sees the live exception; the library's output only when it calls
        super(); one error log and one count either way (not one per handler layer)."""
        bots: list[_OwnHandlerBot] = []

        async def main() -> None:
            bot = _OwnHandlerBot(
                up=up,
                command_prefix="!",
                intents=make_bot().intents,
                guild_ready_timeout=0,
                chunk_guilds_at_startup=False,
            )
            bots.append(bot)
            world = await start(bot, raising_on_message)
            world.say("explode")
            world.say("explode")
            await g.settle()
            await bot.close()

        instrument()
        with caplog.at_level(logging.ERROR, logger="discord"):
            asyncio.run(main())
        assert [("on_message", "LookupError")] * 2 == bots[0].seen
        assert (2 if up else 0) == caplog.text.count("Ignoring exception in on_message")
        assert 2 == len(otel.error_logs())
        assert 2 == otel.value(
            otel.metrics(),
            "discord.errors",
            error__type="LookupError",
            discord__error__source="event",
        )
