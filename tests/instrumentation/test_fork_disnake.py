"""disnake: a bot in disnake's documented shape, offline, with and without the instrumentation.

Runs in a venv of its own (``make test-fork``); skipped elsewhere.
"""

# ruff: noqa: E402 (the imports below need disnake, which importorskip checks first)
from __future__ import annotations

from typing import Any

import pytest

disnake = pytest.importorskip("disnake", reason="disnake is not installed")

from opentelemetry.trace import SpanKind, StatusCode

from otel_discord.instrumentation import DiscordInstrumentor
from tests.instrumentation.fork_bots import disnake_bot
from tests.instrumentation.fork_offline import Played, by, commands_by_outcome, play_twice
from tests.instrumentation.fork_ratelimit import assert_ratelimits_counted
from tests.instrumentation.fork_zero_code import assert_zero_code


@pytest.fixture(scope="module")
def played() -> Played:
    """The bot's scenario played plain, then instrumented."""
    return play_twice(disnake_bot)


class TestBehaviourUnchanged:
    """The bot does and prints what it does without the instrumentation."""

    def test_same_calls_to_discord(self, played: Played) -> None:
        assert played.plain.calls == played.observed.calls
        prefix = ["3 tags", "5", "Try again.", "Try again."]
        slash = ["Pong!", "created a", "The tag could not be created.", "You can't do that."]
        menus = ["alice's avatar", "QUOTABLE"]
        assert sorted([*prefix, *slash, *menus]) == sorted(played.plain.replies)

    def test_same_console(self, played: Played) -> None:
        lines = played.plain.console_lines()
        assert lines == played.observed.console_lines()
        assert "Ignoring exception in on_slash_command_error" in lines


class TestCommands:
    """Prefix, slash, sub-command, user and message commands: counts by equality."""

    def test_command_counts(self, played: Played) -> None:
        metrics = played.sinks.metrics()
        assert {
            ("tags", "prefix", "success"): 1,
            ("add", "prefix", "success"): 1,
            ("add", "prefix", "failure"): 1,
            ("ping", "slash", "success"): 1,
            ("tag create", "slash", "success"): 1,
            ("tag create", "slash", "failure"): 1,
            ("purge", "slash", "failure"): 1,
            ("stats", "slash", "failure"): 1,
            ("Avatar", "user", "success"): 1,
            ("Translate", "message", "success"): 1,
        } == commands_by_outcome(metrics["discord.commands"])
        assert {"prefix": 1, "slash": 1} == by(
            metrics["discord.commands.unknown"], "discord.command.kind"
        )

    def test_spans(self, played: Played) -> None:
        spans = [span for span in played.sinks.spans() if span.name == "/tag create"]
        assert [SpanKind.SERVER, SpanKind.SERVER] == [span.kind for span in spans]
        assert sorted([StatusCode.UNSET, StatusCode.ERROR], key=str) == sorted(
            (span.status.status_code for span in spans), key=str
        )
        purge = next(span for span in played.sinks.spans() if span.name == "/purge")
        assert (
            "disnake.ext.commands.errors.MissingPermissions"
            == (purge.attributes or {})["error.type"]
        )


class TestErrors:
    """Bugs are counted and logged (also when a cog handler answers them); user errors not."""

    def test_error_counts(self, played: Played) -> None:
        # on_slash_command_error re-raises the stats bug: it surfaces again as a handler
        # error, exactly as on discord.py.
        assert {
            ("ValueError", "app_command"): 1,
            ("OSError", "app_command"): 1,
            ("OSError", "event"): 1,
            ("LookupError", "event"): 1,
        } == by(played.sinks.metrics()["discord.errors"], "error.type", "discord.error.source")

    def test_error_logs(self, played: Played) -> None:
        assert sorted(
            [
                "Unhandled exception in command tag create",
                "Unhandled exception in command stats",
                "Unhandled exception in event on_slash_command_error",
                "Unhandled exception in event on_raw_reaction_add",
            ]
        ) == sorted(str(record.log_record.body) for record in played.sinks.error_logs())


class TestEventsAndGauges:
    """Messages, member changes, reactions and the live gauges."""

    def test_events(self, played: Played) -> None:
        metrics = played.sinks.metrics()
        assert [({"discord.channel.type": "text", "discord.guild.present": True}, 5)] == metrics[
            "discord.messages"
        ]
        assert {"join": 1} == by(metrics["discord.member.changes"], "discord.change")
        assert {"add": 1} == by(metrics["discord.reactions"], "discord.change")

    def test_gauges(self, played: Played) -> None:
        assert [({"discord.shard.id": 0}, 0.07)] == played.live["discord.gateway.latency"]
        assert [({}, 1)] == played.live["discord.guilds"]
        assert [({}, 1)] == played.live["discord.shards"]


def test_uninstrument_restores_disnake() -> None:
    """Every disnake hook point gets its original back, by identity."""
    from disnake.ext.commands.bot_base import BotBase
    from disnake.ext.commands.interaction_bot_base import InteractionBotBase

    points = (
        (InteractionBotBase, "process_application_commands"),
        (BotBase, "invoke"),
        (disnake.Client, "dispatch"),
        (disnake.Client, "event"),
    )
    before = [vars(owner)[name] for owner, name in points]
    instrumentor = DiscordInstrumentor()
    instrumentor.instrument()
    after = [vars(owner)[name] for owner, name in points]
    assert all(new is not old for new, old in zip(after, before, strict=True))
    instrumentor.uninstrument()
    assert before == [vars(owner)[name] for owner, name in points]


@pytest.mark.slow
def test_zero_code(discord_server: Any) -> None:
    """``opentelemetry-instrument`` loads the instrumentor on disnake: all 10 commands counted."""
    assert_zero_code(discord_server, "tests.instrumentation.fork_bots.disnake_bot", "OSError", 10)


def test_ratelimits_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fork's real HTTP client over loopback: its 429s are counted by scope."""
    import disnake

    assert_ratelimits_counted(disnake, monkeypatch)
