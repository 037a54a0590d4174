"""Realistic bots, run twice offline: as written, and under ``opentelemetry-instrument``.

Each corpus bot (see its docstring for the public bots it is modelled on) runs
as a subprocess with nothing but its own code; the instrumented run adds the
wrapper and the four webhook variables, pointing at the strict local Discord.
The bot must not notice: the same console lines (timestamps aside) and the same
REST calls. Discord must show what a bot owner expects: each unhandled error
once, no error for a user's mistake, failures counted by reason, qualified
names, exact counts, and a stopped notice at the end.

The six runs start together and are shared by every assertion below.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from otel_discord import Channel
from otel_discord.config import webhook_env
from otel_discord.testing import DiscordServer

HERE = Path(__file__).parent
WRAPPER = Path(sys.executable).with_name("opentelemetry-instrument")
BOTS = ("template_bot.py", "sharded_bot.py", "feedback_bot.py")
CRASHING = "crashing_bot.py"
"""Dies at start-up (exit code 1): not in ``BOTS``, whose runs end normally."""
SETTINGS = {
    "template_bot.py": {},
    "feedback_bot.py": {},
    CRASHING: {"OTEL_EXPORTER_DISCORD_STATUS_MESSAGE": "false"},
    # without the live status message, a plain "stopped" notice closes the run
    "sharded_bot.py": {"OTEL_EXPORTER_DISCORD_STATUS_MESSAGE": "false"},
}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not WRAPPER.exists(), reason="opentelemetry-instrument missing"),
]

ANSI = re.compile(r"\x1b\[[0-9;]*m")
STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:,\d+)?")
OUR_FRAME = re.compile(
    r'^  File ".*[\\/]otel_discord[\\/](?P<file>[^"]+)", line \d+, in (?P<func>.+)$'
)
COUNT = re.compile(r"^\*\*(?P<n>[\d,]+) occurrences\*\*")


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class BotRuns:
    plain: Run
    instrumented: Run
    server: DiscordServer

    def embeds(self, channel: Channel) -> list[dict[str, Any]]:
        return self.server.embeds(channel.value)


def _environment(webhooks: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.pop("PYTHONPATH", None)
    env["PATH"] = f"{WRAPPER.parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(webhooks or {})
    return env


@pytest.fixture(scope="module")
def corpus() -> Iterator[dict[str, BotRuns]]:
    """Every bot, plain and instrumented, all started at once (subprocesses are slow)."""
    with contextlib.ExitStack() as stack:
        started = {}
        for bot in (*BOTS, CRASHING):
            server = stack.enter_context(
                DiscordServer(webhook_limit=(50, 1.0), channel_limit=(300, 1.0))
            )
            hooks = {webhook_env(c): server.create_webhook(c.value) for c in Channel}
            hooks.update(SETTINGS[bot])
            commands = {
                "plain": ([sys.executable, bot], _environment(None)),
                "instrumented": ([str(WRAPPER), sys.executable, bot], _environment(hooks)),
            }
            started[bot] = (
                server,
                {
                    mode: subprocess.Popen(
                        argv,
                        cwd=HERE,
                        env=env,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        text=True,
                    )
                    for mode, (argv, env) in commands.items()
                },
            )
        runs = {}
        for bot, (server, processes) in started.items():
            done = {}
            for mode, process in processes.items():
                out, err = process.communicate(timeout=120)
                done[mode] = Run(process.returncode, out, err)
            runs[bot] = BotRuns(done["plain"], done["instrumented"], server)
        yield runs


def console(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Lines without colours and timestamps; frames of otel_discord taken out and listed."""
    lines: list[str] = []
    ours: list[tuple[str, str]] = []
    raw = ANSI.sub("", text).splitlines()
    index = 0
    while index < len(raw):
        match = OUR_FRAME.match(raw[index])
        index += 1
        if match:
            ours.append((match["file"].replace("\\", "/"), match["func"]))
            while index < len(raw) and raw[index].startswith("    "):
                index += 1  # its source line and carets
            continue
        lines.append(STAMP.sub("<time>", raw[index - 1]))
    return lines, ours


def problems(runs: BotRuns) -> dict[tuple[str, str], int]:
    """#logs as (title, first line of the message) -> occurrences, over every embed."""
    out: dict[tuple[str, str], int] = {}
    for embed in runs.embeds(Channel.LOGS):
        head, *rest = embed["description"].split("\n")
        match = COUNT.match(head)
        count = int(match["n"].replace(",", "")) if match else 1
        message = next((line for line in rest if not line.startswith("```")), "")
        key = (embed["title"], message)
        out[key] = out.get(key, 0) + count
    return out


def fields(embed: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in embed.get("fields", [])}


def activity(runs: BotRuns) -> dict[str, Any]:
    [summary] = [e for e in runs.embeds(Channel.ANALYTICS) if e["title"].startswith("📊")]
    return summary


def stopped_lines(runs: BotRuns) -> list[str]:
    titles = [e["title"] for e in runs.embeds(Channel.DIAGNOSTICS)]
    assert ["🟢 Monitoring started", "⏹️ Monitoring stopped"] == [t.split(" · ")[0] for t in titles]
    return str(runs.embeds(Channel.DIAGNOSTICS)[-1]["description"]).split("\n")


