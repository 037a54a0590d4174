"""The dispatch hook's per-name plan: exact counts on every path, limits, failures contained."""

from __future__ import annotations

import asyncio
import gc
import logging
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from discord.ext import commands

from otel_discord.instrumentation import DiscordInstrumentor, _dispatch, _safety, _state
from otel_discord.instrumentation._event_errors import SHIM
from otel_discord.instrumentation._telemetry import MAX_EVENT_NAMES
from otel_discord.offline import payloads as g
from tests.instrumentation.harness import Otel, World, make_bot, run_bot, start

Instrument = Callable[..., DiscordInstrumentor]


def values(otel: Otel, metric: str, attribute: str) -> dict[Any, int]:
    """Collect now: the value of ``metric`` per value of ``attribute``."""
    return {attrs[attribute]: value for attrs, value in otel.metrics().get(metric, [])}


def message_points(otel: Otel) -> list[tuple[str, bool, int]]:
    """``discord.messages`` as sorted (channel type, guild present, value)."""
    return sorted(
        (str(attrs["discord.channel.type"]), bool(attrs["discord.guild.present"]), value)
        for attrs, value in otel.metrics().get("discord.messages", [])
    )


@pytest.fixture
def internal_log() -> Iterator[list[logging.LogRecord]]:
    """Records on the package's internal logger."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    internal = logging.getLogger("otel_discord.internal")
    handler = Collect()
    internal.addHandler(handler)
    yield records
    internal.removeHandler(handler)


class TestMessageCounts:
    """Messages are counted exactly on the cached path, across collections."""

    def test_counts_by_channel_type_and_guild_presence(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        """Guild text, guild voice-chat and DM messages each add up; bots never count."""
        instrument()
        seen: list[list[tuple[str, bool, int]]] = []

        def scenario(world: World) -> None:
            def say_in(channel_id: str, n: int, guild: bool = True) -> None:
                for index in range(n):
                    guild_id = world.guild_id if guild else None
                    payload = g.message_create(
                        channel_id, world.alice, f"m{index}", guild_id=guild_id
                    )
                    world.feed("MESSAGE_CREATE", payload)

            say_in(world.text_id, 5)
            say_in(world.voice_id, 2)
            say_in(g.snowflake(), 3, guild=False)  # a DM
            for _ in range(4):
                world.say("beep", author=world.bot_user)
            seen.append(message_points(otel))
            say_in(world.text_id, 6)
            say_in(g.snowflake(), 1, guild=False)

        run_bot(scenario)
        assert [("private", False, 3), ("text", True, 5), ("voice", True, 2)] == seen[0]
        assert [("private", False, 4), ("text", True, 11), ("voice", True, 2)] == (
            message_points(otel)
        )

    def test_guild_ids_count_every_message(self, otel: Otel, instrument: Instrument) -> None:
        """With guild ids as attributes each guild message is counted under its guild's id."""
        instrument(guild_ids_as_attributes=True)
        guild: list[str] = []

        def scenario(world: World) -> None:
            guild.append(world.guild_id)
            for _ in range(3):
                world.say("hi")
            world.feed("MESSAGE_CREATE", g.message_create(g.snowflake(), world.alice, "dm"))

        run_bot(scenario)
        points = sorted(
            (str(attrs.get("discord.guild.id")), attrs["discord.guild.present"], value)
            for attrs, value in otel.metrics()["discord.messages"]
        )
        assert sorted([("None", False, 1), (guild[0], True, 3)]) == points

    def test_guilds_past_the_limit_count_as_overflow(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        """With guild ids, guilds past ``message_sets_limit`` share the overflow row: bounded."""
        instrument(guild_ids_as_attributes=True)
        limit = 3
        guilds: list[str] = []
        kept: list[int] = []

        def scenario(world: World) -> None:
            telemetry = _state.current
            assert telemetry is not None
            telemetry.message_sets_limit = limit
            channels = [world.text_id]
            guilds.append(world.guild_id)
            for index in range(5):  # five more guilds, each with a text channel
                guild_id, text_id = g.snowflake(), g.snowflake()
                members = [g.member(world.alice), g.member(world.bot_user)]
                payload = g.guild_create(
                    guild_id,
                    f"Guild {index}",
                    world.alice["id"],
                    channels=[g.channel(text_id, guild_id)],
                    members=members,
                )
                world.feed("GUILD_CREATE", payload)
                guilds.append(guild_id)
                channels.append(text_id)
            for _ in range(2):
                for guild_id, text_id in zip(guilds, channels, strict=True):
                    world.feed(
                        "MESSAGE_CREATE",
                        g.message_create(text_id, world.alice, "hi", guild_id=guild_id),
                    )
            kept.append(len(telemetry._messages))

        run_bot(scenario)
        points = {
            str(attrs.get("discord.guild.id", "overflow")): value
            for attrs, value in otel.metrics()["discord.messages"]
        }
        assert {**dict.fromkeys(guilds[:limit], 2), "overflow": 6} == points
        assert [limit + 1] == kept  # the first guilds' cells and one overflow cell

    def test_bot_messages_counted_exactly_when_configured(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        """include_bot_messages=True: bot and human messages add up in one row."""
        instrument(include_bot_messages=True)

        def scenario(world: World) -> None:
            for _ in range(3):
                world.say("beep", author=world.bot_user)
            world.say("hi")

        run_bot(scenario)
        assert [("text", True, 4)] == message_points(otel)


class TestEventNames:
    """discord.gateway.events: exact per-name counts, the name limit, meta events."""

    def test_repeated_events_and_arguments_pass_through(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        """Counts per name are exact, and listeners get every positional and keyword argument."""
        instrument()
        got: list[tuple[Any, ...]] = []

        def setup(bot: commands.Bot) -> None:
            async def on_none() -> None:
                got.append(())

            async def on_one(a: int) -> None:
                got.append((a,))

            async def on_two(a: int, b: int) -> None:
                got.append((a, b))

            async def on_keyword(a: int, *, key: str) -> None:
                got.append((a, key))

            async def on_only_keyword(*, key: str) -> None:
                got.append((0, key))

            for listener in (on_none, on_one, on_two, on_keyword, on_only_keyword):
                bot.add_listener(listener)

        def scenario(world: World) -> None:
            for _ in range(3):
                world.bot.dispatch("none")
                world.bot.dispatch("one", 1)
                world.bot.dispatch("two", 1, 2)
            world.bot.dispatch("keyword", 7, key="k")
            world.bot.dispatch("only_keyword", key="o")

        run_bot(scenario, setup)
        assert sorted([(), (1,), (1, 2)] * 3 + [(7, "k"), (0, "o")]) == sorted(got)
        counted = values(otel, "discord.gateway.events", "discord.event")
        assert {"none": 3, "one": 3, "two": 3, "keyword": 1, "only_keyword": 1} == {
            name: counted[name] for name in ("none", "one", "two", "keyword", "only_keyword")
        }

    def test_handlers_get_every_positional_argument(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        """An event without arguments and one with several reach their handlers whole."""
        instrument()

        def scenario(world: World) -> None:
            world.bot.dispatch("resumed")  # no argument: the handler gets ()
            world.bot.dispatch("resumed")

        run_bot(scenario)
        resumes = values(otel, "discord.gateway.reconnects", "discord.gateway.kind")
        assert 2 == resumes["resume"]
        counted = values(otel, "discord.gateway.events", "discord.event")
        assert 2 == counted["resumed"]

    def test_names_past_the_limit_count_as_other(self, otel: Otel, instrument: Instrument) -> None:
        """Past MAX_EVENT_NAMES names the rest add up under _OTHER; message keeps its row."""
        instrument()
        before: list[set[str]] = []
        extra = 40

        def scenario(world: World) -> None:
            before.append(set(values(otel, "discord.gateway.events", "discord.event")))
            for _ in range(2):
                for index in range(MAX_EVENT_NAMES + extra):
                    world.bot.dispatch(f"custom_{index}")
            world.say("hi")
            world.say("hi")

        run_bot(scenario)
        counted = values(otel, "discord.gateway.events", "discord.event")
        kept = MAX_EVENT_NAMES - len(before[0])  # custom names that got a row of their own
        assert all(counted[f"custom_{index}"] == 2 for index in range(kept))
        assert f"custom_{kept}" not in counted
        assert 2 * (MAX_EVENT_NAMES + extra - kept) == counted["_OTHER"]
        assert 2 == counted["message"]  # an event the hook acts on keeps its own row
        assert MAX_EVENT_NAMES + 2 == len(counted)
        assert [("text", True, 2)] == message_points(otel)

    def test_meta_events_not_counted_payload_types_are(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        """socket_* events never count as events; each raw payload counts by its type."""
        instrument()

        def scenario(world: World) -> None:
            bot = world.bot
            for _ in range(3):
                bot.dispatch("socket_event_type", "MESSAGE_CREATE")
                bot.dispatch("socket_raw_receive", "{}")
                bot.dispatch("socket_raw_send", b"{}")
            bot.dispatch("socket_event_type", "TYPING_START")

        run_bot(scenario)
        names = set(values(otel, "discord.gateway.events", "discord.event"))
        assert not {name for name in names if name.startswith("socket_")}
        assert {"MESSAGE_CREATE": 3, "TYPING_START": 1} == values(
            otel, "discord.gateway.payloads", "discord.gateway.event_type"
        )

    def test_payload_types_past_the_limit_count_as_other(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        """Payload types are bounded like event names."""
        instrument()

        def scenario(world: World) -> None:
            for index in range(MAX_EVENT_NAMES + 5):
                world.bot.dispatch("socket_event_type", f"TYPE_{index}")
            world.bot.dispatch("socket_event_type", f"TYPE_{MAX_EVENT_NAMES + 1}")

        run_bot(scenario)
        counted = values(otel, "discord.gateway.payloads", "discord.gateway.event_type")
        assert MAX_EVENT_NAMES + 1 == len(counted)
        assert 6 == counted["_OTHER"]
        assert 1 == counted["TYPE_0"]


class TestHookFailures:
    """A failure inside the hook never reaches the bot and is reported once."""

    def test_planning_failure_is_swallowed_and_reported_once(
        self,
        otel: Otel,
        instrument: Instrument,
        internal_log: list[logging.LogRecord],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """The bot's listener still gets every event with its arguments; one warning."""

        def broken(*args: Any) -> None:
            raise RuntimeError("telemetry bug")

        instrument()
        got: list[int] = []

        def setup(bot: commands.Bot) -> None:
            async def on_fresh(value: int) -> None:
                got.append(value)

            bot.add_listener(on_fresh)

        def scenario(world: World) -> None:
            monkeypatch.setattr(_dispatch, "plan_event", broken)  # new names fail from here
            for value in range(3):
                world.bot.dispatch("fresh", value)

        run_bot(scenario, setup)
        assert [0, 1, 2] == sorted(got)
        assert 1 == sum(
            "failed in dispatch fresh; the bot is unaffected" in r.getMessage()
            for r in internal_log
        )
        failures = [str(exc) for exc in _safety.RECENT_FAILURES]
        assert 3 == failures.count("telemetry bug")
        _safety.RECENT_FAILURES.clear()  # expected here; the autouse guard checks the rest


class TestSeenClients:
    """The hook tracks the client it saw last; a new instrumentation tracks it again."""

    def test_shim_removed_on_uninstrument_and_client_seen_again(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        """Re-instrumenting tracks the same client again: its events count, the shim (of a
        bot with its own ``on_error``) is new."""
        instrumentor = instrument()
        shims: list[bool] = []

        def shimmed(bot: commands.Bot) -> bool:
            return bool(getattr(bot.on_error, SHIM, False))

        def own_on_error(bot: commands.Bot) -> None:
            @bot.event
            async def on_error(event: str, *args: Any, **kwargs: Any) -> None:
                return None

        async def main() -> None:
            bot = make_bot()
            world = await start(bot, own_on_error)
            world.say("one")
            shims.append(shimmed(bot))
            instrumentor.uninstrument()
            shims.append(shimmed(bot))
            world.say("uncounted")
            instrumentor.instrument(**otel.providers())
            world.say("two")
            shims.append(shimmed(bot))
            await g.settle()
            await bot.close()

        asyncio.run(main())
        assert [True, False, True] == shims
        assert [("text", True, 2)] == message_points(otel)


class TestClientsTakingTurns:
    """Several bots in one process: each is tracked once, however their events interleave."""

    def test_each_client_tracked_once(
        self, otel: Otel, instrument: Instrument, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Two bots whose messages alternate: both counted exactly, each tracked (gauges,
        on_error shim) once, not at every switch."""
        from otel_discord.instrumentation._gauges import ClientRegistry

        tracked: list[int] = []
        see = ClientRegistry.see

        def counting_see(registry: ClientRegistry, client: Any) -> None:
            tracked.append(id(client))
            see(registry, client)

        monkeypatch.setattr(ClientRegistry, "see", counting_see)
        instrument()

        async def main() -> list[int]:
            bots = [make_bot(), make_bot()]
            worlds = [await start(bot) for bot in bots]
            for _ in range(5):
                for world in worlds:
                    world.say("hello")
            await g.settle()
            for bot in bots:
                await bot.close()
            return [id(bot) for bot in bots]

        ids = asyncio.run(main())
        assert sorted(ids) == sorted(tracked)
        assert [("text", True, 10)] == message_points(otel)

    def test_a_closed_bot_is_freed(self, otel: Otel, instrument: Instrument) -> None:
        """Once closed, the bot the hook saw last is no longer held by the instrumentation
        (held, it kept the bot's module alive through our threads, and asyncio's "Task
        exception was never retrieved" of a failed tasks.loop was never printed at exit:
        ``tests/bots`` sharded bot)."""
        instrument()

        async def main() -> bool:
            bot = make_bot()
            (await start(bot)).say("one")
            await g.settle()
            await bot.close()
            gone = weakref.ref(bot)
            del bot
            gc.collect()
            return gone() is not None

        assert not asyncio.run(main())
        assert [("text", True, 1)] == message_points(otel)

    def test_a_closed_bot_is_freed_once_another_is_seen(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        """The hook remembers known clients weakly: a bot closed and dropped is collected
        while the instrumentation and the next bot live on (it held the last 8 before)."""
        instrument()

        async def main() -> tuple[weakref.ref[commands.Bot], bool]:
            first = make_bot()
            (await start(first)).say("one")
            await g.settle()
            await first.close()
            gone = weakref.ref(first)
            del first
            second = make_bot()
            (await start(second)).say("two")
            await g.settle()
            gc.collect()
            alive = gone() is not None
            await second.close()
            return gone, alive

        _, alive = asyncio.run(main())
        assert not alive
        assert [("text", True, 2)] == message_points(otel)


class TestNothingOfOursOnTheBot:
    """A bot that keeps the library's ``on_error`` carries no attribute of ours."""

    def test_nothing_is_added(self, otel: Otel, instrument: Instrument) -> None:
        """Compared with an uninstrumented bot after the same events; a bot's own
        ``@bot.event`` handlers land as before (the hook reads them with ``getattr``)."""
        names: dict[str, set[str]] = {}

        async def run(name: str) -> commands.Bot:
            bot = make_bot()

            @bot.event
            async def on_ready() -> None:
                return None

            world = await start(bot)
            world.say("hello")
            await g.settle()
            names[name] = set(vars(bot))
            return bot

        async def main() -> None:
            plain = await run("uninstrumented")
            instrument()
            bot = await run("instrumented")
            for client in (plain, bot):
                await client.close()

        asyncio.run(main())
        assert set() == names["instrumented"] - names["uninstrumented"]
        assert set() == names["uninstrumented"] - names["instrumented"]


class TestBotHook:
    """The hook on ``BotBase.dispatch`` does both hooks' work in one frame, only where that is
    the library's own path: exact counts, every listener, any class in between honoured."""

    @staticmethod
    def frames_per_dispatch(bot: commands.Bot, event: str) -> list[str]:
        """The Python functions one ``bot.dispatch(event, 1)`` runs (no listener for it)."""
        import sys

        called: list[str] = []

        def profile(frame: Any, what: str, _: Any) -> None:
            if what == "call":
                called.append(frame.f_code.co_qualname)

        sys.setprofile(profile)
        try:
            bot.dispatch(event, 1)
        finally:
            sys.setprofile(None)
        return called

    def test_a_bot_event_runs_one_hook_frame_and_the_library_s_client_dispatch(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        """``BotBase.dispatch`` and our ``Client`` hook as one frame; the count and every
        listener (``add_listener``'s extra events, ``on_`` handlers) as before."""
        instrument()
        frames: list[list[str]] = []
        got: list[tuple[str, Any]] = []

        def setup(bot: commands.Bot) -> None:
            async def on_thing(a: int) -> None:
                got.append(("listener", a))

            bot.add_listener(on_thing)

        def scenario(world: World) -> None:
            world.say("hello")  # the first event of a client takes the library's path
            telemetry = _state.current
            assert telemetry is not None
            assert world.bot is telemetry.direct_bot
            frames.append(self.frames_per_dispatch(world.bot, "quiet"))
            world.bot.dispatch("thing", 5)

        run_bot(scenario, setup)
        assert [["make_dispatch.<locals>.dispatch", "Client.dispatch"]] == [
            [name for name in called if "dispatch" in name] for called in frames
        ]
        assert [("listener", 5)] == got
        counted = values(otel, "discord.gateway.events", "discord.event")
        assert (1, 1) == (counted["quiet"], counted["thing"])

    def test_a_class_between_botbase_and_client_keeps_the_library_s_path(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        """A mixin's ``dispatch`` after ``BotBase`` in the MRO sees every event, counted once."""
        import discord

        mixin_saw: list[str] = []

        class Mixin(discord.Client):
            def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
                mixin_saw.append(event)
                super().dispatch(event, *args, **kwargs)

        class MixedBot(commands.Bot, Mixin):
            pass

        instrument()

        async def main() -> bool:
            bot = MixedBot(command_prefix="!", intents=discord.Intents.all())
            world = await start(bot)
            for _ in range(3):
                world.say("hello")
            bot.dispatch("quiet", 1)
            await g.settle()
            telemetry = _state.current
            direct = telemetry is not None and telemetry.direct_bot is bot
            await bot.close()
            return direct

        assert not asyncio.run(main())
        assert 1 == mixin_saw.count("quiet")
        assert 3 == mixin_saw.count("message")
        counted = values(otel, "discord.gateway.events", "discord.event")
        assert (1, 3) == (counted["quiet"], counted["message"])
        assert [("text", True, 3)] == message_points(otel)

    def test_client_dispatch_patched_after_us_is_called(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        """A wrapper put on ``Client.dispatch`` later is reached, and events count once."""
        import discord

        instrument()
        wrapped_saw: list[str] = []
        ours = discord.Client.dispatch

        def later(self: Any, event: str, /, *args: Any, **kwargs: Any) -> None:
            wrapped_saw.append(event)
            ours(self, event, *args, **kwargs)

        def scenario(world: World) -> None:
            world.say("before")
            discord.Client.dispatch = later  # type: ignore[method-assign]
            try:  # put back before uninstrument, which leaves a third party's patch alone
                world.bot.dispatch("quiet", 1)
                world.bot.dispatch("quiet", 2)
            finally:
                discord.Client.dispatch = ours  # type: ignore[method-assign]

        run_bot(scenario)
        assert ["quiet", "quiet"] == wrapped_saw
        counted = values(otel, "discord.gateway.events", "discord.event")
        assert 2 == counted["quiet"]

    def test_a_changed_botbase_dispatch_is_left_alone(self) -> None:
        """Only the stock ``BotBase.dispatch`` (bytecode for bytecode) gets the bot hook."""
        import discord
        from discord.ext.commands.bot import BotBase

        def changed(self: Any, event_name: str, /, *args: Any, **kwargs: Any) -> None:
            super(BotBase, self).dispatch(event_name, *args, **kwargs)

        assert _dispatch.stock_bot_dispatch(vars(BotBase)["dispatch"])
        assert not _dispatch.stock_bot_dispatch(changed)
        assert _dispatch.make_bot_dispatch(BotBase, discord.Client) is None  # no Client hook
