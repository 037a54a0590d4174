"""The three exporters with the real SDK providers, over loopback to the strict local Discord."""

from __future__ import annotations

import logging
from importlib.metadata import entry_points

import pytest
from opentelemetry.instrumentation.system_metrics import SystemMetricsInstrumentor
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Status, StatusCode

from otel_discord import Channel
from otel_discord.exporters import DiscordLogExporter, DiscordMetricExporter, DiscordSpanExporter
from otel_discord.pipeline import Pipeline
from otel_discord.routing import Rule
from tests.support import KINDS, occurrences

RESOURCE = Resource.create({"service.name": "astrobot", "host.name": "prod-1"})


@pytest.fixture
def app_logger():
    """A logger bridged to OTel the way opentelemetry-instrument does it."""
    logger = logging.getLogger("astrobot.cogs.music")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    yield logger
    logger.handlers.clear()
    logger.propagate = True


class TestLogs:
    """Bridged Python logging reaches the logs channel, grouped, and nothing else leaks in."""

    def test_error_with_traceback(self, four_channels, app_logger, write_audit) -> None:
        exporter = DiscordLogExporter(four_channels.config())
        provider = LoggerProvider(resource=RESOURCE)
        provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
        app_logger.addHandler(LoggingHandler(logger_provider=provider))
        app_logger.info("not interesting")
        try:
            int("30s")
        except ValueError:
            app_logger.exception("command play failed for @everyone")
        provider.force_flush()
        assert exporter.force_flush(10_000)
        [embed] = four_channels.embeds(Channel.LOGS)
        assert "❌ ValueError: invalid literal for int() with base 10: '30s'" == embed["title"]
        assert "```py" in embed["description"]
        assert "@everyone" not in embed["description"]
        assert {"text": "service astrobot · host prod-1"} == embed["footer"]
        assert [] == four_channels.server.violations
        provider.shutdown()
        assert [] == write_audit.opened

    def test_no_feedback_loop(self, four_channels, write_audit) -> None:
        """With the root logger bridged, one app log gives one embed, however much we log."""
        exporter = DiscordLogExporter(four_channels.config())
        provider = LoggerProvider(resource=RESOURCE)
        provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
        handler = LoggingHandler(logger_provider=provider)
        root = logging.getLogger()
        root.addHandler(handler)
        try:
            logging.getLogger("astrobot").error("database unreachable")
            for _ in range(3):
                provider.force_flush()
                exporter.force_flush(10_000)
            # our own chatter, as the delivery engine would log it
            logging.getLogger("otel_discord.delivery").warning("webhook failing")
            logging.getLogger("httpx").warning("HTTP Request: POST ...")
            provider.force_flush()
            exporter.force_flush(10_000)
        finally:
            root.removeHandler(handler)
            provider.shutdown()
        titles = [e["title"] for e in four_channels.embeds(Channel.LOGS)]
        assert ["❌ ERROR · astrobot"] == titles
        assert [] == write_audit.opened

    def test_storm_is_grouped_with_exact_counts(self, four_channels, app_logger) -> None:
        """10,000 errors of 20 kinds arrive as about 20 embeds whose counts add up exactly."""
        exporter = DiscordLogExporter(four_channels.config(max_queue_size=5000))
        provider = LoggerProvider(resource=RESOURCE)
        provider.add_log_record_processor(
            BatchLogRecordProcessor(exporter, max_queue_size=20_000, max_export_batch_size=2048)
        )
        app_logger.addHandler(LoggingHandler(logger_provider=provider))
        for i in range(10_000):
            app_logger.error("shard %d failed: %s broke", i, KINDS[i % 20])
        provider.force_flush()
        assert exporter.force_flush(30_000)
        embeds = four_channels.embeds(Channel.LOGS)
        assert 10_000 == sum(occurrences(e) for e in embeds)
        assert 20 <= len(embeds) <= 60
        kinds = {k for k in KINDS for e in embeds if f"{k} broke" in e["description"]}
        assert set(KINDS) == kinds
        exporter.pipeline.scheduler.run_now("storm")
        assert exporter.force_flush(10_000)
        [storm] = [e for e in four_channels.embeds(Channel.LOGS) if "Error storm" in e["title"]]
        assert storm["title"].startswith("🌪️ Error storm · 10,000 errors in")
        assert "`500×`" in storm["description"]
        assert [] == four_channels.server.violations
        provider.shutdown()