def live_status(runs: BotRuns) -> dict[str, Any]:
    """The live status message, as last edited."""
    [status] = [e for e in runs.embeds(Channel.DIAGNOSTICS) if e["title"].endswith(" · Stopped")]
    return status


class TestTheBotDoesNotNotice:
    """Same console lines and REST calls with and without the wrapper."""

    @pytest.mark.parametrize("bot", BOTS)
    def test_same_exit_stdout_and_rest_calls(self, corpus, bot) -> None:
        runs = corpus[bot]
        assert (0, 0) == (runs.plain.returncode, runs.instrumented.returncode), (
            runs.instrumented.stderr[-3000:]
        )
        assert runs.plain.stdout.startswith("REST [[")
        assert runs.plain.stdout == runs.instrumented.stdout

    @pytest.mark.parametrize(
        ("bot", "remaining"),
        [
            ("template_bot.py", []),
            # a stale slash command escapes CommandTree._call, through the span's wrapper,
            # which takes its frame off the traceback on CPython 3.11+ (drop_own_frame)
            (
                "sharded_bot.py",
                []
                if sys.version_info >= (3, 11)
                else [("instrumentation/_probe.py", "run_observed")],
            ),
            ("feedback_bot.py", []),
            (CRASHING, []),
        ],
    )
    def test_same_console_lines(self, corpus, bot, remaining) -> None:
        runs = corpus[bot]
        plain, none = console(runs.plain.stderr)
        instrumented, ours = console(runs.instrumented.stderr)
        assert [] == none
        assert plain == instrumented
        assert remaining == ours

    def test_no_secret_and_no_violation(self, corpus) -> None:
        for runs in corpus.values():
            assert [] == runs.server.violations
            for run in (runs.plain, runs.instrumented):
                assert "/webhooks/" not in run.stdout + run.stderr


class TestTemplateBot:
    """Hybrid commands, a cog error handler that re-raises, a view, bot.run() logging."""

    def test_each_unhandled_error_once_and_no_user_error(self, corpus) -> None:
        runs = corpus["template_bot.py"]
        view = (
            "Ignoring exception in view <PanelView timeout=None children=2> for item <Button"
            " style=<ButtonStyle.danger: 4> url=None disabled=False label='Deny' emoji=None"
            " row=None sku\\_id=None id=None>"
        )
        assert {
            ("⚠️ WARN · discord.client", "PyNaCl is not installed, voice will NOT be supported"): 1,
            ("⚠️ WARN · discord.client", "davey is not installed, voice will NOT be supported"): 1,
            (
                "❌ discord.errors.Forbidden: 403 Forbidden (error code: 50013): Missing"
                " Permissions",
                "Unhandled exception in event on\\_guild\\_join",
            ): 1,
            # the prefix and the slash run of ratio: two exceptions of one kind
            ("❌ ZeroDivisionError: division by zero", "Unhandled exception in command ratio"): 2,
            # two errors logged inside one command's span: both shown
            ("❌ ZeroDivisionError: division by zero", "empty report"): 1,
            ("❌ KeyError: 'week'", "no week row"): 1,
            ("❌ KeyError: 'default'", view): 1,
        } == problems(runs)

    def test_failures_by_reason_and_counts(self, corpus) -> None:
        summary = activity(corpus["template_bot.py"])
        assert (
            "**61 events** · 15 messages · 19 commands · 2 active users" == summary["description"]
        )
        shown = fields(summary)
        assert (
            "11 ok · 8 failed (3 error, 1 bad argument, 1 missing argument,"
            " 1 missing permission, 1 not owner, 1 on cooldown)"
        ) == shown["Commands"]
        assert (
            "1. `roll` — 4 (2 failed)\n2. `PanelView.approve` — 2\n3. `daily` — 2 (1 failed)"
            "\n4. `ping` — 2\n5. `ratio` — 2 (2 failed)"
        ) == shown["Top commands"]
        assert "1" == shown["Unknown commands"]
        assert "members +1 / −2\nTest Guild +1 / −2\nguilds +1 / −0" == shown["Joins · leaves"]
        assert shown["Spans"].startswith("19 spans · error rate 15.8 %\n")

    def test_qualified_names_in_spans(self, corpus) -> None:
        table = fields(activity(corpus["template_bot.py"]))["Spans"]
        assert "component PanelView." in table  # the table is 20 characters wide

    def test_status_message_says_stopped(self, corpus) -> None:
        status = live_status(corpus["template_bot.py"])
        assert "6" == fields(status)["Errors since start"]  # bugs only: no user mistake

    def test_last_snapshot_is_no_outage(self, corpus) -> None:
        snapshots = corpus["template_bot.py"].embeds(Channel.PERFORMANCE)
        assert snapshots
        assert all("0/1 connected" not in str(e) for e in snapshots)


