"""py-cord: a robocord-shaped bot, offline, with and without the instrumentation.

Runs in a venv of its own (``make test-fork``; py-cord and discord.py both install as
``discord``); skipped elsewhere.
"""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("discord.bot", reason="py-cord is not installed")

from opentelemetry.trace import SpanKind, StatusCode

from otel_discord.instrumentation import DiscordInstrumentor
from tests.instrumentation.fork_bots import pycord_bot, pycord_bridge_bot, pycord_hooks_bot
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
from tests.instrumentation.fork_zero_code import assert_zero_code


@pytest.fixture(scope="module")
def played() -> Played:
    """The bot's scenario played plain, then instrumented."""
    return play_twice(pycord_bot)


class TestBehaviourUnchanged:
    """The bot does and prints what it does without the instrumentation."""

    def test_same_calls_to_discord(self, played: Played) -> None:
        assert played.plain.calls == played.observed.calls
        assert sorted(
            ["hello!"] * 4
            + ["nope"] * 2
            + ["pong", "pong", "issue 7", "daily reward", "alice joined", "bookmarked quotable"]
            + ["This command is currently on cooldown."]
            + ["Pick your roles", "You picked Python, Rust", "Closed."]
            + ["Thanks for the report: the tag command is slow", "Could not file the report."]
        ) == sorted(played.plain.replies)

    def test_same_console(self, played: Played) -> None:
        lines = played.plain.console_lines()
        assert lines == played.observed.console_lines()
        assert "Ignoring exception in on_application_command_error" in played.plain.console_lines()
        assert any(line.startswith("Ignoring exception in view <RolesView") for line in lines)


class TestCommands:
    """Prefix, slash, subcommand, user and message commands: counts by equality."""

    def test_command_counts(self, played: Played) -> None:
        metrics = played.sinks.metrics()
        assert {
            ("hello", "prefix", "success"): 4,
            ("reload", "prefix", "failure"): 1,
            ("stats", "prefix", "failure"): 1,
            ("ping", "slash", "success"): 2,
            ("github issue", "slash", "success"): 1,
            ("daily", "slash", "success"): 1,
            ("daily", "slash", "failure"): 1,
            ("crash", "slash", "failure"): 1,
            ("Join Position", "user", "success"): 1,
            ("Bookmark", "message", "success"): 1,
            ("roles", "slash", "success"): 1,
            ("RolesView.languages", "component", "success"): 1,
            ("RolesView.helper", "component", "failure"): 1,
            ("RolesView.report", "component", "success"): 2,
            ("robocord:close:#", "component", "success"): 1,
            ("BugReport", "modal", "success"): 1,
            ("BugReport", "modal", "failure"): 1,  # its own on_error answered the bug
        } == commands_by_outcome(metrics["discord.commands"])
        assert {"prefix": 1, "slash": 1} == by(
            metrics["discord.commands.unknown"], "discord.command.kind"
        )
        assert 22 == sum(value for _, value in metrics["discord.command.duration"])

    def test_spans(self, played: Played) -> None:
        spans = {span.name: span for span in played.sinks.spans()}
        assert SpanKind.CONSUMER == spans["hello"].kind
        assert SpanKind.SERVER == spans["/github issue"].kind
        assert "user" == (spans["Join Position"].attributes or {})["discord.command.kind"]
        crash = spans["/crash"]
        assert StatusCode.ERROR == crash.status.status_code
        assert "LookupError" == (crash.attributes or {})["error.type"]
        # a user's mistake: error.type on the span, but no ERROR status (not a bug)
        daily = [s for s in played.sinks.spans() if s.name == "/daily"]
        assert all(StatusCode.UNSET == s.status.status_code for s in daily)
        cooldown = [s for s in daily if "error.type" in (s.attributes or {})]
        assert ["discord.ext.commands.errors.CommandOnCooldown"] == [
            (s.attributes or {})["error.type"] for s in cooldown
        ]


