"""The one HTTP client every destination shares (connection reuse, one User-Agent)."""

from __future__ import annotations

import importlib.metadata
import threading

import httpx

from otel_discord.delivery import quiet_http
from otel_discord.delivery.attachments import request_content
from otel_discord.delivery.destination import Destination
from otel_discord.delivery.quiet_http import own_request
from otel_discord.render.types import Payload

PROJECT_URL = "https://github.com/otel-discord/otel-discord"


def package_version() -> str:
    """The installed version; a source checkout without metadata still says something."""
    try:
        return importlib.metadata.version("otel-discord")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


def user_agent() -> str:
    """Discord asks for ``DiscordBot (url, version)`` and may block other agents."""
    return f"DiscordBot ({PROJECT_URL}, {package_version()})"


class Transport:
    """A thin wrapper over one ``httpx.Client``, created on first use; thread-safe."""

    def __init__(self, timeout_s: float, transport: httpx.BaseTransport | None = None) -> None:
        self._timeout_s = timeout_s
        self._transport = transport
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def _get_client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                quiet_http.install()
                self._client = httpx.Client(
                    timeout=self._timeout_s,
                    headers={"User-Agent": user_agent()},
                    transport=self._transport,
                    follow_redirects=False,
                )
            return self._client

    def post(self, destination: Destination, payload: Payload, timeout_s: float) -> httpx.Response:
        """POST one message (multipart when it carries files); raises httpx errors."""
        with own_request():
            return self._get_client().post(
                destination.url,
                **request_content(payload),
                headers=destination.headers(),
                timeout=timeout_s,
            )

    def request(
        self,
        method: str,
        url: str,
        destination: Destination,
        payload: Payload,
        timeout_s: float,
    ) -> httpx.Response:
        """Any JSON request to ``url`` of ``destination`` (edits of a live message)."""
        with own_request():
            return self._get_client().request(
                method, url, json=payload, headers=destination.headers(), timeout=timeout_s
            )

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            with own_request():
                client.close()
