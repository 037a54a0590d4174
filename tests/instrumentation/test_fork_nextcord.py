"""nextcord: a NextcordBot-shaped sharded bot, offline, with and without the instrumentation.

Runs in a venv of its own (``make test-fork``); skipped elsewhere.
"""

# ruff: noqa: E402 (the imports below need nextcord, which importorskip checks first)

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

nextcord = pytest.importorskip("nextcord", reason="nextcord is not installed")

from opentelemetry.trace import SpanKind, StatusCode

from otel_discord.instrumentation import DiscordInstrumentor
from tests.instrumentation.fork_bots import nextcord_bot, nextcord_hooks_bot, nextcord_stale_bot
from tests.instrumentation.fork_offline import (
    Played,
    assert_error_log_in_span,
    assert_printed_as_without_us,
    by,
    commands_by_outcome,
    commands_by_reason,
    component_spans,
    play_twice,
)
from tests.instrumentation.fork_ratelimit import assert_ratelimits_counted
from tests.instrumentation.fork_zero_code import assert_zero_code, run_under_wrapper


@pytest.fixture(scope="module")
def played() -> Played:
    """The bot's scenario played plain, then instrumented."""
    return play_twice(nextcord_bot)


class TestBehaviourUnchanged:
    """The bot does and prints what it does without the instrumentation."""

    def test_same_calls_to_discord(self, played: Played) -> None:
        assert played.plain.calls == played.observed.calls
        assert sorted(
            ["Pong!", "Cheer up!"] * 2
            + ["You rolled 4"] * 2
            + ["Here is your daily quote.", "This command is on cooldown."]
            + ["`question` is a required argument.", "Could not find the command."]
            + ["alice has been warned.", "Quoted!", "alice's profile"]
            + ["How can we help?", "Category: Bug", "Ticket opened: refund", "Ticket closed."]
            + ["Sorry, that went wrong."]
        ) == sorted(played.plain.replies)

    def test_same_console(self, played: Played) -> None:
        lines = played.plain.console_lines()
        assert lines == played.observed.console_lines()
        assert "Ignoring exception in on_member_join" in lines
        assert not any("PyNaCl" in line for line in lines)
        assert any(line.startswith("Ignoring exception in view <TicketView") for line in lines)


class TestCommands:
    """Prefix, slash, user and message commands: counts by equality."""

    def test_command_counts(self, played: Played) -> None:
        metrics = played.sinks.metrics()
        assert {
            ("ping", "prefix", "success"): 2,
            ("daily", "prefix", "success"): 1,
            ("daily", "prefix", "failure"): 1,
            ("poll", "prefix", "failure"): 1,
            ("leaderboard", "prefix", "failure"): 1,
            ("roll", "slash", "success"): 2,
            ("trivia", "slash", "failure"): 1,
            ("sync", "slash", "failure"): 1,
            ("warn", "slash", "success"): 1,
            ("Quote", "message", "success"): 1,
            ("Profile", "user", "success"): 1,
            ("ticket", "slash", "success"): 1,
            ("TicketView.category", "component", "success"): 1,
            ("TicketView.transcript", "component", "failure"): 1,
            ("TicketView.open", "component", "success"): 2,
            ("ticket:close:#", "component", "success"): 1,
            ("TicketModal", "modal", "success"): 1,
            ("TicketModal", "modal", "failure"): 1,  # its own on_error answered the bug
        } == commands_by_outcome(metrics["discord.commands"])
        assert {"prefix": 1, "slash": 1} == by(
            metrics["discord.commands.unknown"], "discord.command.kind"
        )

    def test_spans(self, played: Played) -> None:
        spans = {span.name: span for span in played.sinks.spans()}
        assert SpanKind.CONSUMER == spans["ping"].kind
        assert SpanKind.SERVER == spans["/roll"].kind
        assert SpanKind.SERVER == spans["Quote"].kind
        assert "RuntimeError" == (spans["/trivia"].attributes or {})["error.type"]
        assert StatusCode.ERROR == spans["/trivia"].status.status_code
        assert (
            "nextcord.ext.application_checks.errors.ApplicationNotOwner"
            == (spans["/sync"].attributes or {})["error.type"]
        )


class TestErrors:
    """Bugs are counted and logged; user mistakes (cooldown, not owner) are not."""

    def test_error_counts(self, played: Played) -> None:
        # The Error cog re-raises the leaderboard bug: it surfaces again as a handler
        # error, exactly as on discord.py.
        assert {
            ("KeyError", "command"): 1,
            ("KeyError", "event"): 2,
            ("RuntimeError", "app_command"): 1,
            ("KeyError", "component"): 1,
            ("LookupError", "component"): 1,
        } == by(played.sinks.metrics()["discord.errors"], "error.type", "discord.error.source")

    def test_error_logs(self, played: Played) -> None:
        assert sorted(
            [
                "Unhandled exception in command leaderboard",
                "Unhandled exception in command trivia",
                "Unhandled exception in event on_command_error",
                "Unhandled exception in event on_member_join",
                "Unhandled exception in command TicketView.transcript",
                "Unhandled exception in command TicketModal",
            ]
        ) == sorted(str(record.log_record.body) for record in played.sinks.error_logs())


