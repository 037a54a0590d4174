"""The threaded stdlib HTTP server our servers start from, and its background life cycle.

``BackgroundServer`` binds, serves from a daemon thread and stops: the strict
local Discord (and through it the preview) runs on it.
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Callable
from http.server import ThreadingHTTPServer


class QuietThreadingHTTPServer(ThreadingHTTPServer):
    """Daemon request threads, reusable address, and no reverse DNS lookup on bind."""

    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the host (slow on some systems)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = (
            str(self.server_address[0]),
            int(self.server_address[1]),
        )


class BackgroundServer:
    """One HTTP server served from a daemon thread; start and stop are idempotent.

    Args:
        build: makes the bound server for an address (raises OSError when it cannot bind).
        host, port: where to listen; port 0 picks a free one, kept for a later restart.
        name: the serving thread's name.
        poll_interval: how often ``serve_forever`` looks for a stop request (seconds).
    """

    def __init__(
        self,
        build: Callable[[tuple[str, int]], QuietThreadingHTTPServer],
        host: str,
        port: int,
        *,
        name: str,
        poll_interval: float = 0.1,
    ) -> None:
        self._build = build
        self.host = host
        self.port = port
        self._name = name
        self._poll_interval = poll_interval
        self._lock = threading.Lock()
        self._httpd: QuietThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def url(self) -> str:
        """``http://host:port`` (IPv6 hosts in brackets)."""
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}"

    def start(self) -> bool:
        """Bind and serve; False if it was already running."""
        with self._lock:
            if self._httpd is not None:
                return False
            httpd = self._build((self.host, self.port))
            self.port = int(httpd.server_address[1])
            self._httpd = httpd
            self._thread = threading.Thread(
                target=httpd.serve_forever,
                kwargs={"poll_interval": self._poll_interval},
                name=self._name,
                daemon=True,
            )
            self._thread.start()
            return True

    def stop(self, timeout_s: float = 5.0) -> bool:
        """Stop serving and close the socket; False if it was not running."""
        with self._lock:
            httpd, thread = self._httpd, self._thread
            self._httpd = self._thread = None
            if httpd is None:
                return False
            httpd.shutdown()
            httpd.server_close()
            if thread is not None:
                thread.join(timeout=timeout_s)
            return True
