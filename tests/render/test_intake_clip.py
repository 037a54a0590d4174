"""Record text is cut at intake; the grouping key runs once per occurrence, over cut text."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import (
    BatchLogRecordProcessor,
    InMemoryLogRecordExporter,
    SimpleLogRecordProcessor,
)
from opentelemetry.sdk.resources import Resource

from otel_discord import Channel, fingerprint
from otel_discord.delivery.grouped import ErrorGroup
from otel_discord.exporters import DiscordLogExporter
from otel_discord.exporters.log_processor import (
    ClippingLogRecordProcessor,
    clipped,
    log_processor_for,
)
from otel_discord.record_clip import (
    MESSAGE_CHARS,
    TRACE_HEAD_CHARS,
    TRACE_TAIL_CHARS,
    original_length,
)
from otel_discord.records import EventNotice, Occurrence
from otel_discord.state.storm import StormWindow
from tests.conftest import FourChannels

MEGABYTE_MESSAGE = "payload " + "x" * 1_000_000


class _CountingTemplate:
    """The real ``message_template``, counting calls and the longest text it was given."""

    def __init__(self) -> None:
        self.calls = 0
        self.longest = 0
        self._real = fingerprint.message_template

    def __call__(self, text: str) -> str:
        self.calls += 1
        self.longest = max(self.longest, len(text))
        return self._real(text)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> _CountingTemplate:
    counter = _CountingTemplate()
    monkeypatch.setattr(fingerprint, "message_template", counter)
    return counter


def _occurrence(**overrides: Any) -> Occurrence:
    values: dict[str, Any] = {
        "time_ns": 1_700_000_000 * 10**9,
        "severity_number": 17,
        "severity_text": "ERROR",
        "source": "bot.db",
        "message": MEGABYTE_MESSAGE,
        "service": "bot",
    }
    return Occurrence(**{**values, **overrides})


class TestClipAtIntake:
    """What is kept of a record is bounded, and the original size is told."""

    def test_message_cut_original_length_kept(self) -> None:
        """A 1 MB message keeps 4096 characters and remembers 1,000,008."""
        occurrence = _occurrence()
        assert (MESSAGE_CHARS, 1_000_008) == (len(occurrence.message), occurrence.original_chars)

    def test_trace_and_context_bounded(self) -> None:
        """A 1 MB stack trace keeps its head and its tail; a 6 MB attribute is cut to 1 KiB."""
        trace = "Traceback (most recent call last):\n" + "  frame\n" * 200_000 + "ValueError: x"
        occurrence = _occurrence(stacktrace=trace, context={"blob": "y" * 6_000_000})
        assert occurrence.stacktrace is not None
        assert len(occurrence.stacktrace) < 17_000
        assert occurrence.stacktrace.startswith("Traceback (most recent call last):\n")
        assert occurrence.stacktrace.endswith("ValueError: x")
        assert 1024 == len(occurrence.context["blob"])

    def test_embed_says_how_much_was_cut(self) -> None:
        """The error embed says the message was truncated and from what size."""
        embed = ErrorGroup(_occurrence()).embeds()[0]
        assert "_… message of 977 KiB truncated_" in embed["description"]


class TestGroupingKeyOnce:
    """The key's regexes run once per occurrence, over at most 4096 characters."""

    def test_pipeline_pieces(self, counting: _CountingTemplate) -> None:
        """Storm window and error group: the key's template runs over at most 4096 characters."""
        occurrence = _occurrence()
        window = StormWindow(0)
        window.add(occurrence)
        kind = fingerprint.error_kind(occurrence)
        window.add(occurrence, kind)
        assert ErrorGroup(occurrence, kind).key == "error:" + kind
        # Two template runs (add without a kind computes its own), each on cut text.
        assert (2, MESSAGE_CHARS) == (counting.calls, counting.longest)

    def test_through_the_log_exporter(
        self, four_channels: FourChannels, counting: _CountingTemplate
    ) -> None:
        """Three 1 MB errors through the real exporter: three template runs, on cut text."""
        exporter = DiscordLogExporter(four_channels.config())
        provider = LoggerProvider(resource=Resource.create({"service.name": "bot"}))
        provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
        with bridged("bot.huge", provider) as logger:
            for word in ("alpha", "bravo", "charlie"):
                logger.error("%s %s", word, MEGABYTE_MESSAGE)
            provider.force_flush()
            assert exporter.force_flush(10_000)
        assert (3, MESSAGE_CHARS) == (counting.calls, counting.longest)
        embeds = four_channels.embeds(Channel.LOGS)
        assert 1 <= len(embeds)
        assert all("truncated" in e["description"] for e in embeds)


@contextlib.contextmanager
def bridged(name: str, provider: LoggerProvider) -> Iterator[logging.Logger]:
    """A logger bridged to ``provider`` alone; the provider is shut down on the way out."""
    logger = logging.getLogger(name)
    logger.propagate = False
    logger.addHandler(LoggingHandler(logger_provider=provider))
    try:
        yield logger
    finally:
        logger.handlers.clear()
        logger.propagate = True
        provider.shutdown()