class TestComponents:
    """The /ticket panel: select, buttons and the modal, traced like discord.py's."""

    def test_spans(self, played: Played) -> None:
        assert [
            ("component TicketView.category", SpanKind.SERVER, StatusCode.UNSET, None),
            ("component TicketView.open", SpanKind.SERVER, StatusCode.UNSET, None),
            ("component TicketView.open", SpanKind.SERVER, StatusCode.UNSET, None),
            ("component TicketView.transcript", SpanKind.SERVER, StatusCode.ERROR, "KeyError"),
            ("component ticket:close:#", SpanKind.SERVER, StatusCode.UNSET, None),
            ("modal TicketModal", SpanKind.SERVER, StatusCode.ERROR, "LookupError"),
            ("modal TicketModal", SpanKind.SERVER, StatusCode.UNSET, None),
        ] == component_spans(played.sinks)

    def test_error_log_in_the_click_span(self, played: Played) -> None:
        assert_error_log_in_span(played.sinks, "component TicketView.transcript")


class TestEventsAndGauges:
    """Messages, guild and member changes, reactions, and the sharded bot's gauges."""

    def test_events(self, played: Played) -> None:
        metrics = played.sinks.metrics()
        assert [({"discord.channel.type": "text", "discord.guild.present": True}, 9)] == metrics[
            "discord.messages"
        ]
        assert {"join": 1} == by(metrics["discord.guild.changes"], "discord.change")
        assert {"join": 1} == by(metrics["discord.member.changes"], "discord.change")
        assert {"add": 1} == by(metrics["discord.reactions"], "discord.change")

    def test_gauges(self, played: Played) -> None:
        assert [({}, 1)] == played.live["discord.guilds"]
        assert [({}, 1)] == played.live["discord.shards"]


def test_uninstrument_restores_nextcord() -> None:
    """Every nextcord hook point gets its original back, by identity."""
    from nextcord.application_command import BaseApplicationCommand
    from nextcord.ext.commands.bot import BotBase

    points = (
        (BaseApplicationCommand, "call_from_interaction"),
        (nextcord.Client, "process_application_commands"),
        (nextcord.Client, "dispatch"),
        (BotBase, "invoke"),
        (nextcord.ui.View, "_scheduled_task"),
        (nextcord.ui.View, "on_error"),
        (nextcord.ui.Modal, "_scheduled_task"),
        (nextcord.ui.Modal, "on_error"),
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
    """``opentelemetry-instrument`` loads the instrumentor on nextcord: all 21 commands counted."""
    assert_zero_code(
        discord_server, "tests.instrumentation.fork_bots.nextcord_bot", "RuntimeError", 21
    )


@pytest.mark.slow
def test_zero_code_console_stays_quiet(discord_server: Any) -> None:
    """nextcord's "PyNaCl is not installed" stays off the console (its NullHandler keeps it)."""
    if importlib.util.find_spec("otel_discord.console") is None:
        pytest.skip("needs Python's last-resort output emulated (otel_discord.console, issue 14)")
    result, _ = run_under_wrapper(discord_server, "tests.instrumentation.fork_bots.nextcord_bot")
    assert 0 == result.returncode, result.stderr[-3000:]
    assert "PyNaCl is not installed" not in result.stderr
    assert "Ignoring exception in on_member_join" in result.stderr


def test_ratelimits_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fork's real HTTP client over loopback: its 429s are counted by scope."""
    import nextcord

    assert_ratelimits_counted(nextcord, monkeypatch)


class TestHooksAndChecks:
    """A failing ``before_invoke`` hook escapes past our hook: no frame of ours shows.

    A click the view's ``interaction_check`` refuses fails that check.
    """

    @pytest.fixture(scope="class")
    def hooked(self) -> Played:
        return play_twice(nextcord_hooks_bot)

    def test_console_unchanged_and_no_frame_of_ours(self, hooked: Played) -> None:
        assert_printed_as_without_us(hooked, "KeyError: 'profile cache'")

    def test_refused_click_is_a_failed_check(self, hooked: Played) -> None:
        counts = commands_by_reason(hooked.sinks)
        assert 1 == counts[("ConfirmView.confirm", "check failed")]
        assert ("ConfirmView.confirm", "ok") not in counts


def test_a_stale_option_registration_is_one_bug() -> None:
    """Counted as an error (not the user's bad argument) and one exception in #logs: the
    command's record and nextcord's own event record share its id."""
    played = play_twice(nextcord_stale_bot)
    assert {("greet", "ok"): 1, ("greet", "error"): 1} == commands_by_reason(played.sinks)
    logs = played.sinks.error_logs()
    assert {
        "Unhandled exception in command greet",
        "Unhandled exception in event on_interaction",
    } == {str(r.log_record.body) for r in logs}
    ids = {(r.log_record.attributes or {})["otel_discord.exception.id"] for r in logs}
    assert 1 == len(ids)
