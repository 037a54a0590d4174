"""End to end: bot processes with the official OTLP/HTTP exporters -> gateway process -> Discord.

Everything is a real process or a real server: the gateway runs as
``python -m otel_discord.cli gateway --port 0`` and posts to the strict local
Discord in this test process; three sender processes export concurrently.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

import pytest

from otel_discord import Channel
from otel_discord.config import webhook_env
from otel_discord.testing import DiscordServer

SENDER = Path(__file__).with_name("_sender.py")
PROCESSES = 3
SHARDS = {0: "0,1", 1: "2,3", 2: "4,5"}
TOKEN = "fleet-test-token"
QUIET = "3600000"
GATEWAY_ARGS = ("--port", "0", "--merge-interval", "0.5")

sys.path.insert(0, str(SENDER.parent))
import _sender  # noqa: E402


def _first_line(stream: IO[str], timeout_s: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    return lines.get(timeout=timeout_s)


def _occurrences(embed: dict[str, Any]) -> int:
    match = re.search(r"\*\*([\d,]+) occurrences\*\*", embed.get("description", ""))
    return int(match[1].replace(",", "")) if match else 1


@pytest.fixture
def discord() -> Any:
    with DiscordServer() as server:  # Discord's own limits: 5 per 2 s per webhook, 30/min
        yield server


def _gateway_env(server: DiscordServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    for channel in Channel:
        env[webhook_env(channel)] = server.create_webhook(channel.value)
    for name in ("ANALYTICS", "PERFORMANCE", "SYSTEM", "HEALTH", "ALERT"):
        env[f"OTEL_EXPORTER_DISCORD_{name}_INTERVAL"] = QUIET
    env["OTEL_DISCORD_GATEWAY_TOKEN"] = TOKEN
    return env


class TestFleetThroughGateway:
    """Several real processes send concurrently; Discord sees one merged, exact view."""

    def test_processes_merge_into_exact_totals_without_rate_limits(
        self, discord: DiscordServer
    ) -> None:
        """Totals add up across processes, per-process lines appear, and Discord is never hit."""
        gateway = subprocess.Popen(
            [sys.executable, "-m", "otel_discord.cli", "gateway", *GATEWAY_ARGS],
            env=_gateway_env(discord),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            line = _first_line(gateway.stdout, 20)  # type: ignore[arg-type]
            match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)\n", line)
            assert match, line
            sender_env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
            sender_env["GATEWAY_TOKEN"] = TOKEN
            senders = [
                subprocess.Popen(
                    [sys.executable, str(SENDER), match[1], str(i), SHARDS[i]],
                    env=sender_env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for i in range(PROCESSES)
            ]
            for sender in senders:
                out, err = sender.communicate(timeout=30)
                assert (0, "sent\n") == (sender.returncode, out), err
            gateway.send_signal(signal.SIGTERM)
            _, err = gateway.communicate(timeout=30)
            assert 0 == gateway.returncode, err
        finally:
            if gateway.poll() is None:
                gateway.kill()
                gateway.wait()

        assert [] == discord.violations
        assert {} == discord.stats().rate_limited
        [activity] = discord.embeds(Channel.ANALYTICS.value)
        commands = PROCESSES * (_sender.COMMANDS_OK + _sender.COMMANDS_FAILED)
        assert f"{commands} commands · across {PROCESSES} processes" in activity["description"]
        fields = {f["name"]: f["value"] for f in activity["fields"]}
        ok, failed = PROCESSES * _sender.COMMANDS_OK, PROCESSES * _sender.COMMANDS_FAILED
        assert fields["Commands"].startswith(f"{ok} ok · {failed} failed")
        assert fields["Spans"].startswith(f"{PROCESSES * _sender.SPANS} spans")
        per_process = fields["Per process"].splitlines()
        assert PROCESSES == len(per_process)
        errors = _sender.FAILED_SPANS + _sender.ERROR_LOGS
        for row in per_process:
            assert f"10 cmds · {_sender.SPANS} spans · {errors} errors" in row
        assert "fleetbot · 3 processes on 2 hosts" in activity["footer"]["text"]

        logs = discord.embeds(Channel.LOGS.value)
        log_errors = sum(_occurrences(e) for e in logs if e["title"] == "❌ ERROR · bot.commands")
        span_errors = sum(_occurrences(e) for e in logs if "command ping" in e["description"])
        assert PROCESSES * _sender.ERROR_LOGS == log_errors
        assert PROCESSES * _sender.FAILED_SPANS == span_errors
        hosts = {e["footer"]["text"] for e in logs if e["title"] == "❌ ERROR · bot.commands"}
        assert all("host host-" in text for text in hosts)  # errors name their process
