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
from tests.instrumentation.fork_bots import disnake_bot, disnake_hooks_bot
from tests.instrumentation.fork_offline import (
    Played,
    assert_error_log_in_span,
    assert_printed_as_without_us,
    by,
    commands_by_outcome,
    component_spans,
    play_twice,
)
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
        panel = ["Verify here", "Set to they/them", "Welcome! I write bots", "Dismissed."]
        low_level = ["Need help?", "Contact us at https://discord.gg/disnake!"]
        low_level.append("Thanks: more examples")
        assert sorted([*prefix, *slash, *menus, *panel, *low_level]) == sorted(played.plain.replies)

    def test_same_console(self, played: Played) -> None:
        lines = played.plain.console_lines()
        assert lines == played.observed.console_lines()
        assert "Ignoring exception in on_slash_command_error" in lines
        assert "Ignoring exception in on_button_click" in lines
        assert any(line.startswith("Ignoring exception in view <VerifyView") for line in lines)


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
            ("verify", "slash", "success"): 1,
            ("VerifyView.pronouns", "component", "success"): 1,
            ("VerifyView.verify", "component", "failure"): 1,
            ("VerifyView.intro", "component", "success"): 1,
            ("verify:dismiss:#", "component", "success"): 1,
            ("IntroModal", "modal", "success"): 1,
            ("help", "slash", "success"): 1,
            ("yes", "component", "success"): 1,
            ("no", "component", "success"): 1,
            ("feedback", "modal", "success"): 1,
            ("tag:delete:#", "component", "failure"): 1,
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
            ("AttributeError", "component"): 1,
            ("LookupError", "component"): 1,
        } == by(played.sinks.metrics()["discord.errors"], "error.type", "discord.error.source")

    def test_error_logs(self, played: Played) -> None:
        assert sorted(
            [
                "Unhandled exception in command tag create",
                "Unhandled exception in command stats",
                "Unhandled exception in event on_slash_command_error",
                "Unhandled exception in event on_raw_reaction_add",
                "Unhandled exception in command VerifyView.verify",
                "Unhandled exception in command tag:delete:#",
            ]
        ) == sorted(str(record.log_record.body) for record in played.sinks.error_logs())


class TestComponents:
    """The /verify view and modal, and the low-level components disnake's listeners answer."""

    def test_spans(self, played: Played) -> None:
        # a click with two listeners (the bot's and the cog's) is one span; a view's click
        # also dispatches on_button_click, and is still counted once (by its view)
        assert [
            ("component VerifyView.intro", SpanKind.SERVER, StatusCode.UNSET, None),
            ("component VerifyView.pronouns", SpanKind.SERVER, StatusCode.UNSET, None),
            ("component VerifyView.verify", SpanKind.SERVER, StatusCode.ERROR, "AttributeError"),
            ("component no", SpanKind.SERVER, StatusCode.UNSET, None),
            ("component tag:delete:#", SpanKind.SERVER, StatusCode.ERROR, "LookupError"),
            ("component verify:dismiss:#", SpanKind.SERVER, StatusCode.UNSET, None),
            ("component yes", SpanKind.SERVER, StatusCode.UNSET, None),
            ("modal IntroModal", SpanKind.SERVER, StatusCode.UNSET, None),
            ("modal feedback", SpanKind.SERVER, StatusCode.UNSET, None),
        ] == component_spans(played.sinks)

    def test_error_logs_in_the_click_spans(self, played: Played) -> None:
        assert_error_log_in_span(played.sinks, "component VerifyView.verify")
        # the listener's error: reported once, with its click, in the click's span (the
        # listener task copied the span's context)
        assert_error_log_in_span(played.sinks, "component tag:delete:#")


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
        (disnake.Client, "_schedule_event"),
        (disnake.ui.View, "_scheduled_task"),
        (disnake.ui.View, "on_error"),
        (disnake.ui.Modal, "_scheduled_task"),
        (disnake.ui.Modal, "on_error"),
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
    """``opentelemetry-instrument`` loads the instrumentor on disnake: all 21 commands counted."""
    assert_zero_code(discord_server, "tests.instrumentation.fork_bots.disnake_bot", "OSError", 21)


def test_ratelimits_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fork's real HTTP client over loopback: its 429s are counted by scope."""
    import disnake

    assert_ratelimits_counted(disnake, monkeypatch)


class TestHooksAndChecks:
    """A failing ``before_invoke`` hook escapes past our hook: no frame of ours shows."""

    @pytest.fixture(scope="class")
    def hooked(self) -> Played:
        return play_twice(disnake_hooks_bot)

    def test_console_unchanged_and_no_frame_of_ours(self, hooked: Played) -> None:
        assert_printed_as_without_us(hooked, "KeyError: 'profile cache'")
