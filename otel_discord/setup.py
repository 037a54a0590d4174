"""``configure()``: the whole stack from code in one call.

Sets up the SDK providers with the three Discord exporters, bridges Python
logging, and turns on the system-metrics and discord.py instrumentations: the
same result ``opentelemetry-instrument`` gives with only webhook variables set.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from opentelemetry import metrics, trace
from opentelemetry._logs import set_logger_provider
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from otel_discord.config import DiscordConfig
from otel_discord.console import is_bridge, keep_console_output, release_console
from otel_discord.exception_ids import ExceptionIdFilter
from otel_discord.exporters import DiscordLogExporter, DiscordMetricExporter, DiscordSpanExporter
from otel_discord.exporters._base import MAX_SHUTDOWN_S
from otel_discord.exporters.log_processor import ClippingLogRecordProcessor
from otel_discord.exporters.span_processor import DiscordSpanProcessor
from otel_discord.monitors import AlertRule, register_filesystem_gauges
from otel_discord.pipeline import Pipeline
from otel_discord.routing import Rule

_logger = logging.getLogger("otel_discord.setup")

DEFAULT_METRIC_INTERVAL_MS: Final = 15_000
"""Metric export interval when OTEL_METRIC_EXPORT_INTERVAL is unset: 4 samples a minute
give the sparklines something to draw; the snapshots still go out on their own schedule."""


def metric_interval_ms(environ: Mapping[str, str] | None = None) -> int:
    """OTEL_METRIC_EXPORT_INTERVAL if set and valid, else our default."""
    raw = (os.environ if environ is None else environ).get("OTEL_METRIC_EXPORT_INTERVAL", "")
    try:
        value = int(raw)
    except ValueError:
        return DEFAULT_METRIC_INTERVAL_MS
    return value if value > 0 else DEFAULT_METRIC_INTERVAL_MS


@dataclass
class Telemetry:
    """What :func:`configure` set up; ``shutdown()`` flushes and stops all of it."""

    config: DiscordConfig
    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    logger_provider: LoggerProvider
    instrumentors: list[Any] = field(default_factory=list)
    logging_handler: logging.Handler | None = None
    default_output: logging.Handler | None = None

    pipeline: Pipeline | None = None
    """The pipeline the three exporters share (its delivery decides what shutdown returns)."""
    shut_down: bool | None = None
    """What ``shutdown()`` returned, once it ran (a second call returns it again)."""

    def shutdown(self) -> bool:
        """Flush everything within the exporters' deadlines and undo the instrumentation.

        Returns whether everything was delivered: the providers flushed and nothing was
        left in the delivery queues when the exporters stopped. Calling it again returns
        the same answer and does nothing.
        """
        global _running  # noqa: PLW0603 - the one setup configure() returns while it runs
        if self.shut_down is not None:
            return self.shut_down
        if _running is self:
            _running = None
        self.shut_down = self._shutdown()
        return self.shut_down

    def _shutdown(self) -> bool:
        for instrumentor in reversed(self.instrumentors):
            try:
                instrumentor.uninstrument()
            except Exception:
                _logger.exception("uninstrumenting %s failed", type(instrumentor).__name__)
        if self.logging_handler is not None:
            logging.getLogger().removeHandler(self.logging_handler)
        release_console(self.default_output)
        # One deadline for every step: with Discord down each would wait its own 5 s.
        deadline = time.monotonic() + MAX_SHUTDOWN_S

        def left_ms() -> int:
            return max(0, int((deadline - time.monotonic()) * 1000))

        flushed = all(
            [
                self.tracer_provider.force_flush(left_ms()),
                self.logger_provider.force_flush(left_ms()),
                self.meter_provider.force_flush(left_ms()),
            ]
        )
        pipeline = self.pipeline
        if pipeline is None:
            delivered = True
        elif pipeline.users() <= _OWN_EXPORTERS:
            # The last summaries and the stopped notice, delivered within what is left;
            # the exporters' own shutdown below then finds the pipeline stopped.
            delivered = pipeline.shutdown(left_ms() / 1000)
        else:  # shared with another setup (the wrapper's exporters): it stops with them
            delivered = pipeline.flush(left_ms() / 1000)
        self.tracer_provider.shutdown()
        self.logger_provider.shutdown()
        self.meter_provider.shutdown()
        if self.pipeline is not None:
            stats = self.pipeline.engine.stats().values()
            delivered = delivered and not any(s.queue_depth for s in stats)
        return flushed and delivered


def flush_on_sigterm() -> bool:
    """Make SIGTERM a normal exit (``SystemExit(143)``), so atexit flushes queued telemetry.

    Python's default SIGTERM ends the process at once, skipping ``atexit``: whatever
    the last seconds held (often the error that led to the stop) is lost. Opt-in
    (``OTEL_EXPORTER_DISCORD_FLUSH_ON_SIGTERM``), and only when SIGTERM still has its
    default disposition and we are on the main thread: an app's own handler is never
    replaced. Returns whether the handler was installed.
    """
    if threading.current_thread() is not threading.main_thread():
        return False
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return False

    def _exit(signum: int, _frame: object) -> None:
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)
    return True


def keep_default_output() -> logging.Handler | None:
    """Keep the bot's console as it is without the bridge (see :mod:`otel_discord.console`).

    Returns the stand-in handler when this call installed it.
    """
    return keep_console_output()


def configure(
    *,
    service_name: str | None = None,
    config: DiscordConfig | None = None,
    rules: Sequence[Rule] | None = None,
    resource_attributes: Mapping[str, Any] | None = None,
    bridge_logging: bool = True,
    system_metrics: bool = True,
    instrument_discord: bool = True,
    set_global: bool = True,
    alert_rules: Sequence[AlertRule] | None = None,
    **settings: Any,
) -> Telemetry:
    """Stream this process's telemetry to Discord.

    Args:
        service_name: ``service.name`` shown on every embed (else OTEL_SERVICE_NAME).
        config: resolved settings; else ``settings`` (``webhook_url=...``) and the environment.
        rules: routing rules tried before the defaults.
        resource_attributes: extra resource attributes.
        bridge_logging: send Python logging records (WARNING and up by default) to Discord.
        system_metrics: enable the OpenTelemetry system-metrics instrumentation.
        instrument_discord: enable the discord.py instrumentation when discord.py is installed.
        set_global: install the providers as OpenTelemetry's global ones.
        alert_rules: alert rules replacing the defaults (``otel_discord.monitors.default_rules``).
    """
    global _running  # noqa: PLW0603 - the one setup configure() returns while it runs
    if _running is not None:
        _logger.warning(
            "configure() was already called in this process: returning the running setup "
            "(call its shutdown() first to configure again)"
        )
        return _running
    cfg = config if config is not None else DiscordConfig.resolve(**settings)
    attributes = dict(resource_attributes or {})
    if service_name:
        attributes["service.name"] = service_name
    resource = Resource.create(attributes)
    tracer_provider = TracerProvider(resource=resource)
    # No worker thread: see otel_discord/exporters/span_processor.py (the GIL convoy).
    tracer_provider.add_span_processor(DiscordSpanProcessor(DiscordSpanExporter(cfg, rules=rules)))
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(
        ClippingLogRecordProcessor(DiscordLogExporter(cfg, rules=rules))
    )
    metric_exporter = DiscordMetricExporter(cfg, rules=rules)
    if alert_rules is not None:
        metric_exporter.pipeline.monitors.set_rules(alert_rules)
    reader = PeriodicExportingMetricReader(
        metric_exporter, export_interval_millis=metric_interval_ms()
    )
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
    telemetry = Telemetry(cfg, tracer_provider, meter_provider, logger_provider)
    telemetry.pipeline = metric_exporter.pipeline
    if set_global:
        _set_globals(tracer_provider, meter_provider, logger_provider)
    if bridge_logging and _has_bridge():
        _logger.warning(
            "a logging bridge is already installed (opentelemetry-instrument?): "
            "configure() adds none, so no record is sent twice"
        )
        bridge_logging = False
    if bridge_logging:
        telemetry.default_output = keep_default_output()
        with warnings.catch_warnings():
            # Deprecated in favour of opentelemetry-instrumentation-logging, which we don't
            # require; the SDK's handler is the one opentelemetry-instrument installs too.
            warnings.simplefilter("ignore", DeprecationWarning)
            telemetry.logging_handler = LoggingHandler(logger_provider=logger_provider)
        telemetry.logging_handler.addFilter(ExceptionIdFilter())
        logging.getLogger().addHandler(telemetry.logging_handler)
    providers = {
        "tracer_provider": tracer_provider,
        "meter_provider": meter_provider,
        "logger_provider": logger_provider,
    }
    telemetry.instrumentors.extend(_instrument(providers, system_metrics, instrument_discord))
    if cfg.flush_on_sigterm:
        flush_on_sigterm()
    _running = telemetry
    return telemetry


_OWN_EXPORTERS: Final = 3
"""The span, log and metric exporters ``configure()`` makes, all on one pipeline."""

_running: Telemetry | None = None
"""The setup ``configure()`` made, until its ``shutdown()``."""


def _is_sdk(provider: object) -> bool:
    return type(provider).__module__.startswith("opentelemetry.sdk.")


def _has_bridge() -> bool:
    return any(is_bridge(handler) for handler in logging.getLogger().handlers)


def _set_globals(
    tracer_provider: TracerProvider, meter_provider: MeterProvider, logger_provider: LoggerProvider
) -> None:
    """Install the providers as the global ones, where no SDK provider is installed yet.

    OpenTelemetry sets each global once; under ``opentelemetry-instrument`` they are set
    already, and the API's "Overriding ... is not allowed" warnings would reach #logs.
    """
    from opentelemetry._logs import get_logger_provider

    taken = []
    if _is_sdk(trace.get_tracer_provider()):
        taken.append("tracer")
    else:
        trace.set_tracer_provider(tracer_provider)
    if _is_sdk(metrics.get_meter_provider()):
        taken.append("meter")
    else:
        metrics.set_meter_provider(meter_provider)
    if _is_sdk(get_logger_provider()):
        taken.append("logger")
    else:
        set_logger_provider(logger_provider)
    if taken:
        _logger.warning(
            "OpenTelemetry's global %s provider(s) were set already "
            "(opentelemetry-instrument?): configure() keeps them, and its own providers "
            "serve only what it instruments",
            ", ".join(taken),
        )


def _instrument(providers: dict[str, Any], system: bool, bot: bool) -> list[Any]:
    done: list[Any] = []
    if system:
        from opentelemetry.instrumentation.system_metrics import SystemMetricsInstrumentor

        instrumentor = SystemMetricsInstrumentor()
        if not instrumentor.is_instrumented_by_opentelemetry:  # the wrapper did it already
            instrumentor.instrument(meter_provider=providers["meter_provider"])
            done.append(instrumentor)
        # Disk-full alerts need filesystem space, which system metrics don't report.
        register_filesystem_gauges(providers["meter_provider"])
    if bot:
        try:
            import discord  # noqa: F401  (only to know whether the bot library is there)
        except ImportError:
            return done
        from otel_discord.instrumentation import DiscordInstrumentor

        discord_instrumentor = DiscordInstrumentor()
        if not discord_instrumentor.is_instrumented_by_opentelemetry:
            discord_instrumentor.instrument(**providers)
            done.append(discord_instrumentor)
    return done
