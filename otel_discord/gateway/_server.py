"""The OTLP/HTTP listener: stdlib ThreadingHTTPServer, strict about what it reads.

Every request is bounded: the connection count, the body size (before and after
decompression), the time to send it. Nothing a client sends can raise out of a
handler thread; the worst a bad request gets is a 4xx and a closed connection.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any, Final, cast
from urllib.parse import urlsplit

from otel_discord._http_server import QuietThreadingHTTPServer
from otel_discord.gateway._decode import (
    SIGNALS,
    Answer,
    Encoding,
    PayloadError,
    encode_status,
    inflate,
    media_type,
    parse,
)

if TYPE_CHECKING:
    from otel_discord.gateway._gateway import Gateway

_logger = logging.getLogger("otel_discord.gateway")

DRAIN_FACTOR: Final = 4
"""A refused body up to this many times the limit is read and dropped, so the client sees 413."""
_CHUNK: Final = 65536
_BUSY_REPLY: Final = (
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n"
    b"Connection: close\r\n\r\n"
)


class _HTTPServer(QuietThreadingHTTPServer):
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], gateway: Gateway) -> None:
        self.gateway = gateway
        self._slots = threading.BoundedSemaphore(gateway.settings.max_connections)
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            with contextlib.suppress(OSError):
                request.sendall(_BUSY_REPLY)
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client vanishing mid-request is normal; anything else is logged, never raised."""
        _logger.debug("otel-discord gateway: connection error", exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive; never logs request lines (they are noise at fleet rates)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "otel-discord-gateway"
    sys_version = ""

    @property
    def gateway(self) -> Gateway:
        return cast(_HTTPServer, self.server).gateway

    def setup(self) -> None:
        super().setup()
        # Every read and write waits at most this long (slow or stalled clients are dropped).
        self.connection.settimeout(self.gateway.settings.request_timeout_s)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced."""

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._not_post()

    def do_PUT(self) -> None:
        self._not_post()

    def do_PATCH(self) -> None:
        self._not_post()

    def do_DELETE(self) -> None:
        self._not_post()

    def _not_post(self) -> None:
        path = urlsplit(self.path).path
        status, text = (405, "use POST") if path in SIGNALS else (404, "unknown path")
        self._write_status(status, text, Encoding.PROTOBUF, {"Allow": "POST"}, close=True)

    def _serve(self) -> None:
        gateway = self.gateway
        gateway.stats.add(requests=1)
        content_type = self.headers.get("Content-Type")
        encoding = Encoding.JSON if "json" in (content_type or "").lower() else Encoding.PROTOBUF
        kind = SIGNALS.get(urlsplit(self.path).path)
        if kind is None:
            self._refuse(404, "unknown path; use /v1/traces, /v1/metrics or /v1/logs", encoding)
            return
        if not gateway.authorized(self.headers.get("Authorization")):
            headers = {"WWW-Authenticate": 'Bearer realm="otel-discord"'}
            self._refuse(401, "missing or wrong bearer token", encoding, headers)
            return
        try:
            encoding = media_type(content_type)
            limit = gateway.settings.max_body_bytes
            body = self._read_body(limit)
            data = inflate(body, self.headers.get("Content-Encoding"), limit)
            answer = gateway.accept(kind, parse(kind, data, encoding), encoding)
        except PayloadError as exc:
            self._refuse(exc.status, exc.message, encoding)
            return
        except OSError:
            self.close_connection = True  # timed out or reset while reading: nobody to answer
            return
        except Exception:
            _logger.exception("otel-discord gateway: could not process a %s request", kind.name)
            self._refuse(400, "payload could not be processed", encoding)
            return
        self._write(answer)

    def _read_body(self, limit: int) -> bytes:
        deadline = time.monotonic() + self.gateway.settings.request_timeout_s
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked(limit, deadline)
        raw = (self.headers.get("Content-Length") or "0").strip()
        if not raw.isdigit():
            raise PayloadError(400, "bad Content-Length")
        length = int(raw)
        if length > limit:
            if length <= DRAIN_FACTOR * limit:
                self._read_exact(length, deadline, keep=False)
            else:
                self.close_connection = True
            raise PayloadError(413, f"body exceeds {limit} bytes")
        return self._read_exact(length, deadline)

    def _read_exact(self, length: int, deadline: float, *, keep: bool = True) -> bytes:
        parts: list[bytes] = []
        left = length
        while left > 0:
            if time.monotonic() > deadline:
                self.close_connection = True
                raise PayloadError(408, "body not received in time")
            chunk = self.rfile.read(min(left, _CHUNK))
            if not chunk:
                self.close_connection = True
                raise PayloadError(400, "body shorter than Content-Length")
            left -= len(chunk)
            if keep:
                parts.append(chunk)
        return b"".join(parts)

    def _read_chunked(self, limit: int, deadline: float) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                self.close_connection = True
                raise PayloadError(400, "bad chunked encoding") from None
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                return b"".join(parts)
            total += size
            if total > limit:
                self.close_connection = True
                raise PayloadError(413, f"body exceeds {limit} bytes")
            parts.append(self._read_exact(size, deadline))
            self._read_exact(2, deadline, keep=False)

    def _refuse(
        self, status: int, text: str, encoding: Encoding, headers: dict[str, str] | None = None
    ) -> None:
        self.gateway.stats.add(refused=1)
        # A body we did not read (or only partly) would be taken for the next request.
        self._write_status(status, text, encoding, headers or {}, close=True)

    def _write_status(
        self, status: int, text: str, encoding: Encoding, headers: dict[str, str], *, close: bool
    ) -> None:
        body = encode_status(status, text, encoding)
        self._write(Answer(status, body, encoding, headers), close=close)

    def _write(self, answer: Answer, *, close: bool = False) -> None:
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.encoding.value)
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(answer.body)
        except OSError:
            self.close_connection = True


class Receiver:
    """The listener of one gateway, serving from a daemon thread."""

    def __init__(self, gateway: Gateway) -> None:
        self._gateway = gateway
        self._httpd: _HTTPServer | None = None
        self._port = 0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._httpd is not None:
                return
            settings = self._gateway.settings
            httpd = _HTTPServer((settings.host.strip("[]"), settings.port), self._gateway)
            self._httpd = httpd
            self._port = int(httpd.server_address[1])
            self._thread = threading.Thread(
                target=httpd.serve_forever,
                kwargs={"poll_interval": 0.1},
                name="otel-discord-gateway-http",
                daemon=True,
            )
            self._thread.start()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        host = self._gateway.settings.host.strip("[]")
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}"

    def stop(self) -> None:
        with self._lock:
            httpd, thread = self._httpd, self._thread
            self._httpd = self._thread = None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)
