"""``otel-discord gateway``: arguments, configuration errors, the listening line."""

from __future__ import annotations

import io
import re
import threading
import time

import httpx
import pytest

from otel_discord import Channel
from otel_discord.cli import build_parser, main
from otel_discord.gateway import GatewaySettings, run_gateway
from tests.conftest import FourChannels


class TestArguments:
    """The subcommand's options and defaults."""

    def test_defaults(self) -> None:
        """Loopback, the OTLP/HTTP port, no token, 15 s merges."""
        args = build_parser().parse_args(["gateway"])
        assert ("127.0.0.1", 4318, None, 15.0) == (
            args.host,
            args.port,
            args.token,
            args.merge_interval,
        )


class TestMain:
    """Configuration problems are one line on stderr and exit code 2."""

    def test_no_destination(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Without any webhook the gateway refuses to start."""
        assert 2 == main(["gateway", "--port", "0"])
        assert "no channel is configured" in capsys.readouterr().err

    def test_public_address_without_token(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Listening beyond loopback without a token is refused before binding."""
        monkeypatch.delenv("OTEL_DISCORD_GATEWAY_TOKEN", raising=False)
        assert 2 == main(["gateway", "--host", "0.0.0.0", "--port", "0"])
        assert "requires a token" in capsys.readouterr().err


class TestRunGateway:
    """``run_gateway`` prints where it listens, serves, and stops on request."""

    def test_listening_line_then_clean_stop(self, four_channels: FourChannels) -> None:
        """The printed URL answers OTLP; setting ``stop`` ends the run with code 0."""
        out, stop, codes = io.StringIO(), threading.Event(), []
        config = four_channels.config()
        runner = threading.Thread(
            target=lambda: codes.append(
                run_gateway(GatewaySettings(port=0), config, out=out, stop=stop)
            )
        )
        runner.start()
        try:
            deadline = time.monotonic() + 10
            while "\n" not in out.getvalue() and time.monotonic() < deadline:
                time.sleep(0.01)
            match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)\n", out.getvalue())
            assert match, out.getvalue()
            response = httpx.post(
                f"{match[1]}/v1/logs",
                content=b"",
                headers={"Content-Type": "application/x-protobuf"},
            )
            assert 200 == response.status_code
        finally:
            stop.set()
            runner.join(15)
        assert [0] == codes
        assert four_channels.embeds(Channel.DIAGNOSTICS)  # the start-up notice went out
