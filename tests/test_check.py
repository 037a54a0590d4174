"""``otel-discord check`` against good, deleted and malformed webhooks on the local Discord."""

from __future__ import annotations

import subprocess
import sys

import pytest

from otel_discord.cli import main

BOT = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.secretbotpart_xyz"


class TestCheck:
    """A line per channel: ok, Discord's exact error, or unreachable; the exit code sums it up."""

    def test_all_good(self, discord_server, monkeypatch, capsys) -> None:
        url = discord_server.create_webhook("alerts")
        monkeypatch.setenv("OTEL_EXPORTER_DISCORD_WEBHOOK_URL", url)
        assert 0 == main(["check"])
        out = capsys.readouterr().out
        assert 4 == out.count(" ok ")
        assert url.rsplit("/", 1)[-1] not in out
        assert 4 == len(discord_server.messages("alerts"))
        assert [] == discord_server.violations

    def test_deleted_and_unreachable(self, discord_server, monkeypatch, capsys) -> None:
        good = discord_server.create_webhook("logs")
        deleted = discord_server.create_webhook("analytics")
        discord_server.delete_webhook(deleted)
        monkeypatch.setenv("OTEL_EXPORTER_DISCORD_LOGS_WEBHOOK_URL", good)
        monkeypatch.setenv("OTEL_EXPORTER_DISCORD_ANALYTICS_WEBHOOK_URL", deleted)
        monkeypatch.setenv(
            "OTEL_EXPORTER_DISCORD_PERFORMANCE_WEBHOOK_URL",
            "http://127.0.0.1:9/api/webhooks/1/nobodyhome",
        )
        assert 1 == main(["check"])
        out = capsys.readouterr().out
        lines = {line.split()[0]: line for line in out.splitlines()[1:]}
        assert " ok " in lines["logs"]
        # The detail is Discord's answer, not the delivery engine's "no more messages"
        # sentence (a check switches nothing off), and the destination is not repeated.
        assert lines["analytics"].endswith(
            "/***  the webhook was deleted (404 code 10015 Unknown Webhook)"
        )
        assert 1 == lines["analytics"].count("/api/v10/webhooks/")
        assert " unreachable " in lines["performance"]
        assert " off " in lines["diagnostics"]
        for url in (good, deleted):
            assert url.rsplit("/", 1)[-1] not in out

    def test_bot_channel_missing_permission(self, discord_server, monkeypatch, capsys) -> None:
        channel_id = discord_server.create_channel("ops")
        discord_server.add_bot(BOT, permissions={"VIEW_CHANNEL", "SEND_MESSAGES"})
        monkeypatch.setenv("OTEL_EXPORTER_DISCORD_BOT_TOKEN", BOT)
        monkeypatch.setenv(
            "OTEL_EXPORTER_DISCORD_API_BASE_URL", discord_server.base_url + "/api/v10"
        )
        monkeypatch.setenv("OTEL_EXPORTER_DISCORD_LOGS_CHANNEL_ID", channel_id)
        assert 1 == main(["check"])
        out = capsys.readouterr().out
        assert "403" in out
        assert "Embed Links" in out
        assert BOT not in out

    def test_bot_channel_without_a_token(self, discord_server, monkeypatch, capsys) -> None:
        """Outside the bot there is no token to borrow: the check says which variable."""
        monkeypatch.setenv(
            "OTEL_EXPORTER_DISCORD_API_BASE_URL", discord_server.base_url + "/api/v10"
        )
        monkeypatch.setenv(
            "OTEL_EXPORTER_DISCORD_LOGS_CHANNEL_ID", discord_server.create_channel("ops")
        )
        assert 1 == main(["check"])
        out = capsys.readouterr().out
        assert "needs OTEL_EXPORTER_DISCORD_BOT_TOKEN here" in out
        assert [] == discord_server.messages()

    def test_malformed_is_one_line(self, monkeypatch, capsys) -> None:
        monkeypatch.setenv(
            "OTEL_EXPORTER_DISCORD_LOGS_WEBHOOK_URL", "https://discord.com/api/webhooks/x/tok3n"
        )
        assert 2 == main(["check"])
        err = capsys.readouterr().err
        assert err.startswith("otel-discord: OTEL_EXPORTER_DISCORD_LOGS_WEBHOOK_URL:")
        assert 1 == len(err.strip().splitlines())
        assert "tok3n" not in err

    def test_nothing_configured(self, capsys) -> None:
        assert 2 == main(["check"])
        assert "no channel is configured" in capsys.readouterr().err

    def test_the_help_it_points_to_names_every_variable(self, capsys) -> None:
        """The no-channel error says "see --help": the help names what to set."""
        with pytest.raises(SystemExit):
            main(["check", "--help"])
        text = " ".join(capsys.readouterr().out.split())
        for name in (
            "OTEL_EXPORTER_DISCORD_WEBHOOK_URL",
            "OTEL_EXPORTER_DISCORD_<CHANNEL>_WEBHOOK_URL",
            "OTEL_EXPORTER_DISCORD_<CHANNEL>_CHANNEL_ID",
            "OTEL_EXPORTER_DISCORD_BOT_TOKEN",
            "ANALYTICS, DIAGNOSTICS, LOGS or PERFORMANCE",
        ):
            assert name in text


@pytest.mark.parametrize("module", ["otel_discord.cli", "otel_discord"])
@pytest.mark.parametrize("args", [["--help"], ["check", "--help"], ["preview", "--help"]])
def test_help(module: str, args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert 0 == result.returncode
    assert "usage: otel-discord" in result.stdout


@pytest.mark.parametrize(
    ("missing", "args", "extra"),
    [
        ("aiohttp", ["gateway", "--port", "0"], "gateway"),
        ("discord", ["demo", "--port", "0", "--duration", "1"], "discord"),
    ],
)
def test_a_missing_extra_is_one_line(missing: str, args: list[str], extra: str) -> None:
    """``pip install otel-discord`` without the extra: the command names it, no traceback."""
    hide = f"import sys; sys.modules[{missing!r}] = None"  # as if never installed
    run = f"from otel_discord.cli import main; raise SystemExit(main({args!r}))"
    result = subprocess.run(
        [sys.executable, "-c", f"{hide}; {run}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert 2 == result.returncode
    assert [
        f"otel-discord: {args[0]} needs {missing}, which is not installed: "
        f'pip install "otel-discord[{extra}]"'
    ] == result.stderr.splitlines()
    assert "" == result.stdout  # the demo's page never started
