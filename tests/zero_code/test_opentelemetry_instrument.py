"""``opentelemetry-instrument python bot.py`` with only webhook variables set.

A real discord.py bot script (no telemetry code) runs under the wrapper, in a
subprocess, pointing at the strict local Discord; all four channels must fill.
The second case adds opentelemetry-distro, whose defaults name the OTLP exporter
(not installed here): the partial-exporter pitfall our distro must survive.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from otel_discord import Channel
from otel_discord.config import webhook_env

BOT = Path(__file__).with_name("offline_bot.py")
WRAPPER = Path(sys.executable).with_name("opentelemetry-instrument")

pytestmark = [
    pytest.mark.skipif(not WRAPPER.exists(), reason="opentelemetry-instrument missing"),
    pytest.mark.slow,  # a bot run in a subprocess under opentelemetry-instrument
]


@pytest.fixture
def webhooks(discord_server) -> dict[str, str]:
    """One webhook per channel, set the way a user would: environment variables only."""
    return {webhook_env(c): discord_server.create_webhook(c.value) for c in Channel}


def run_instrumented(variables: dict[str, str], extra_path: str | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(variables)
    env["PATH"] = f"{WRAPPER.parent}{os.pathsep}{env.get('PATH', '')}"
    if extra_path:
        env["PYTHONPATH"] = extra_path
    return subprocess.run(
        [str(WRAPPER), sys.executable, str(BOT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_all_channels(server, result, variables: dict[str, str]) -> None:
    assert 0 == result.returncode, result.stderr[-3000:]
    titles = {c: [e.get("title", "") for e in server.embeds(c.value)] for c in Channel}
    assert all(titles.values()), (titles, result.stderr[-3000:])
    assert any(t.startswith("❌ ValueError: invalid literal") for t in titles[Channel.LOGS])
    assert any(t.startswith("📊 Activity") for t in titles[Channel.ANALYTICS])
    assert any(t.startswith("⚡ Performance snapshot") for t in titles[Channel.PERFORMANCE])
    assert any(t.startswith("🟢 Monitoring started") for t in titles[Channel.DIAGNOSTICS])
    # The status message, posted at start and edited to Stopped when the bot exited.
    assert 1 == sum(t.endswith(" · Stopped") for t in titles[Channel.DIAGNOSTICS])
    for url in variables.values():
        assert url.rsplit("/", 1)[-1] not in result.stdout + result.stderr
    assert [] == server.violations


class TestZeroCode:
    """The wrapper finds our distro, exporters and instrumentors by entry point."""

    def test_only_webhook_variables(self, discord_server, webhooks) -> None:
        result = run_instrumented(webhooks)
        assert_all_channels(discord_server, result, webhooks)
        # the console is what Python prints without us: discord.py's NullHandler keeps its
        # "Ignoring exception" quiet in a script with no logging set up; the bot's warning shows
        assert "about to stop\n" == result.stderr

    def test_beside_opentelemetry_distro(self, discord_server, webhooks, tmp_path) -> None:
        target = tmp_path / "distro"
        install = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-q",
                "--no-deps",
                "--target",
                str(target),
                "opentelemetry-distro",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert 0 == install.returncode, install.stderr[-1000:]
        result = run_instrumented(webhooks, extra_path=str(target))
        assert_all_channels(discord_server, result, webhooks)


SPAN_SCRIPT = Path(__file__).with_name("span_processors.py")


def run_wrapped(args: list[str], variables: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python *args`` under ``opentelemetry-instrument`` with only ``variables`` of
    OpenTelemetry's; it must exit 0."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(variables)
    result = subprocess.run(
        [str(WRAPPER), sys.executable, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert 0 == result.returncode, result.stderr[-3000:]
    return result


def run_span_script(variables: dict[str, str]) -> dict[str, list[str]]:
    # this script is about spans
    result = run_wrapped([str(SPAN_SCRIPT)], {**variables, "OTEL_METRICS_EXPORTER": "none"})
    [line] = [x for x in result.stdout.splitlines() if x.startswith('{"processors"')]
    report: dict[str, list[str]] = json.loads(line)
    return report


class TestZeroCodeSpanProcessor:
    """The discord traces exporter gets a processor without a worker thread."""

    def test_discord_alone_runs_no_batch_thread(self, discord_server, webhooks) -> None:
        report = run_span_script(webhooks)
        assert ["DiscordSpanProcessor"] == report["processors"]
        assert not [t for t in report["threads"] if t.startswith("OtelBatchSpan")]
        titles = [e.get("title", "") for e in discord_server.embeds(Channel.LOGS.value)]
        assert ["❌ RuntimeError: rollout halted"] == titles
        [summary] = [
            e
            for e in discord_server.embeds(Channel.ANALYTICS.value)
            if e.get("title", "").startswith("📊 Activity")
        ]
        spans = next(f["value"] for f in summary["fields"] if f["name"] == "Spans")
        assert spans.startswith("301 spans · error rate 0.3 %"), spans
        assert [] == discord_server.violations

    def test_other_exporters_keep_the_batch_processor(self, discord_server, webhooks) -> None:
        report = run_span_script({**webhooks, "OTEL_TRACES_EXPORTER": "discord,console"})
        assert ["DiscordSpanProcessor", "BatchSpanProcessor"] == report["processors"]
        assert 1 == sum(t.startswith("OtelBatchSpan") for t in report["threads"])


def test_a_malformed_setting_is_one_line_and_the_app_runs_on() -> None:
    """One line naming the variable (no token, no traceback); the other exporters, the
    instrumentations and the console stay as they would be."""
    token = "SECRETTOKEN123abc"
    hook = f"https://discord.com/api/webhooks/123/{token}/slack"
    result = run_wrapped(
        ["-c", "import logging; logging.getLogger('app').error('the app still prints')"],
        {"OTEL_EXPORTER_DISCORD_LOGS_WEBHOOK_URL": hook},
    )
    errors = [line for line in result.stderr.splitlines() if line.startswith("otel-discord: ")]
    assert 1 == len(errors), result.stderr[-3000:]
    assert "OTEL_EXPORTER_DISCORD_LOGS_WEBHOOK_URL" in errors[0]
    assert "Traceback" not in result.stderr
    assert token not in result.stderr
    assert "the app still prints" in result.stderr


def test_configure_under_the_wrapper(discord_server, webhooks) -> None:
    """The app also calls configure(): its error reaches #logs once, nothing is instrumented
    twice, and its shutdown() leaves the wrapper's pipeline running until the end."""
    script = (
        "import logging, otel_discord\n"
        "t = otel_discord.configure(service_name='svc')\n"
        "logging.getLogger('app').error('single error')\n"
        "print('shutdown', t.shutdown())\n"
    )
    result = run_wrapped(["-c", script], webhooks)
    assert 1 == result.stderr.count("single error")
    assert "already instrumented" not in result.stderr
    titles = [e.get("title", "") for e in discord_server.embeds(Channel.LOGS.value)]
    assert ["❌ ERROR · app"] == titles