class TestErrors:
    """Bugs are counted and logged; handled user errors are not."""

    def test_error_counts(self, played: Played) -> None:
        # The two re-raising handlers surface their bug again as a handler error, as on
        # discord.py (one exception, one embed is the render side's dedupe).
        assert {
            ("ZeroDivisionError", "command"): 1,
            ("LookupError", "app_command"): 1,
            ("ZeroDivisionError", "event"): 1,
            ("LookupError", "event"): 1,
            ("RuntimeError", "event"): 1,
            ("PermissionError", "component"): 1,
            ("ValueError", "component"): 1,
        } == by(played.sinks.metrics()["discord.errors"], "error.type", "discord.error.source")

    def test_error_logs(self, played: Played) -> None:
        assert sorted(
            [
                "Unhandled exception in command stats",
                "Unhandled exception in command crash",
                "Unhandled exception in event on_command_error",
                "Unhandled exception in event on_application_command_error",
                "Unhandled exception in event on_member_remove",
                "Unhandled exception in command RolesView.helper",
                "Unhandled exception in command BugReport",
            ]
        ) == sorted(str(record.log_record.body) for record in played.sinks.error_logs())


class TestComponents:
    """The /roles panel: select, buttons and the modal, traced like discord.py's."""

    def test_spans(self, played: Played) -> None:
        assert [
            ("component RolesView.helper", SpanKind.SERVER, StatusCode.ERROR, "PermissionError"),
            ("component RolesView.languages", SpanKind.SERVER, StatusCode.UNSET, None),
            ("component RolesView.report", SpanKind.SERVER, StatusCode.UNSET, None),
            ("component RolesView.report", SpanKind.SERVER, StatusCode.UNSET, None),
            ("component robocord:close:#", SpanKind.SERVER, StatusCode.UNSET, None),
            ("modal BugReport", SpanKind.SERVER, StatusCode.ERROR, "ValueError"),
            ("modal BugReport", SpanKind.SERVER, StatusCode.UNSET, None),
        ] == component_spans(played.sinks)

    def test_error_log_in_the_click_span(self, played: Played) -> None:
        assert_error_log_in_span(played.sinks, "component RolesView.helper")


class TestEventsAndGauges:
    """Messages, member changes, reactions and the live gauges."""

    def test_events(self, played: Played) -> None:
        metrics = played.sinks.metrics()
        assert [({"discord.channel.type": "text", "discord.guild.present": True}, 10)] == metrics[
            "discord.messages"
        ]
        assert {"join": 1, "leave": 1} == by(metrics["discord.member.changes"], "discord.change")
        assert {"add": 1} == by(metrics["discord.reactions"], "discord.change")
        assert 1 == len(played.sinks.log_events("discord.member.join"))

    def test_gauges(self, played: Played) -> None:
        assert [({"discord.shard.id": 0}, 0.07)] == played.live["discord.gateway.latency"]
        assert [({}, 1)] == played.live["discord.guilds"]
        assert [({}, 1)] == played.live["discord.shards"]


class TestBridgeBot:
    """``bridge.Bot`` runs both kinds of commands through overrides of its own."""

    @pytest.fixture(scope="class")
    def bridged(self) -> Played:
        return play_twice(pycord_bridge_bot)

    def test_behaviour_unchanged(self, bridged: Played) -> None:
        assert bridged.plain.replies == bridged.observed.replies
        assert bridged.plain.console_lines() == bridged.observed.console_lines()

    def test_command_counts(self, bridged: Played) -> None:
        counts = {
            (
                attrs["discord.command.name"],
                attrs["discord.command.kind"],
                attrs.get("discord.command.failure_reason", "ok"),
            ): value
            for attrs, value in bridged.sinks.metrics()["discord.commands"]
        }
        assert {
            ("hi", "prefix", "ok"): 1,
            ("hi", "slash", "ok"): 1,
            ("add", "prefix", "ok"): 1,
            ("add", "slash", "ok"): 1,
            ("add", "prefix", "bad argument"): 1,
            ("stats", "prefix", "error"): 1,
            ("stats", "slash", "error"): 1,
            ("tag", "prefix", "ok"): 1,
            ("tag show", "prefix", "ok"): 1,
            ("tag show", "prefix", "error"): 1,
            ("tag show", "slash", "ok"): 1,
            ("tag show", "slash", "error"): 1,
            ("config", "prefix", "ok"): 1,
            ("config prefix", "prefix", "ok"): 1,
            ("config prefix", "prefix", "error"): 1,
            ("config prefix", "prefix", "missing argument"): 1,
            ("crash", "slash", "error"): 1,
        } == counts

    def test_every_bug_under_its_command(self, bridged: Played) -> None:
        """Each bug once under its command; a handler re-raising it is the same exception."""
        logs = bridged.sinks.error_logs()
        by_command = {
            str(r.log_record.body): (r.log_record.attributes or {})["otel_discord.exception.id"]
            for r in logs
            if "in command" in str(r.log_record.body)
        }
        assert 6 == len([r for r in logs if "in command" in str(r.log_record.body)])
        assert {
            f"Unhandled exception in command {name}"
            for name in ("config prefix", "crash", "stats", "tag show")
        } == set(by_command)
        handler = [
            (r.log_record.attributes or {})["otel_discord.exception.id"]
            for r in logs
            if str(r.log_record.body) == "Unhandled exception in event on_command_error"
        ]
        assert 3 == len(handler)
        command_ids = {
            (r.log_record.attributes or {})["otel_discord.exception.id"]
            for r in logs
            if "in command" in str(r.log_record.body)
        }
        assert set(handler) <= command_ids  # #logs shows each exception once


