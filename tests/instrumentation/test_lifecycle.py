"""instrument()/uninstrument(): exact restore, no double counting, bots old and new,
and telemetry failures that never reach the bot."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Iterator
from typing import Any

import discord
import discord.http
import pytest
from discord import app_commands
from discord.ext import commands
from discord.ext.commands.bot import BotBase
from discord.ui.view import BaseView, ViewStore

from otel_discord.instrumentation import DiscordInstrumentor, _safety
from otel_discord.instrumentation._patching import Patcher
from otel_discord.instrumentation._telemetry import Recorder
from otel_discord.offline import payloads as g
from tests.instrumentation.harness import Otel, make_bot, start

Instrument = Callable[..., DiscordInstrumentor]

PATCHED = [
    (discord.Client, "dispatch"),
    (discord.Client, "on_error"),
    (discord.Client, "event"),
    (discord.Client, "close"),
    (discord.AutoShardedClient, "close"),
    (discord.http, "json_or_text"),
    (BotBase, "invoke"),
    (app_commands.CommandTree, "_call"),
    (app_commands.Command, "_invoke_error_handlers"),
    (app_commands.ContextMenu, "_invoke"),
    (BaseView, "_scheduled_task"),
    (BaseView, "on_error"),
    (discord.ui.Modal, "_scheduled_task"),
    (discord.ui.Modal, "on_error"),
    (ViewStore, "schedule_dynamic_item_call"),
    (sys, "excepthook"),
]


def originals() -> list[Any]:
    return [vars(owner)[name] for owner, name in PATCHED]


def add_ping(bot: commands.Bot) -> None:
    @bot.command()
    async def ping(ctx: commands.Context[Any]) -> None:
        await ctx.send("pong")


def message_count(otel: Otel) -> int:
    return sum(value for _, value in otel.metrics().get("discord.messages", []))


class TestRestore:
    """uninstrument() puts back every original, identical."""

    def test_every_patch_is_installed_then_restored_by_identity(
        self, instrument: Instrument
    ) -> None:
        """Each hooked attribute is replaced while on and is the very original after."""
        before = originals()
        instrumentor = instrument()
        during = originals()
        assert all(now is not then for now, then in zip(during, before, strict=True))
        instrumentor.uninstrument()
        after = originals()
        assert all(now is then for now, then in zip(after, before, strict=True))

    def test_nothing_recorded_after_uninstrument(self, otel: Otel, instrument: Instrument) -> None:
        """A bot keeps working after uninstrument, and emits nothing."""
        instrumentor = instrument()
        instrumentor.uninstrument()
        sent: list[str] = []

        async def main() -> None:
            bot = make_bot()
            world = await start(bot, add_ping)
            world.say("!ping")
            await g.settle()
            sent.extend(world.rest.sent())
            await bot.close()

        asyncio.run(main())
        assert ["pong"] == sent
        assert {} == otel.metrics()
        assert [] == otel.spans()

    def test_reinstrument_on_the_same_provider(self, otel: Otel, instrument: Instrument) -> None:
        """instrument/uninstrument/instrument: counters carry on, gauges keep reporting."""
        guilds: list[Any] = []

        async def one_message() -> None:
            bot = make_bot()
            world = await start(bot)
            world.say("hi")
            await g.settle()
            guilds.append(otel.metrics().get("discord.guilds"))
            await bot.close()

        instrumentor = instrument()
        asyncio.run(one_message())
        instrumentor.uninstrument()
        instrument()
        asyncio.run(one_message())
        assert 2 == message_count(otel)
        assert [[({}, 1)], [({}, 1)]] == guilds


class TestNoDoubleCounting:
    """Instrumenting twice does not wrap twice."""

    def test_second_instrument_is_a_no_op(self, otel: Otel, instrument: Instrument) -> None:
        """Patched attributes are unchanged by a second instrument() and events count once."""
        instrumentor = instrument()
        during = originals()
        instrumentor.instrument(**otel.providers())
        assert all(now is then for now, then in zip(originals(), during, strict=True))

        async def main() -> None:
            bot = make_bot()
            world = await start(bot)
            world.say("hi")
            await g.settle()
            await bot.close()

        asyncio.run(main())
        assert 1 == message_count(otel)

    def test_patcher_skips_an_attribute_it_already_wrapped(self) -> None:
        """Two patchers on one attribute: the second sees the marker and leaves it alone."""

        class Target:
            def method(self) -> str:
                return "original"

        original = vars(Target)["method"]
        first, second = Patcher(), Patcher()
        assert first.wrap(Target, "method", lambda f: lambda self: "wrapped " + f(self))
        assert not second.wrap(Target, "method", lambda f: lambda self: "again " + f(self))
        assert "wrapped original" == Target().method()
        second.restore()
        first.restore()
        assert original is vars(Target)["method"]

    def test_restore_leaves_a_third_party_patch_in_place(self) -> None:
        """If someone patched over our wrapper, restore does not rip theirs out."""

        class Target:
            def method(self) -> str:
                return "original"

        patcher = Patcher()
        patcher.wrap(Target, "method", lambda f: f)
        theirs = lambda self: "theirs"  # noqa: E731
        Target.method = theirs  # type: ignore[method-assign]
        patcher.restore()
        assert theirs is vars(Target)["method"]


class TestBotsCreatedBeforeAndAfter:
    """Class-level hooks reach every bot, whenever it was built."""

    @pytest.mark.parametrize("when", ["before", "after"])
    def test_bot_counts(self, otel: Otel, instrument: Instrument, when: str) -> None:
        """A bot built before instrument() and one built after are both observed."""

        async def main() -> None:
            if when == "after":
                instrument()
            bot = make_bot()
            add_ping(bot)
            if when == "before":
                instrument()
            world = await start(bot)
            world.say("!ping")
            await g.settle()
            await bot.close()

        asyncio.run(main())
        assert 1 == message_count(otel)
        assert "ping" == otel.span("ping").name


@pytest.fixture
def internal_log() -> Iterator[list[logging.LogRecord]]:
    """Records on the package's internal logger, and proof none reached the root logger."""
    records: list[logging.LogRecord] = []
    leaked: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def __init__(self, sink: list[logging.LogRecord]) -> None:
            super().__init__()
            self.sink = sink

        def emit(self, record: logging.LogRecord) -> None:
            self.sink.append(record)

    internal = logging.getLogger("otel_discord.internal")
    mine, root = Collect(records), Collect(leaked)
    internal.addHandler(mine)
    logging.getLogger().addHandler(root)
    yield records
    internal.removeHandler(mine)
    logging.getLogger().removeHandler(root)
    assert [] == [r for r in leaked if r.name.startswith("otel_discord")]


