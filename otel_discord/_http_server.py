"""The threaded stdlib HTTP server both of our servers (local Discord, gateway) start from."""

from __future__ import annotations

import socketserver
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
