"""The one HTTP client every destination shares (connection reuse, one User-Agent)."""

from __future__ import annotations

import encodings.idna  # noqa: F401  (httpx's first request imports it: do that here, early)
import functools
import importlib.metadata
import ssl
import threading

import httpx

from otel_discord.delivery import quiet_http
from otel_discord.delivery.attachments import request_content
from otel_discord.delivery.destination import Destination
from otel_discord.delivery.quiet_http import own_request
from otel_discord.delivery.redaction import REDACTOR
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


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default verifying context, built once per process (it takes ~30 ms of CPU)."""
    return httpx.create_ssl_context()


class Transport:
    """A thin wrapper over one ``httpx.Client``, built by ``prepare``; thread-safe."""

    def __init__(self, timeout_s: float, transport: httpx.BaseTransport | None = None) -> None:
        self._timeout_s = timeout_s
        self._transport = transport
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def after_fork_in_child(self) -> None:
        """Forget the parent's client: its pooled connections are the parent's sockets."""
        self._lock = threading.Lock()
        self._client = None

    def prepare(self) -> None:
        """Build the client now, on the configuring thread.

        Its first build (the TLS context, httpx's lazy imports) is ~50 ms of CPU. Left
        to the first send, that work would run on a delivery thread while the bot's
        loop is busy, and every GIL hand-off between them costs the loop wall time.
        """
        self._get_client()

    def _get_client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                quiet_http.install()
                self._client = httpx.Client(
                    timeout=self._timeout_s,
                    headers={"User-Agent": user_agent()},
                    transport=self._transport,
                    verify=tls_context() if self._transport is None else True,
                    follow_redirects=False,
                )
            return self._client

    def post(self, destination: Destination, payload: Payload, timeout_s: float) -> httpx.Response:
        """POST one message (multipart when it carries files); raises httpx errors.

        Every payload leaves through here or ``request``, and every string in it is
        scrubbed of secrets on the way (a token quoted in a log message or exception).
        """
        with own_request():
            return self._get_client().post(
                destination.url,
                **request_content(REDACTOR.scrub_payload(payload)),
                params=destination.params or None,
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
        if destination.params:  # merged: httpx's params would replace ?wait=true
            url = str(httpx.URL(url).copy_merge_params(destination.params))
        with own_request():
            return self._get_client().request(
                method,
                url,
                json=REDACTOR.scrub_payload(payload),
                headers=destination.headers(),
                timeout=timeout_s,
            )

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            with own_request():
                client.close()