class TestTelemetryFailures:
    """A bug in the instrumentation never reaches the bot."""

    def test_failure_is_swallowed_and_logged_once(
        self,
        otel: Otel,
        instrument: Instrument,
        internal_log: list[logging.LogRecord],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Counting messages raises: the command still runs; one internal warning."""

        def broken(self: Recorder, *args: Any) -> None:
            raise RuntimeError("telemetry bug")

        monkeypatch.setattr(Recorder, "count_message", broken)
        instrument()
        sent: list[str] = []

        async def main() -> None:
            bot = make_bot()
            world = await start(bot, add_ping)
            world.say("!ping")
            world.say("!ping")
            await g.settle()
            sent.extend(world.rest.sent())
            await bot.close()

        asyncio.run(main())
        assert ["pong", "pong"] == sent
        assert 2 == len(otel.spans())
        assert [
            "otel-discord instrumentation failed in dispatch message; the bot is unaffected"
        ] == [r.getMessage() for r in internal_log]
        assert 2 == len(_safety.RECENT_FAILURES)
        _safety.RECENT_FAILURES.clear()  # expected here; the autouse guard checks the rest

    def test_failure_while_finishing_a_command(
        self, otel: Otel, instrument: Instrument, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Even finishing a command span failing leaves the command's result intact."""
        from otel_discord.instrumentation import _state

        class Broken:
            def record(self, *args: Any, **kwargs: Any) -> None:
                raise RuntimeError("finish bug")

        instrument()
        assert _state.current is not None
        # A success is finished inline in run_observed: break what it records through.
        monkeypatch.setattr(_state.current, "command_duration", Broken())
        sent: list[str] = []

        async def main() -> None:
            bot = make_bot()
            world = await start(bot, add_ping)
            world.say("!ping")
            await g.settle()
            sent.extend(world.rest.sent())
            await bot.close()

        asyncio.run(main())
        assert ["pong"] == sent
        assert ["finish bug"] == [str(e) for e in _safety.RECENT_FAILURES]
        _safety.RECENT_FAILURES.clear()


def test_a_broken_library_install_is_skipped(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, instrument: Instrument
) -> None:
    """A library whose import fails (metadata left behind) costs the others nothing."""
    from otel_discord.instrumentation import _safety

    broken = tmp_path / "disnake"
    broken.mkdir()
    (broken / "__init__.py").write_text("raise ImportError('half-installed')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "disnake", raising=False)
    instrumentor = instrument()
    assert getattr(vars(discord.Client)["dispatch"], "__wrapped__", None) is not None
    instrumentor.uninstrument()
    [failure] = list(_safety.RECENT_FAILURES)
    assert "half-installed" in str(failure)
    _safety.RECENT_FAILURES.clear()  # swallowed on purpose here


def test_record_context_comes_and_goes(instrument: Instrument) -> None:
    """The command-in-flight provider for the bridge's records is there only while on."""
    from otel_discord.exception_ids import RECORD_CONTEXT
    from otel_discord.instrumentation._active_span import command_context

    instrumentor = instrument()
    assert [command_context] == RECORD_CONTEXT
    instrumentor.uninstrument()
    assert [] == RECORD_CONTEXT