def test_uninstrument_restores_pycord() -> None:
    """Every py-cord hook point gets its original back, by identity."""
    import discord.http
    from discord.bot import ApplicationCommandMixin
    from discord.ext.bridge.bot import BotBase as BridgeBotBase
    from discord.ext.commands.bot import BotBase
    from discord.ui.modal import BaseModal, ModalStore
    from discord.ui.view import BaseView

    points = (
        (BaseView, "_scheduled_task"),
        (BaseView, "on_error"),
        (ModalStore, "dispatch"),
        (BaseModal, "on_error"),
        (ApplicationCommandMixin, "invoke_application_command"),
        (BotBase, "invoke"),
        (BridgeBotBase, "invoke"),
        (BridgeBotBase, "invoke_application_command"),
        (discord.http, "parse_response"),
        (discord.Client, "dispatch"),
        (discord.Client, "event"),
    )
    before = [vars(owner)[name] for owner, name in points]
    instrumentor = DiscordInstrumentor()
    instrumentor.instrument()
    assert all(
        vars(owner)[name] is not old for (owner, name), old in zip(points, before, strict=True)
    )
    instrumentor.uninstrument()
    assert before == [vars(owner)[name] for owner, name in points]


@pytest.mark.slow
def test_zero_code(discord_server: Any) -> None:
    """``opentelemetry-instrument`` loads the instrumentor on py-cord: #logs and analytics fill."""
    assert_zero_code(
        discord_server, "tests.instrumentation.fork_bots.pycord_bot", "LookupError", 22
    )


def test_ratelimits_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fork's real HTTP client over loopback: its 429s are counted by scope."""
    import discord

    assert_ratelimits_counted(discord, monkeypatch)


class TestHooksAndChecks:
    """A failing ``before_invoke`` hook escapes past our hook: no frame of ours shows.

    A click the view's ``interaction_check`` refuses fails that check.
    """

    @pytest.fixture(scope="class")
    def hooked(self) -> Played:
        return play_twice(pycord_hooks_bot)

    def test_console_unchanged_and_no_frame_of_ours(self, hooked: Played) -> None:
        assert_printed_as_without_us(hooked, "KeyError: 'profile cache'")

    def test_refused_click_is_a_failed_check(self, hooked: Played) -> None:
        counts = commands_by_reason(hooked.sinks)
        assert 1 == counts[("ConfirmView.confirm", "check failed")]
        assert ("ConfirmView.confirm", "ok") not in counts

    def test_an_error_of_the_bots_own_is_a_refusal(self, hooked: Played) -> None:
        """``NotInVoice(discord.ApplicationCommandError)`` raised on purpose: no bug."""
        assert 1 == commands_by_reason(hooked.sinks)[("play", "refused")]
        assert not [
            r for r in hooked.sinks.error_logs() if "Join a voice" in str(r.log_record.body)
        ]
