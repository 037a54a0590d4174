"""The OTLP/HTTP listener: aiohttp's server on an event-loop thread, made for hostile networks.

An idle connection costs a few kilobytes, not a thread, and every stage has a limit
that is answered rather than waited out:

- headers: within ``request_timeout_s`` of the connection opening (or of its previous
  answer), else the connection is closed (aiohttp's keep-alive timer; slowloris);
- body: whole within ``request_timeout_s`` once the headers are in, else 408 (drip feeds);
- connections: ``max_connections`` in all and ``max_connections_per_client`` per address,
  more are answered 503 at once;
- path, bearer token, media type and coding are checked before a byte of body is read;
- bodies in flight, as read, once inflated and as estimated decoded (``_wire``), share
  ``max_inflight_bytes`` (503 + Retry-After when spent; 413 for a request that could
  never fit); decompression is linear and bounded (``_decode.inflate``).

Decoding and conversion run on a small thread pool, so a large payload never stalls the
loop. The server knows the gateway only through :class:`Endpoint`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler
from google.protobuf.message import Message

from otel_discord.errors import ConfigError
from otel_discord.gateway._budget import ByteBudget, Hold
from otel_discord.gateway._decode import (
    SIGNALS,
    Answer,
    Encoding,
    PayloadError,
    SignalKind,
    content_coding,
    encode_status,
    inflate,
    media_type,
    parse,
)
from otel_discord.gateway._settings import GatewaySettings
from otel_discord.gateway._wire import json_cost, protobuf_cost

_logger = logging.getLogger("otel_discord.gateway")

DECODE_WORKERS: Final = 2
"""Threads decoding and converting payloads (the GIL makes more of little use)."""
RETRY_AFTER_BUSY_S: Final = 1
LINGER_S: Final = 2.0
"""A refused request's unread body is read and dropped this long, so the client sees the answer."""
_BUSY_REPLY: Final = (
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n"
    b"Connection: close\r\n\r\n"
)
_SERVER_NAME: Final = "otel-discord-gateway"


@dataclass(frozen=True)
class Endpoint:
    """What the receiver needs of the gateway, and nothing more.

    Args:
        authorized: Whether an ``Authorization`` header value lets the request in.
        accept: Queue a decoded request; the OTLP answer (200, 429 or 503).
        count: Add to the receiver's counters (``requests=1``, ``refused=1``...).
    """

    authorized: Callable[[str | None], bool]
    accept: Callable[[SignalKind, Message, Encoding], Answer]
    count: Callable[..., None]