class TestClippedBeforeTheQueue:
    """``configure()``'s log processor cuts each record as it is emitted, so the SDK's
    queue holds bounded records and the original size still reaches the embed."""

    def test_records_cut_on_emit(self, four_channels: FourChannels) -> None:
        seen: list[tuple[int, int, int]] = []

        class Recording(DiscordLogExporter):
            def export(self, batch):  # type: ignore[no-untyped-def]
                for data in batch:
                    record = data.log_record
                    body, attrs = record.body, record.attributes or {}
                    assert isinstance(body, str)  # the ClippedText itself, not a copy
                    trace = str(attrs["exception.stacktrace"])
                    seen.append((len(body), original_length(body), len(trace)))
                return super().export(batch)

        exporter = Recording(four_channels.config())
        provider = LoggerProvider(resource=Resource.create({"service.name": "bot"}))
        processor = ClippingLogRecordProcessor(exporter)
        provider.add_log_record_processor(processor)
        with bridged("bot.huge.emit", provider) as logger:
            try:
                raise ValueError("x" * 100_000)
            except ValueError:
                logger.exception("%s", MEGABYTE_MESSAGE)
            provider.force_flush()
            assert exporter.force_flush(10_000)
        [(body, original, trace)] = seen
        assert (MESSAGE_CHARS, len(MEGABYTE_MESSAGE)) == (body, original)
        assert trace < TRACE_HEAD_CHARS + TRACE_TAIL_CHARS + 100
        [embed] = four_channels.embeds(Channel.LOGS)
        assert "_… message of 977 KiB truncated_" in embed["description"]

    def test_the_other_processors_get_the_whole_record(self, four_channels: FourChannels) -> None:
        """The provider hands one record to every processor: an exporter beside ours
        (OTLP, ``OTEL_LOGS_EXPORTER=discord,otlp``) keeps the whole text, before and after."""
        beside_before, beside_after = InMemoryLogRecordExporter(), InMemoryLogRecordExporter()
        provider = LoggerProvider(resource=Resource.create({"service.name": "bot"}))
        provider.add_log_record_processor(SimpleLogRecordProcessor(beside_before))
        provider.add_log_record_processor(
            ClippingLogRecordProcessor(DiscordLogExporter(four_channels.config()))
        )
        provider.add_log_record_processor(SimpleLogRecordProcessor(beside_after))
        with bridged("bot.huge.shared", provider) as logger:
            try:
                raise ValueError("y" * 100_000)
            except ValueError:
                logger.exception("%s", MEGABYTE_MESSAGE)
            provider.force_flush()
            for exporter in (beside_before, beside_after):
                [data] = exporter.get_finished_logs()
                attributes = data.log_record.attributes or {}
                assert MEGABYTE_MESSAGE == data.log_record.body
                assert "y" * 100_000 == attributes["exception.message"]
                assert 100_000 < len(str(attributes["exception.stacktrace"]))
        [embed] = four_channels.embeds(Channel.LOGS)
        assert "_… message of 977 KiB truncated_" in embed["description"]

    def test_a_short_record_is_queued_as_it_is(self) -> None:
        """No copy for a record that needs no cut (the usual case)."""
        provider = LoggerProvider()
        exporter = InMemoryLogRecordExporter()
        provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
        with bridged("bot.short", provider) as logger:
            logger.error("short")
            [data] = exporter.get_finished_logs()
            assert clipped(data) is data

    def test_the_factory_gives_discord_ours(self, four_channels: FourChannels) -> None:
        ours = log_processor_for(DiscordLogExporter(four_channels.config()))
        other = log_processor_for(InMemoryLogRecordExporter())
        try:
            assert (ClippingLogRecordProcessor, BatchLogRecordProcessor) == (
                type(ours),
                type(other),
            )
        finally:
            ours.shutdown()
            other.shutdown()

    def test_configure_uses_it(self, four_channels: FourChannels) -> None:
        from otel_discord import configure

        telemetry = configure(
            config=four_channels.config(),
            system_metrics=False,
            instrument_discord=False,
            set_global=False,
            bridge_logging=False,
        )
        try:
            processors = (
                telemetry.logger_provider._multi_log_record_processor._log_record_processors
            )
            assert [ClippingLogRecordProcessor] == [type(p) for p in processors]
        finally:
            telemetry.shutdown()


class TestEventsClipped:
    """Activity events are cut at intake too."""

    def test_event_body_and_attributes(self) -> None:
        """A 1 MB event body keeps 4096 characters; a 2 MB attribute keeps 1 KiB."""
        notice = EventNotice(
            time_ns=0,
            name="custom.thing",
            body="b" * 1_000_000,
            service="bot",
            attributes={"payload": "p" * 2_000_000},
        )
        assert (MESSAGE_CHARS, 1024) == (len(notice.body), len(notice.attributes["payload"]))


class TestGuildNoticeMemberCount:
    """A guild join/leave renders whatever the member count attribute holds."""

    @pytest.mark.parametrize(
        ("count", "title"),
        [
            (1204, "👋 Left guild Synthwave Club — 1,204 members"),
            ("1204", "👋 Left guild Synthwave Club — 1,204 members"),
            ("many", "👋 Left guild Synthwave Club"),
            (float("inf"), "👋 Left guild Synthwave Club"),
            (-3, "👋 Left guild Synthwave Club"),
        ],
    )
    def test_title(self, count: object, title: str) -> None:
        from otel_discord.render.events import render_event

        notice = EventNotice(
            time_ns=0,
            name="discord.guild.leave",
            body="",
            service="bot",
            attributes={
                "discord.guild.name": "Synthwave Club",
                "discord.guild.member_count": count,
            },
        )
        assert title == render_event(notice)["title"]
