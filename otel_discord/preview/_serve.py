"""Start the strict local Discord with the preview page, one webhook per channel."""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Final

from otel_discord.channels import Channel
from otel_discord.config import webhook_env
from otel_discord.errors import ConfigError
from otel_discord.localdiscord import DiscordServer
from otel_discord.preview._assets import page_assets

WEBHOOK_NAME: Final = "otel-discord"
"""The name the preview's webhooks post under unless a payload sets ``username``."""


@dataclass(frozen=True)
class Preview:
    """A running preview: the local Discord, its four webhook URLs and the page's address."""

    server: DiscordServer
    urls: dict[Channel, str]
    page_url: str

    def export_lines(self) -> list[str]:
        """``export OTEL_EXPORTER_DISCORD_<CHANNEL>_WEBHOOK_URL=...`` lines, ready to paste."""
        return [
            f"export {webhook_env(channel)}={shlex.quote(url)}"
            for channel, url in self.urls.items()
        ]

    def stop(self) -> None:
        """Stop the server; stopping twice is harmless."""
        self.server.stop()

    def __enter__(self) -> Preview:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_preview(host: str = "127.0.0.1", port: int = 0) -> Preview:
    """Serve the local Discord (Discord's default limits) and the page on ``host:port``.

    Raises:
        ConfigError: the address cannot be bound (in use, or not this machine's).
    """
    server = DiscordServer(host=host, port=port, pages=page_assets())
    try:
        server.start()
    except OSError as exc:
        msg = f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        raise ConfigError(msg) from None
    urls = {channel: server.create_webhook(channel.value, WEBHOOK_NAME) for channel in Channel}
    return Preview(server=server, urls=urls, page_url=f"{server.base_url}/")


def run_preview(
    *, host: str = "127.0.0.1", port: int = 8787, duration_s: float | None = None
) -> int:
    """``otel-discord preview``: print the webhook settings and the page, serve until done.

    Serves for ``duration_s`` seconds, or until Ctrl-C when it is None; returns 0.
    """
    with start_preview(host, port) as preview:
        print("otel-discord preview: a strict local Discord is running.", flush=True)
        print(f"Open {preview.page_url} to watch the four channels.\n", flush=True)
        print("Point your bot at it (these tokens are local and throwaway):", flush=True)
        for line in preview.export_lines():
            print(line, flush=True)
        print("\nPress Ctrl-C to stop.", flush=True)
        try:
            _wait(duration_s)
        except KeyboardInterrupt:
            print("\nstopped.", flush=True)
    return 0


def _wait(duration_s: float | None) -> None:
    """Sleep in short steps so Ctrl-C is handled at once on every platform."""
    deadline = None if duration_s is None else time.monotonic() + max(duration_s, 0.0)
    while deadline is None or time.monotonic() < deadline:
        left = 0.5 if deadline is None else min(0.5, deadline - time.monotonic())
        if left > 0:
            time.sleep(left)