BURST_SCRIPT = Path(__file__).with_name("log_burst.py")


class TestZeroCodeLogProcessor:
    """The discord logs exporter gets the clipping processor with its longer queue."""

    @staticmethod
    def run_burst(variables: dict[str, str], count: int) -> list[str]:
        variables = {**variables, "OTEL_METRICS_EXPORTER": "none", "OTEL_TRACES_EXPORTER": "none"}
        result = run_wrapped([str(BURST_SCRIPT), str(count)], variables)
        [line] = [x for x in result.stdout.splitlines() if x.startswith('{"processors"')]
        processors: list[str] = json.loads(line)["processors"]
        return processors

    def test_a_burst_of_errors_arrives_whole(self, discord_server, webhooks) -> None:
        """10,000 errors at once, past the 2,048 records the SDK's batch processor holds."""
        assert ["ClippingLogRecordProcessor"] == self.run_burst(webhooks, 10_000)
        embeds = discord_server.embeds(Channel.LOGS.value)
        assert {"❌ ERROR · burst"} == {e.get("title") for e in embeds}
        assert "seen 10,000× since" in embeds[-1]["description"]
        assert [] == discord_server.violations

    def test_other_exporters_keep_the_batch_processor(self, discord_server, webhooks) -> None:
        processors = self.run_burst({**webhooks, "OTEL_LOGS_EXPORTER": "discord,console"}, 3)
        assert ["ClippingLogRecordProcessor", "BatchLogRecordProcessor"] == processors
