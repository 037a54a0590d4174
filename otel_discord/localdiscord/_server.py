"""``DiscordServer``: the strict local Discord on a loopback port, in a daemon thread."""

from __future__ import annotations

import contextlib
import secrets
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any, cast
from urllib.parse import urlsplit

from otel_discord._host_header import host_allowed
from otel_discord._http_server import BackgroundServer, QuietThreadingHTTPServer
from otel_discord.localdiscord._api import PERMISSIONS, Limit, LocalDiscord
from otel_discord.localdiscord._model import Fault, Message, Stats, Violation
from otel_discord.localdiscord._routes import Reply, match_route

_DRAIN_LIMIT = 64 * 1024 * 1024
"""Refused bodies up to this size are read and thrown away before answering 413."""


class _HTTPServer(QuietThreadingHTTPServer):
    def __init__(self, address: tuple[str, int], owner: DiscordServer) -> None:
        self.owner = owner
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Silenced: a client dropping its connection is normal here, not worth a traceback."""


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, as Discord speaks it; never logs (paths hold tokens)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "otel-discord-testing"
    sys_version = ""
    timeout = 30

    @property
    def owner(self) -> DiscordServer:
        return cast(_HTTPServer, self.server).owner

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: request lines carry webhook tokens."""

    def setup(self) -> None:
        super().setup()
        self.owner._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.owner._track(self.connection, add=False)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        api = self.owner._api
        headers = {name.lower(): value for name, value in self.headers.items()}
        bound = self.owner._background
        if not host_allowed(headers.get("host"), bound.host, bound.port):
            reply = Reply(403, b'{"message": "403: Host not allowed", "code": 0}', close=True)
            reply.headers["Content-Type"] = "application/json"
            self._send(reply)
            return
        body = self._read_body(headers, api.body_cap(headers))
        if isinstance(body, Reply):
            self._send(body)
            return
        page = self.owner._page(method, self.path)
        self._send(page if page is not None else api.handle(method, self.path, headers, body))

    def _read_body(self, headers: dict[str, str], cap: int) -> bytes | Reply | None:
        """The body; None when it is over ``cap`` (left unread, the connection closes)."""
        if "chunked" in headers.get("transfer-encoding", "").lower():
            reply = Reply(411, b'{"message": "411: Length Required", "code": 0}')
            reply.headers["Content-Type"] = "application/json"
            reply.close = True
            return reply
        raw = headers.get("content-length", "0").strip() or "0"
        if not raw.isdigit():
            reply = Reply(400, b'{"message": "400: Bad Request", "code": 0}', close=True)
            reply.headers["Content-Type"] = "application/json"
            return reply
        length = int(raw)
        if length > cap:
            self._discard(length)
            return None
        return self.rfile.read(length) if length else b""

    def _discard(self, length: int) -> None:
        """Drain a refused body (up to a bound) so the client reads the 413, not a reset."""
        left = min(length, _DRAIN_LIMIT)
        while left > 0:
            chunk = self.rfile.read(min(left, 65536))
            if not chunk:
                break
            left -= len(chunk)

    def _send(self, reply: Reply) -> None:
        if reply.reset:
            # An RST instead of a response: what a dropped connection looks like to a client.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        if reply.close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(reply.body)


