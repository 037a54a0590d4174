"""One bad item never takes the others down: sanitised text, and a 400 narrowed to its embed."""

from __future__ import annotations

import json
import logging

import httpx
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource

from otel_discord.channels import Channel
from otel_discord.delivery import WebhookDestination
from otel_discord.exporters import DiscordLogExporter
from otel_discord.render.json_safe import json_safe
from otel_discord.testing import DiscordServer
from tests.conftest import FourChannels

from .items import Note
from .support import MakeEngine


class _RefuseMarked(httpx.BaseTransport):
    """The real server, except a message holding an embed titled BAD is answered 400."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.read())
        if any(e.get("title") == "BAD" for e in body.get("embeds", [])):
            error = {"code": 50035, "message": "Invalid Form Body", "errors": {}}
            return httpx.Response(400, json=error)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


class TestJsonSafe:
    """Lone surrogates become U+FFFD one for one; everything else is untouched."""

    def test_replaced_visibly(self) -> None:
        """A surrogateescape'd file name encodes after sanitising, same length."""
        name = b"report-\xff.txt".decode("utf-8", "surrogateescape")
        safe = json_safe(name)
        assert "report-\ufffd.txt" == safe
        assert len(name) == len(safe)
        safe.encode("utf-8")

    def test_untouched(self) -> None:
        """ASCII and valid non-ASCII text come back as they are."""
        for text in ("plain", "héllo ✓ 🎉", ""):
            assert text == json_safe(text)


class TestLoneSurrogate:
    """A lone surrogate in one error's text among five: all five are delivered."""

    def test_five_errors_delivered(self, four_channels: FourChannels) -> None:
        """Through the real log exporter: five error embeds, one with U+FFFD in place."""
        exporter = DiscordLogExporter(four_channels.config())
        provider = LoggerProvider(resource=Resource.create({"service.name": "bot"}))
        provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
        logger = logging.getLogger("bot.isolation")
        logger.propagate = False
        logger.addHandler(LoggingHandler(logger_provider=provider))
        try:
            for n, word in enumerate(("alpha", "bravo", "charlie", "delta", "echo")):
                path = "/data/\udcff.bin" if n == 2 else f"/data/{word}.bin"
                logger.error("%s store failed: cannot open %s", word, path)
            provider.force_flush()
            assert exporter.force_flush(10_000)
        finally:
            logger.handlers.clear()
            logger.propagate = True
            provider.shutdown()
        texts = [json.dumps(e, ensure_ascii=False) for e in four_channels.embeds(Channel.LOGS)]
        for word in ("alpha", "bravo", "charlie", "delta", "echo"):
            assert 1 == sum(f"{word} store failed" in t for t in texts), texts
        assert 1 == sum("/data/\ufffd.bin" in t for t in texts), texts
        assert [] == four_channels.server.violations


class TestRefusedEmbedIsolated:
    """Discord refusing a message for one embed: the other embeds still go out."""

    def test_four_of_five_delivered(self, server: DiscordServer, make_engine: MakeEngine) -> None:
        """Five items packed in one message, one refused: 4 delivered, 1 failed and reported."""
        url = server.create_webhook("logs")
        harness = make_engine(
            {Channel.LOGS: WebhookDestination.parse(url)}, transport=_RefuseMarked()
        )
        for title in ("one", "two", "BAD", "four", "five"):
            harness.engine.submit(Channel.LOGS, Note(title))
        assert harness.engine.flush(10.0)
        delivered = [e["title"] for e in server.embeds("logs")]
        assert ["one", "two", "four", "five"] == delivered
        assert 1 == harness.engine.stats()[Channel.LOGS].failed
        assert ["bad_request"] == harness.kinds(Channel.LOGS)


class _RefuseUsername(httpx.BaseTransport):
    """Every message is refused for its username, a message-wide field."""

    def __init__(self) -> None:
        self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        errors = {"username": {"_errors": [{"code": "USERNAME_INVALID", "message": "bad"}]}}
        return httpx.Response(
            400, json={"code": 50035, "message": "Invalid Form Body", "errors": errors}
        )


class TestMessageWideRefusal:
    """A 400 that blames the message, not an embed, is not split (it would fail again)."""

    def test_one_request_for_five_items(
        self, server: DiscordServer, make_engine: MakeEngine
    ) -> None:
        """Five items in one message refused for the username: one request, five failed."""
        url = server.create_webhook("logs")
        transport = _RefuseUsername()
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(url)}, transport=transport)
        for title in ("one", "two", "three", "four", "five"):
            harness.engine.submit(Channel.LOGS, Note(title))
        assert harness.engine.flush(10.0)
        assert 1 == transport.requests
        assert ["bad_request"] == harness.kinds(Channel.LOGS)