class TestShardedBot:
    """AutoShardedBot, its own basicConfig, a global handler that swallows everything."""

    def test_each_unhandled_error_once(self, corpus) -> None:
        assert {
            ("⚠️ WARN · discord.client", "PyNaCl is not installed, voice will NOT be supported"): 1,
            ("⚠️ WARN · discord.client", "davey is not installed, voice will NOT be supported"): 1,
            # swallowed by the bot's handler, but a bug in its code all the same
            ("❌ KeyError: 'locale'", "Unhandled exception in command config get"): 1,
            (
                "❌ discord.app\\_commands.errors.CommandNotFound: Application command"
                " 'leaderboard' not found",
                "Ignoring exception in command tree",
            ): 1,
            ("❌ KeyError: 'member'", "Unhandled exception in event on\\_member\\_join"): 1,
            # the tasks.loop's bug, which discord.py logs (the loop stops)
            (
                "❌ KeyError: 'TOPGG\\_TOKEN'",
                "Unhandled exception in internal background task 'post\\_stats'.",
            ): 1,
            # a slash command's bug: discord.py's own record came first, the span's is the same
            # named after the exception the bot raised, whichever record came first
            ("❌ KeyError: 'faq'", "Ignoring exception in command 'delete'"): 1,
        } == problems(corpus["sharded_bot.py"])

    def test_qualified_names_and_reasons(self, corpus) -> None:
        shown = fields(activity(corpus["sharded_bot.py"]))
        assert (
            "4 ok · 5 failed (2 error, 1 missing argument, 1 not owner, 1 on cooldown)"
        ) == shown["Commands"]
        assert (
            "1. `config set` — 2 (1 failed)\n2. `stats` — 2 (1 failed)\n3. `config` — 1"
            "\n4. `config get` — 1 (1 failed)\n5. `reload` — 1 (1 failed)"
        ) == shown["Top commands"]
        assert "2" == shown["Unknown commands"]
        assert "/tag create" in shown["Spans"]
        assert "/tag del" in shown["Spans"]  # the table is 20 characters wide

    def test_stopped_notice(self, corpus) -> None:
        lines = stopped_lines(corpus["sharded_bot.py"])
        assert ["9 commands (4 ok · 5 failed) · 8 messages · 36 events", "5 errors"] == lines[1:]


class TestFeedbackBot:
    """discord.utils.setup_logging(), a client's command tree, a modal with its own on_error."""

    def test_root_handler_lines_printed_once(self, corpus) -> None:
        """setup_logging() puts discord.py's handler on the root logger, beside our bridge."""
        runs = corpus["feedback_bot.py"]
        for run in (runs.plain, runs.instrumented):
            lines, _ = console(run.stderr)
            assert 1 == sum(
                line.endswith("feedback_bot feedback from bob: 0 characters") for line in lines
            )
            assert "IndexError: list index out of range" == lines[-1]

    def test_modal_submits_counted(self, corpus) -> None:
        """Two submits of the Feedback modal, named by its class (the one whose on_submit
        raised failed, though the modal's own on_error handled it); the slash commands beside."""
        shown = fields(activity(corpus["feedback_bot.py"]))
        top = "1. `Feedback` — 2 (1 failed)\n2. `feedback` — 2\n3. `hello` — 1"
        assert top == shown["Top commands"]
        assert "\nmodal Feedback            2" in shown["Spans"]

    def test_only_library_warnings_in_logs(self, corpus) -> None:
        """No user error, nothing twice: the two warnings discord.py logs at start-up."""
        runs = corpus["feedback_bot.py"]
        warnings = {k: v for k, v in problems(runs).items() if k[0].startswith("⚠️")}
        assert {
            ("⚠️ WARN · discord.client", "PyNaCl is not installed, voice will NOT be supported"): 1,
            ("⚠️ WARN · discord.client", "davey is not installed, voice will NOT be supported"): 1,
        } == warnings

    def test_modal_bug_reported(self, corpus) -> None:
        """The IndexError in on_submit is a bug of the bot's, handled or not: shown once."""
        runs = corpus["feedback_bot.py"]
        assert "4 ok · 1 failed (1 error)" == fields(activity(runs))["Commands"]
        assert 1 == sum(k[0] == "❌ IndexError: list index out of range" for k in problems(runs))


class TestCrashingBot:
    """A start-up failure ends the process: it is in #logs, and the stop counts it."""

    def test_exit_code_and_output_unchanged(self, corpus) -> None:
        runs = corpus[CRASHING]
        assert (1, 1) == (runs.plain.returncode, runs.instrumented.returncode)
        assert "" == runs.plain.stdout == runs.instrumented.stdout
        assert console(runs.plain.stderr)[0][-1] == "KeyError: 'BOT_OWNER_ID'"

    def test_the_fatal_error_is_reported_once(self, corpus) -> None:
        runs = corpus[CRASHING]
        assert {
            (
                "❌ KeyError: 'BOT\\_OWNER\\_ID'",
                "Unhandled exception in the process, which it ended",
            ): 1
        } == {k: v for k, v in problems(runs).items() if k[0].startswith("❌")}
        assert "1 error" in stopped_lines(runs)
