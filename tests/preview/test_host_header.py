"""The preview answers only the names it is bound to (no DNS rebinding of /_local)."""

from __future__ import annotations

import socket

import pytest

from otel_discord._host_header import host_allowed
from otel_discord.preview import start_preview


def _get(port: int, host_header: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            f"GET /_local/messages HTTP/1.1\r\nHost: {host_header}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


class TestPreviewHost:
    """A rebound name gets 403; the bound address and localhost are served."""

    def test_rebound_name_refused(self) -> None:
        """``Host: evil.example:PORT`` cannot read the recorded messages."""
        with start_preview() as preview:
            port = int(preview.page_url.rstrip("/").rsplit(":", 1)[1])
            assert _get(port, f"evil.example:{port}").startswith(b"HTTP/1.1 403 ")
            assert _get(port, f"127.0.0.1:{port}").startswith(b"HTTP/1.1 200 ")
            assert _get(port, f"localhost:{port}").startswith(b"HTTP/1.1 200 ")


class TestHostAllowed:
    """The rule itself, as a table."""

    @pytest.mark.parametrize(
        ("header", "allowed"),
        [
            (None, True),
            ("127.0.0.1:8787", True),
            ("127.0.0.1", True),
            ("localhost:8787", True),
            ("[::1]:8787", True),
            ("127.0.0.1:9999", False),
            ("evil.example:8787", False),
            ("evil.example", False),
            ("127.0.0.1.nip.io:8787", False),
        ],
    )
    def test_table(self, header: str | None, allowed: bool) -> None:
        """Bound to 127.0.0.1:8787."""
        assert allowed is host_allowed(header, "127.0.0.1", 8787)
