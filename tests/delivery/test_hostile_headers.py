"""Rate-limit headers from the network are hostile input: no value silences a channel.

A proxy or a broken edge in front of Discord can answer with anything. A stand-in for
it (Discord itself is outside the machine) answers every post with 200 and the headers
under test; the engine must deliver every item, soon, and never raise.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from otel_discord.channels import Channel
from otel_discord.delivery import WebhookDestination
from otel_discord.delivery.ratelimit import MAX_RESET_AFTER_S, RateLimitHeaders

from .items import Note
from .support import MakeEngine, wait_until

HOSTILE = ["nan", "inf", "-inf", "1e400", "1e12", "-5", "NaN", "Infinity"]


class _Edge(BaseHTTPRequestHandler):
    headers_to_send: ClassVar[dict[str, str]] = {}
    received: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append(body["embeds"][0]["title"])
        answer = json.dumps({"id": str(len(self.received)), "channel_id": "1"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        for name, value in self.headers_to_send.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def edge() -> Iterator[tuple[str, type[_Edge]]]:
    handler = type("Edge", (_Edge,), {"headers_to_send": {}, "received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v10/webhooks/1/tok", handler
    finally:
        server.shutdown()
        server.server_close()


class TestParsed:
    """Values no bucket can hold are read as absent; a reset is capped."""

    @pytest.mark.parametrize("value", [v for v in HOSTILE if v != "1e12"])
    def test_counts_never_raise(self, value: str) -> None:
        parsed = RateLimitHeaders.parse(
            {"X-RateLimit-Limit": value, "X-RateLimit-Remaining": value}
        )
        assert parsed is not None
        assert (None, None) == (parsed.limit, parsed.remaining)

    @pytest.mark.parametrize(
        ("value", "read"),
        [("nan", None), ("inf", None), ("-5", None), ("1e12", MAX_RESET_AFTER_S), ("0.5", 0.5)],
    )
    def test_reset_after(self, value: str, read: float | None) -> None:
        parsed = RateLimitHeaders.parse({"X-RateLimit-Reset-After": value})
        assert parsed is not None
        assert read == parsed.reset_after


class TestDelivered:
    """Every item arrives however the edge fills its rate-limit headers."""

    @pytest.mark.parametrize("value", HOSTILE)
    def test_remaining_and_reset(
        self, value: str, edge: tuple[str, type[_Edge]], make_engine: MakeEngine
    ) -> None:
        url, handler = edge
        handler.headers_to_send.update(
            {
                "X-RateLimit-Limit": value,
                "X-RateLimit-Remaining": value,
                "X-RateLimit-Reset-After": value,
            }
        )
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(url)})
        for i in range(3):
            assert harness.engine.submit(Channel.LOGS, Note(f"note {i}"))
            assert wait_until(lambda i=i: len(handler.received) > i, 10.0), handler.received
        assert ["note 0", "note 1", "note 2"] == handler.received
        assert "ok" == harness.engine.stats()[Channel.LOGS].state

    def test_a_huge_reset_is_waited_out_at_most_the_cap(
        self, edge: tuple[str, type[_Edge]], make_engine: MakeEngine
    ) -> None:
        """``Remaining: 0`` with a reset of 31,700 years: the bucket waits the cap, not that."""
        url, handler = edge
        handler.headers_to_send.update(
            {
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": "1e12",
            }
        )
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(url)})
        assert harness.engine.submit(Channel.LOGS, Note("note 0"))
        assert wait_until(lambda: len(handler.received) == 1, 10.0)
        limiter = harness.engine._senders[Channel.LOGS].limiter
        assert 0 < limiter.delay(time.monotonic()) <= MAX_RESET_AFTER_S + 1
