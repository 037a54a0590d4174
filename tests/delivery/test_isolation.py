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
from otel_discord.delivery.refusal_notice import TITLE as NOTICE_TITLE
from otel_discord.delivery.refusal_notice import defang, refusal_notice
from otel_discord.exporters import DiscordLogExporter
from otel_discord.render.json_safe import json_safe
from otel_discord.testing import DiscordServer, check_message
from tests.conftest import FourChannels

from .items import Note
from .support import MakeEngine


class _RefuseMarked(httpx.BaseTransport):
    """The real server, except a message holding an embed titled one of ``titles`` gets 400."""

    def __init__(self, titles: tuple[str, ...] = ("BAD",)) -> None:
        self._inner = httpx.HTTPTransport()
        self._titles = titles
        self.refused: list[list[str]] = []
        """Titles of each message refused."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.read())
        titles = [str(e.get("title")) for e in body.get("embeds", [])]
        if any(title in self._titles for title in titles):
            self.refused.append(titles)
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
        """Five items in one message, one refused: 4 delivered, a notice in its place, 1 failed."""
        url = server.create_webhook("logs")
        harness = make_engine(
            {Channel.LOGS: WebhookDestination.parse(url)}, transport=_RefuseMarked()
        )
        for title in ("one", "two", "BAD", "four", "five"):
            harness.engine.submit(Channel.LOGS, Note(title))
        assert harness.engine.flush(10.0)
        delivered = [e["title"] for e in server.embeds("logs")]
        assert ["one", "two", NOTICE_TITLE, "four", "five"] == delivered
        notice = server.embeds("logs")[2]["description"]
        assert notice.startswith(
            "**Lost:** BAD\n**Discord said:** `400 code 50035 Invalid Form Body"
        )
        assert 1 == harness.engine.stats()[Channel.LOGS].failed
        assert ["bad_request"] == harness.kinds(Channel.LOGS)

    def test_refused_notice_is_dropped(
        self, server: DiscordServer, make_engine: MakeEngine
    ) -> None:
        """A notice refused in turn is dropped, not replaced again: no loop, one loss counted."""
        url = server.create_webhook("logs")
        transport = _RefuseMarked(("BAD", NOTICE_TITLE))
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(url)}, transport=transport)
        for title in ("one", "two", "BAD", "four", "five"):
            harness.engine.submit(Channel.LOGS, Note(title))
        assert harness.engine.flush(10.0)
        assert ["one", "two", "four", "five"] == [e["title"] for e in server.embeds("logs")]
        # BAD alone was refused once, its notice once: no notice for the notice, no loop.
        assert 1 == transport.refused.count(["BAD"])
        assert [[NOTICE_TITLE]] == [t for t in transport.refused if NOTICE_TITLE in t]
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


class TestRefusalNotice:
    """The notice names what was lost and Discord's reason, and is itself acceptable."""

    def test_field_path_and_title(self) -> None:
        """A 50035 reason keeps its field path; the lost title is named."""
        refused = {
            "username": "bot",
            "embeds": [{"title": "KeyError: 'faq'", "description": "x"}],
            "allowed_mentions": {"parse": []},
        }
        reason = "400 code 50035 Invalid Form Body: embeds.0.description: BASE_TYPE_MAX_LENGTH"
        notice = refusal_notice(refused, reason)
        assert notice is not None
        assert "bot" == notice["username"]
        assert {"parse": []} == notice["allowed_mentions"]
        [embed] = notice["embeds"]
        assert NOTICE_TITLE == embed["title"]
        assert "KeyError: 'faq'" in embed["description"]
        assert f"`{reason}`" in embed["description"]
        assert check_message(notice, webhook=True).errors is None

    def test_links_defanged(self) -> None:
        """A link in the lost title or the reason is shown, but no longer as a link."""
        assert "hxxps://phish.example/a hxxp://b.example" == defang(
            "https://phish.example/a http://b.example"
        )
        refused = {"embeds": [{"title": "see https://phish.example/login"}]}
        notice = refusal_notice(refused, "400 code 240000")
        assert notice is not None
        assert "https://" not in json.dumps(notice)

    def test_only_a_lone_embed(self) -> None:
        """A message of several embeds is not replaced by one notice."""
        assert refusal_notice({"embeds": [{"title": "a"}, {"title": "b"}]}, "400") is None


def _log_five_errors(exporter: DiscordLogExporter, messages: list[str]) -> None:
    provider = LoggerProvider(resource=Resource.create({"service.name": "bot"}))
    provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
    logger = logging.getLogger("bot.isolation")
    logger.propagate = False
    logger.addHandler(LoggingHandler(logger_provider=provider))
    try:
        for message in messages:
            try:
                raise LookupError(message)
            except LookupError:
                logger.exception("store failed")
        provider.force_flush()
        assert exporter.force_flush(10_000)
    finally:
        logger.handlers.clear()
        logger.propagate = True
        provider.shutdown()


class TestRefusedErrorEndToEnd:
    """One of five errors refused by the strict local Discord: 4 delivered, 1 notice, counted."""

    def test_notice_in_logs_and_count_in_diagnostics(self, four_channels: FourChannels) -> None:
        """Discord's harmful-links filter refuses one error; its place holds a notice."""
        server = four_channels.server
        server.block_links("phish.example")
        exporter = DiscordLogExporter(four_channels.config())
        words = ("alpha", "bravo", "charlie", "delta", "echo")
        messages = [
            f"{w} lookup failed, see https://phish.example/login"
            if w == "charlie"
            else f"{w} lookup failed"
            for w in words
        ]
        _log_five_errors(exporter, messages)
        logs = four_channels.embeds(Channel.LOGS)
        texts = [json.dumps(e, ensure_ascii=False) for e in logs]
        print(texts)
        for word in ("alpha", "bravo", "delta", "echo"):
            assert 1 == sum(f"{word} lookup failed" in t for t in texts), texts
        notices = [e for e in logs if e["title"] == NOTICE_TITLE]
        assert 1 == len(notices), texts
        assert 5 == len(logs)
        description = notices[0]["description"]
        assert "charlie lookup failed, see hxxps://phish.example/login" in description
        assert "400 code 240000 Message blocked by harmful links filter" in description
        diagnostics = [json.dumps(e) for e in four_channels.embeds(Channel.DIAGNOSTICS)]
        refused = [t for t in diagnostics if "Delivery \\u00b7 logs \\u00b7 bad_request" in t]
        assert 1 == len(refused), diagnostics
        assert "code 240000" in refused[0]
        assert 1 == exporter.pipeline.engine.stats()[Channel.LOGS].failed
        everything = json.dumps(server.embeds())
        assert not any(token in everything for token in four_channels.tokens())
        assert [] == server.violations