class DiscordServer:
    """A Discord-compatible API on 127.0.0.1, as strict as Discord, for tests and previews.

    It validates message bodies like Discord, answers with rate-limit headers and
    429s (per webhook, per channel, global), injects faults, and records messages
    and protocol violations instead of raising. Tokens never leave it except in the
    URLs ``create_webhook`` returns.

    Args:
        host: Interface to bind; loopback by default.
        port: 0 picks a free port; ``up()`` after ``down()`` reuses the same one.
        webhook_limit: (requests, window seconds) per webhook, and per bot and channel.
        channel_limit: (messages, window seconds) per channel across all its posters.
        global_limit: (requests, window seconds) for the whole server.
        clock: Monotonic clock the rate limits run on.
        pages: Extra static files served on ``GET`` beside the API (e.g. a preview page):
            path -> (content type, body). Paths under ``/api`` and ``/_local`` are refused.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_limit: Limit = (5, 2.0),
        channel_limit: Limit = (30, 60.0),
        global_limit: Limit = (50, 1.0),
        clock: Callable[[], float] = time.monotonic,
        pages: Mapping[str, tuple[str, bytes]] | None = None,
    ) -> None:
        self._pages = _checked_pages(pages or {})
        self._api = LocalDiscord(
            webhook_limit=webhook_limit,
            channel_limit=channel_limit,
            global_limit=global_limit,
            clock=clock,
        )
        self._lifecycle = threading.Lock()
        self._background = BackgroundServer(
            lambda address: _HTTPServer(address, self),
            host,
            port,
            name="otel-discord-localdiscord",
            poll_interval=0.02,
        )
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    # ----- lifecycle -----

    def start(self) -> DiscordServer:
        """Bind and serve in a daemon thread; returns self. Starting twice is harmless."""
        with self._lifecycle:
            if not self._background.running:
                self._api.stopping.clear()
                self._listen()
        return self

    def stop(self) -> None:
        """Stop serving and drop open connections. Stopping twice is harmless."""
        self._api.stopping.set()
        self._shutdown()

    def down(self) -> None:
        """Refuse connections (clients see "connection refused") until ``up()``."""
        self._shutdown()

    def up(self) -> None:
        """Listen again on the same port after ``down()``."""
        with self._lifecycle:
            if not self._background.running:
                self._listen()

    def _listen(self) -> None:
        self._background.start()
        self._api.base_url = self.base_url

    def _shutdown(self) -> None:
        with self._lifecycle:
            if not self._background.stop():
                return
            with self._connections_lock:
                open_now = list(self._connections)
            for conn in open_now:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)

    def _page(self, method: str, target: str) -> Reply | None:
        """The static page at ``target``, if one was given; never counted as an API request."""
        page = self._pages.get(urlsplit(target).path) if method == "GET" else None
        if page is None:
            return None
        content_type, body = page
        headers = {
            "Content-Type": content_type,
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        }
        return Reply(200, body, headers)

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def __enter__(self) -> DiscordServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return self._background.url

    @property
    def running(self) -> bool:
        """True while the server accepts connections."""
        return self._background.running

    def __repr__(self) -> str:
        with self._api.lock:
            channels = len(self._api.channels_json())
            messages = len(self._api.messages)
        state = "up" if self.running else "down"
        return f"DiscordServer({self.base_url}, {state}, channels={channels}, messages={messages})"

    # ----- setting up the world -----

    def create_webhook(self, channel: str = "general", name: str | None = None) -> str:
        """Create a webhook in ``channel`` (created if new); return its unversioned URL."""
        token = secrets.token_urlsafe(51)
        with self._api.lock:
            webhook_id = self._api.add_webhook(channel, name or "Captain Hook", token)
        return f"{self.base_url}/api/webhooks/{webhook_id}/{token}"

    def delete_webhook(self, url: str) -> None:
        """Delete the webhook behind ``url``: it answers 404 code 10015 from now on."""
        with self._api.lock:
            self._api.delete_webhook(_webhook_id(url))

    def create_channel(self, name: str) -> str:
        """Create a text channel (or find it) and return its snowflake id."""
        with self._api.lock:
            return self._api.channel(name).id

    def channel_id(self, channel: str) -> str:
        """The snowflake id of an existing channel; KeyError if there is none."""
        with self._api.lock:
            return self._api.channel_named(channel).id

    def add_bot(
        self, token: str, *, permissions: set[str] | None = None, name: str = "otel-bot"
    ) -> None:
        """Accept ``Authorization: Bot <token>`` with these permissions (default: all).

        Permission names: ``VIEW_CHANNEL``, ``SEND_MESSAGES``, ``EMBED_LINKS``,
        ``ATTACH_FILES`` (needed for messages with files). Adding a
        known token again replaces its permissions.
        """
        granted = frozenset(PERMISSIONS if permissions is None else permissions)
        with self._api.lock:
            self._api.add_bot(token, name, granted)

    def delete_message(self, message_id: str) -> None:
        """Delete a message as a moderator would: it answers 404 code 10008 from now on."""
        with self._api.lock:
            for i, message in enumerate(self._api.messages):
                if message.id == message_id:
                    del self._api.messages[i]
                    self._api.revision += 1
                    self._api.deleted.append((self._api.revision, message))
                    return
        msg = f"no message with id {message_id}"
        raise KeyError(msg)

    # ----- faults -----

    def inject(self, fault: Fault, *, count: int = 1, webhook_url: str | None = None) -> None:
        """Answer the next ``count`` API requests (only to ``webhook_url`` if set) by ``fault``."""
        webhook_id = None if webhook_url is None else _webhook_id(webhook_url)
        with self._api.lock:
            self._api.arm(fault, count, webhook_id)

    def block_links(self, *hosts: str) -> None:
        """Refuse messages linking these hosts as Discord's harmful-links filter does.

        The whole message is answered 400 code 240000 without a field path, however
        many embeds it holds; ``block_links()`` with no host lifts the filter.
        """
        with self._api.lock:
            self._api.blocked_hosts = frozenset(h.lower() for h in hosts)

    @property
    def slow_seconds(self) -> float:
        """How long ``Fault.SLOW`` waits before answering (default 1.0)."""
        return self._api.slow_seconds

    @slow_seconds.setter
    def slow_seconds(self, value: float) -> None:
        self._api.slow_seconds = value

    @property
    def forced_retry_after(self) -> float:
        """``retry_after`` of injected rate limits, in seconds (default 0.5)."""
        return self._api.forced_retry_after

    @forced_retry_after.setter
    def forced_retry_after(self, value: float) -> None:
        self._api.forced_retry_after = value

    @property
    def max_upload_bytes(self) -> int:
        """Files of one message larger than this in total get 413 code 40005 (default 10 MiB)."""
        return self._api.max_upload_bytes

    @max_upload_bytes.setter
    def max_upload_bytes(self, value: int) -> None:
        self._api.max_upload_bytes = value

    @property
    def max_body_bytes(self) -> int:
        """Bodies larger than this get 413 code 40005 (default 1 MiB)."""
        return self._api.max_body_bytes

    @max_body_bytes.setter
    def max_body_bytes(self, value: int) -> None:
        self._api.max_body_bytes = value

    # ----- reading what happened -----

    def messages(self, channel: str | None = None) -> list[Message]:
        """Accepted messages, oldest first, in one channel or all."""
        with self._api.lock:
            return [m for m in self._api.messages if channel is None or m.channel == channel]

    def embeds(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Every embed of the accepted messages, flattened, oldest first."""
        return [
            embed
            for message in self.messages(channel)
            for embed in message.payload.get("embeds") or []
            if isinstance(embed, dict)
        ]

    @property
    def violations(self) -> list[Violation]:
        """Protocol violations seen so far (a copy)."""
        with self._api.lock:
            return list(self._api.violations)

    @property
    def invalid_requests(self) -> int:
        """401, 403 and non-shared 429 answers: what counts towards a Cloudflare ban."""
        with self._api.lock:
            return self._api.invalid_requests

    @property
    def internal_errors(self) -> list[str]:
        """Bugs in this server caught while answering (each answered 500); empty normally."""
        with self._api.lock:
            return list(self._api.internal_errors)

    def stats(self) -> Stats:
        """Request counts by outcome."""
        with self._api.lock:
            return self._api.stats()

    def clear(self) -> None:
        """Forget messages, violations and stats; webhooks, bots, buckets and faults stay."""
        with self._api.lock:
            self._api.clear()


def _checked_pages(pages: Mapping[str, tuple[str, bytes]]) -> dict[str, tuple[str, bytes]]:
    for path in pages:
        if not path.startswith("/") or path.split("/")[1] in ("api", "_local"):
            msg = f"page path {path!r} must start with / and stay outside /api and /_local"
            raise ValueError(msg)
    return dict(pages)


def _webhook_id(url: str) -> str:
    route = match_route(urlsplit(url).path)
    if route is None or route.kind != "webhook":
        msg = "not a webhook URL of this server"
        raise ValueError(msg)
    return route.major