class TestSpans:
    """Error spans go to logs at once; every span feeds the analytics summary."""

    def test_error_span_and_summary(self, four_channels) -> None:
        exporter = DiscordSpanExporter(four_channels.config())
        provider = TracerProvider(resource=RESOURCE)
        provider.add_span_processor(BatchSpanProcessor(exporter))
        tracer = provider.get_tracer("astrobot")
        for _ in range(3):
            with tracer.start_as_current_span("play"):
                pass
        try:
            with tracer.start_as_current_span("skip"):
                raise KeyError("queue")
        except KeyError:
            pass
        with tracer.start_as_current_span("lyrics") as span:
            span.set_status(Status(StatusCode.ERROR, "upstream timed out"))
        provider.force_flush()
        pipeline = exporter._core.pipeline
        pipeline.scheduler.run_now("analytics")
        assert exporter.force_flush(10_000)
        titles = sorted(e["title"] for e in four_channels.embeds(Channel.LOGS))
        assert ["❌ ERROR · astrobot", "❌ KeyError: 'queue'"] == titles
        [summary] = four_channels.embeds(Channel.ANALYTICS)
        spans = next(f["value"] for f in summary["fields"] if f["name"] == "Spans")
        assert spans.startswith("5 spans · error rate 40.0 %")
        provider.shutdown()

    def test_exception_event_without_error_status_reaches_logs(self, four_channels) -> None:
        """A span with an exception event but no ERROR status is still an error span."""
        exporter = DiscordSpanExporter(four_channels.config())
        provider = TracerProvider(resource=RESOURCE)
        provider.add_span_processor(BatchSpanProcessor(exporter))
        tracer = provider.get_tracer("astrobot")
        with tracer.start_as_current_span("play"):
            pass
        with tracer.start_as_current_span("retry") as span:
            span.record_exception(TimeoutError("voice gateway"))
        provider.force_flush()
        assert exporter.force_flush(10_000)
        titles = [e["title"] for e in four_channels.embeds(Channel.LOGS)]
        assert ["❌ TimeoutError: voice gateway"] == titles
        provider.shutdown()

    def test_user_rule_routes_successful_spans(self, four_channels) -> None:
        """With a user rule for spans, successful spans are routed too (no shortcut)."""
        rules = [Rule(Channel.DIAGNOSTICS, signal="spans", name="deploy*")]
        exporter = DiscordSpanExporter(four_channels.config(), rules=rules)
        assert not exporter._core.router.default_spans
        provider = TracerProvider(resource=RESOURCE)
        provider.add_span_processor(BatchSpanProcessor(exporter))
        tracer = provider.get_tracer("astrobot")
        for name in ("play", "deploy v2", "play"):
            with tracer.start_as_current_span(name):
                pass
        provider.force_flush()
        assert exporter.force_flush(10_000)
        found = [e for e in four_channels.embeds(Channel.DIAGNOSTICS) if "deploy v2" in str(e)]
        assert 1 == len(found)
        assert [] == four_channels.embeds(Channel.LOGS)
        provider.shutdown()


class TestMetrics:
    """System metrics become the snapshot table in the performance channel."""

    def test_system_snapshot(self, four_channels) -> None:
        exporter = DiscordMetricExporter(four_channels.config())
        reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
        provider = MeterProvider(resource=RESOURCE, metric_readers=[reader])
        instrumentor = SystemMetricsInstrumentor()
        instrumentor.instrument(meter_provider=provider)
        try:
            for _ in range(3):
                provider.force_flush()
            pipeline = exporter._core.pipeline
            pipeline.scheduler.run_now("performance")
            pipeline.send_system()
            assert exporter.force_flush(10_000)
        finally:
            instrumentor.uninstrument()
            provider.shutdown()
        embeds = four_channels.embeds(Channel.PERFORMANCE)
        assert 1 <= len(embeds) <= 4
        text = "\n".join(str(e.get("description", "")) + str(e.get("fields", "")) for e in embeds)
        assert "cpu" in text.lower()
        assert "```" in text
        assert [] == four_channels.server.violations


class TestSharing:
    """Exporters built from equal settings share one pipeline; shutdown is reference counted."""

    def test_one_pipeline(self, four_channels) -> None:
        config = four_channels.config()
        spans, logs = DiscordSpanExporter(config), DiscordLogExporter(config)
        metrics = DiscordMetricExporter(config)
        assert spans._core.pipeline is logs._core.pipeline is metrics._core.pipeline
        spans.shutdown()
        assert not logs._core.pipeline._closed
        logs.shutdown()
        metrics.shutdown(timeout_millis=2000)
        assert metrics._core.pipeline._closed

    def test_failure_after_shutdown(self, four_channels) -> None:
        exporter = DiscordSpanExporter(four_channels.config())
        exporter.shutdown()
        exporter.shutdown()  # twice is harmless
        assert exporter.export([]).name == "FAILURE"


class TestEntryPoints:
    """``OTEL_*_EXPORTER=discord`` finds our classes."""

    @pytest.mark.parametrize(
        ("group", "cls"),
        [
            ("opentelemetry_traces_exporter", DiscordSpanExporter),
            ("opentelemetry_logs_exporter", DiscordLogExporter),
            ("opentelemetry_metrics_exporter", DiscordMetricExporter),
        ],
    )
    def test_loads(self, group: str, cls: type) -> None:
        [ep] = [ep for ep in entry_points(group=group) if ep.name == "discord"]
        assert cls is ep.load()

    def test_no_arguments_reads_environment(self, four_channels, monkeypatch) -> None:
        monkeypatch.setenv("OTEL_EXPORTER_DISCORD_WEBHOOK_URL", four_channels.urls[Channel.LOGS])
        exporter = DiscordLogExporter()
        assert set(Channel) == set(exporter._core.config.routes)
        exporter.shutdown()


def test_pipeline_registry_is_clean() -> None:
    assert {} == Pipeline._registry


class TestShutdownDeadline:
    """The reader's ``timeout=`` is in milliseconds; shutdown is bounded even with Discord down."""

    def test_bounded_when_unreachable(self) -> None:
        import time

        from otel_discord import DiscordConfig

        config = DiscordConfig.resolve(
            webhook_url="http://127.0.0.1:9/api/webhooks/1/token", env={}
        )
        exporter = DiscordLogExporter(config)
        provider = LoggerProvider(resource=RESOURCE)
        provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
        provider.get_logger("t").emit(body="x", severity_number=None)
        metrics = DiscordMetricExporter(config)
        began = time.monotonic()
        metrics.shutdown(timeout=1500)  # milliseconds, as PeriodicExportingMetricReader passes
        provider.shutdown()
        assert time.monotonic() - began < 15.0
