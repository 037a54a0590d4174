"""``start_preview`` and ``run_preview``: the local Discord, four webhooks and the page."""

from __future__ import annotations

import _thread
import re
import shlex
import threading

import httpx
import pytest

from otel_discord.channels import Channel
from otel_discord.config import DiscordConfig
from otel_discord.errors import ConfigError
from otel_discord.preview import Preview, run_preview, start_preview

from .support import post

_EXPORT = re.compile(
    r"^export (OTEL_EXPORTER_DISCORD_([A-Z]+)_WEBHOOK_URL)="
    r"(http://127\.0\.0\.1:\d+/api/webhooks/\d+/\S+)$",
    re.MULTILINE,
)


class TestStartPreview:
    """``start_preview`` gives four working webhooks and the page on one port."""

    def test_one_webhook_per_channel(self, preview: Preview) -> None:
        """Every channel has its own webhook on the preview's server."""
        assert set(Channel) == set(preview.urls)
        assert 4 == len(set(preview.urls.values()))
        assert all(url.startswith(preview.server.base_url) for url in preview.urls.values())
        assert f"{preview.server.base_url}/" == preview.page_url

    def test_each_webhook_posts_to_its_channel(self, preview: Preview) -> None:
        """An embed posted to a channel's webhook is read back from that channel."""
        for channel, url in preview.urls.items():
            post(url, {"title": f"hello {channel.value}"})
        for channel in Channel:
            response = httpx.get(
                f"{preview.server.base_url}/_local/messages",
                params={"channel": channel.value, "after": "0"},
                timeout=5.0,
            )
            titles = [
                e["title"] for m in response.json()["messages"] for e in m["payload"]["embeds"]
            ]
            assert [f"hello {channel.value}"] == titles
        assert [] == preview.server.violations

    def test_runs_with_discords_default_limits(self, preview: Preview) -> None:
        """A webhook allows 5 requests per bucket, as on Discord."""
        response = httpx.post(
            preview.urls[Channel.LOGS].replace("/api/", "/api/v10/"),
            json={"content": "hi", "allowed_mentions": {"parse": []}},
            headers={"User-Agent": "DiscordBot (https://example.invalid, 1.0)"},
            timeout=5.0,
        )
        assert "5" == response.headers["x-ratelimit-limit"]

    def test_busy_port_is_one_clear_error(self, preview: Preview) -> None:
        """A port already taken raises ConfigError naming the address."""
        port = int(preview.server.base_url.rsplit(":", 1)[1])
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
            start_preview(port=port)

    def test_stop_closes_the_port(self) -> None:
        """Leaving the ``with`` block stops the server."""
        with start_preview() as preview:
            url = preview.page_url
        with pytest.raises(httpx.ConnectError):
            httpx.get(url, timeout=2.0)


class TestRunPreview:
    """``run_preview`` prints settings ready to paste and serves until its time is up."""

    def test_prints_an_export_per_channel_and_the_page(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Four ``export`` lines, one per channel, and the page's address."""
        assert 0 == run_preview(host="127.0.0.1", port=0, duration_s=0.05)
        out = capsys.readouterr().out
        names = sorted(m[2].lower() for m in _EXPORT.finditer(out))
        assert sorted(c.value for c in Channel) == names
        assert re.search(r"Open http://127\.0\.0\.1:\d+/ ", out)

    def test_printed_settings_configure_all_four_channels(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Pasting the lines gives a configuration that routes every channel."""
        run_preview(port=0, duration_s=0.05)
        env = dict(shlex.split(line)[1].split("=", 1) for line in _lines(capsys.readouterr().out))
        config = DiscordConfig.resolve(env=env)
        assert set(Channel) == set(config.routes)

    def test_stops_serving_when_done(self, capsys: pytest.CaptureFixture[str]) -> None:
        """After it returns, the page's port no longer answers."""
        run_preview(port=0, duration_s=0.05)
        page = re.search(r"Open (http://\S+/) ", capsys.readouterr().out)
        assert page is not None
        with pytest.raises(httpx.ConnectError):
            httpx.get(page[1], timeout=2.0)

    def test_ctrl_c_ends_it_with_success(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Without a duration it serves until Ctrl-C, then returns 0."""
        timer = threading.Timer(0.3, _thread.interrupt_main)
        timer.start()
        try:
            assert 0 == run_preview(port=0, duration_s=None)
        finally:
            timer.cancel()
        assert "stopped" in capsys.readouterr().out


def _lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("export ")]