class _Connections(web.Server):
    """aiohttp's low-level server, counting connections in all and per client address."""

    def __init__(self, handler: Any, settings: GatewaySettings, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._max_total = settings.max_connections
        self._max_per_client = settings.max_connections_per_client
        self._per_client: Counter[str] = Counter()
        self._admitted: dict[RequestHandler, str] = {}
        self.turned_away = 0

    def connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        super().connection_made(handler, transport)
        peer = transport.get_extra_info("peername")
        client = str(peer[0]) if peer else "?"
        if (
            len(self._admitted) >= self._max_total
            or self._per_client[client] >= self._max_per_client
        ):
            self.turned_away += 1
            with contextlib.suppress(OSError, RuntimeError):
                transport.write(_BUSY_REPLY)
            transport.close()
            return
        self._admitted[handler] = client
        self._per_client[client] += 1

    def connection_lost(self, handler: RequestHandler, exc: BaseException | None = None) -> None:
        client = self._admitted.pop(handler, None)
        if client is not None:
            self._per_client[client] -= 1
            if not self._per_client[client]:
                del self._per_client[client]
        super().connection_lost(handler, exc)


class _ServerLog(logging.LoggerAdapter):  # type: ignore[type-arg]  # generic only in 3.11+ stubs
    """aiohttp's server log, minus a traceback per malformed request from the network.

    aiohttp logs every request it cannot parse (bad Content-Length, header floods...) at
    ERROR with a traceback: any client could fill the gateway's log. Those are counted
    as refused and logged at DEBUG in one line; anything else is logged as aiohttp would.
    """

    def __init__(self, count: Callable[..., None]) -> None:
        super().__init__(_logger, {})
        self._count = count

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info")
        if isinstance(exc, HttpProcessingError):
            self._count(refused=1)
            kwargs.pop("exc_info")
            msg = f"{msg}: {type(exc).__name__} ({exc.code})"
            level = logging.DEBUG
        super().log(level, msg, *args, **kwargs)


class Receiver:
    """The listener of one gateway: an aiohttp server on its own event-loop thread."""

    def __init__(self, settings: GatewaySettings, endpoint: Endpoint) -> None:
        self._settings = settings
        self._endpoint = endpoint
        self.budget = ByteBudget(settings.max_inflight_bytes)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: _Connections | None = None
        self._listener: asyncio.AbstractServer | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._port = 0

    # -- life cycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Bind and serve; a bind failure raises :class:`ConfigError` (one line, no traceback)."""
        with self._lock:
            if self._thread is not None:
                return
            ready = threading.Event()
            failure: list[BaseException] = []
            thread = threading.Thread(
                target=self._serve,
                args=(ready, failure),
                name="otel-discord-gateway-http",
                daemon=True,
            )
            thread.start()
            ready.wait()
            if failure:
                thread.join(5.0)
                raise failure[0]
            self._thread = thread

    def _serve(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        try:
            try:
                loop.run_until_complete(self._open(loop))
            except (OSError, ValueError) as exc:
                failure.append(self._bind_error(exc))
                return
            finally:
                ready.set()
            self._loop = loop
            loop.run_forever()
            loop.run_until_complete(self._close())
        finally:
            self._loop = None
            loop.close()

    def _bind_error(self, exc: BaseException) -> ConfigError:
        reason = getattr(exc, "strerror", None) or str(exc).split("] ", 1)[-1] or type(exc).__name__
        msg = f"gateway cannot listen on {self._shown_host()}:{self._settings.port}: {reason}"
        return ConfigError(msg)

    async def _open(self, loop: asyncio.AbstractEventLoop) -> None:
        settings = self._settings
        self._pool = ThreadPoolExecutor(DECODE_WORKERS, thread_name_prefix="otel-discord-decode")
        server = _Connections(
            self._handle,
            settings,
            loop=loop,
            handler_cancellation=True,
            keepalive_timeout=settings.request_timeout_s,  # also the deadline for headers
            lingering_time=min(LINGER_S, settings.request_timeout_s),
            auto_decompress=False,  # we inflate ourselves, bounded and linear
            access_log=None,
            logger=_ServerLog(self._endpoint.count),
        )
        self._server = server
        host = settings.host.strip("[]")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = await loop.create_server(
            server, host, settings.port, family=family, reuse_address=True, backlog=128
        )
        self._port = int(self._listener.sockets[0].getsockname()[1])

    async def _close(self) -> None:
        if self._listener is not None:
            self._listener.close()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.shutdown(1.0)
        if self._pool is not None:
            self._pool.shutdown(wait=False)

    def stop(self) -> None:
        with self._lock:
            thread, loop = self._thread, self._loop
            self._thread = None
        if loop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout=5)

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self._shown_host()}:{self.port}"

    @property
    def turned_away(self) -> int:
        """Connections answered 503 at once because the caps were reached."""
        return self._server.turned_away if self._server is not None else 0

    def _shown_host(self) -> str:
        host = self._settings.host.strip("[]")
        return f"[{host}]" if ":" in host else host

    # -- requests (event loop) -------------------------------------------------------------------

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        content_type = request.headers.get("Content-Type")
        encoding = Encoding.JSON if "json" in (content_type or "").lower() else Encoding.PROTOBUF
        kind = SIGNALS.get(request.path)
        if request.method != "POST":
            status, text = (405, "use POST") if kind is not None else (404, "unknown path")
            return _respond(status, text, encoding, {"Allow": "POST"})
        self._endpoint.count(requests=1)
        if kind is None:
            path_hint = "unknown path; use /v1/traces, /v1/metrics or /v1/logs"
            return self._refuse(404, path_hint, encoding)
        if not self._endpoint.authorized(request.headers.get("Authorization")):
            headers = {"WWW-Authenticate": 'Bearer realm="otel-discord"'}
            return self._refuse(401, "missing or wrong bearer token", encoding, headers)
        return await self._receive(request, kind, encoding)

    async def _receive(
        self, request: web.BaseRequest, kind: SignalKind, encoding: Encoding
    ) -> web.StreamResponse:
        """Past the checks that need no body: read it within budget and deadline, process it."""
        hold = Hold(self.budget)
        try:
            encoding = media_type(request.headers.get("Content-Type"))
            coding = content_coding(request.headers.get("Content-Encoding"))
            body = await self._read_body(request, hold)
            loop = asyncio.get_running_loop()
            answer = await loop.run_in_executor(
                self._pool, self._process, kind, body, coding, encoding, hold
            )
        except PayloadError as exc:
            return self._refuse(exc.status, exc.message, encoding)
        except asyncio.TimeoutError:
            return self._refuse(408, "request body not received in time", encoding)
        except Exception:
            _logger.exception("otel-discord gateway: could not process a %s request", kind.name)
            return self._refuse(400, "payload could not be processed", encoding)
        finally:
            hold.release_all()
        return _answer(answer)

    async def _read_body(self, request: web.BaseRequest, hold: Hold) -> bytes:
        limit = self._settings.max_body_bytes
        length = request.content_length
        if length is not None and length > limit:
            raise PayloadError(413, f"body exceeds {limit} bytes")
        if length is not None and not hold.grow_to(length):
            raise _busy()
        if request.headers.get("Expect", "").lower() == "100-continue":
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        return await asyncio.wait_for(
            _read_all(request, limit, hold), self._settings.request_timeout_s
        )

    def _process(
        self, kind: SignalKind, body: bytes, coding: str, encoding: Encoding, hold: Hold
    ) -> Answer:
        """Inflate, decode and hand over (decode pool thread)."""
        limit = self._settings.max_body_bytes
        data = inflate(body, coding, limit)
        if data is not body and not hold.add(len(data)):
            raise _busy()
        # Held before decoding: what the body becomes can be a hundred times its size.
        room = self.budget.total - hold.held
        cost = (
            json_cost(data)
            if encoding is Encoding.JSON
            else protobuf_cost(data, kind.request, room)
        )
        if cost > room:
            msg = f"{kind.name} request too large once decoded; send smaller batches"
            raise PayloadError(413, msg)
        if not hold.add(cost):
            raise _busy()
        return self._endpoint.accept(kind, parse(kind, data, encoding), encoding)

    def _refuse(
        self, status: int, text: str, encoding: Encoding, headers: dict[str, str] | None = None
    ) -> web.Response:
        self._endpoint.count(**({"throttled": 1} if status == 503 else {"refused": 1}))
        extra = dict(headers or {})
        if status == 503:
            extra["Retry-After"] = str(RETRY_AFTER_BUSY_S)
        # A body we did not read (or only partly) would be taken for the next request.
        return _respond(status, text, encoding, extra)


async def _read_all(request: web.BaseRequest, limit: int, hold: Hold) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        chunk = await request.content.readany()
        if not chunk:
            break
        total += len(chunk)
        if total > limit:
            raise PayloadError(413, f"body exceeds {limit} bytes")
        if not hold.grow_to(total):
            raise _busy()
        parts.append(chunk)
    if request.content_length is not None and total < request.content_length:
        raise PayloadError(400, "body shorter than Content-Length")
    return b"".join(parts)


def _busy() -> PayloadError:
    return PayloadError(503, "gateway is busy with other requests; retry later")


def _respond(status: int, text: str, encoding: Encoding, headers: dict[str, str]) -> web.Response:
    response = _answer(Answer(status, encode_status(status, text, encoding), encoding, headers))
    response.force_close()
    return response


def _answer(answer: Answer) -> web.Response:
    headers = {
        **answer.headers,
        "Content-Type": answer.encoding.value,
        "Server": _SERVER_NAME,
    }
    return web.Response(status=answer.status, body=answer.body, headers=headers)
