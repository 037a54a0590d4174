"""``Monitors``: the glue between a pipeline and the pure rules, health and render modules.

It reads the pipeline's metric history and counters, keeps the little state
that needs time (error rate window, RSS history, the previous health check),
and submits alerts to the logs channel and health checks to diagnostics.
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Final

from opentelemetry.sdk.metrics.export import MetricsData

from otel_discord.channels import Channel
from otel_discord.delivery.item import LatestItem, Priority, StaticItem
from otel_discord.monitors import defaults as keys
from otel_discord.monitors.defaults import default_rules
from otel_discord.monitors.derived import NS_PER_MIN, RateWindow, disconnected_shards
from otel_discord.monitors.health import HealthInputs, HealthPolicy, HealthReport, assess
from otel_discord.monitors.render import render_alert, render_health, render_startup
from otel_discord.monitors.rules import AlertEvaluator, AlertEvent, AlertRule
from otel_discord.monitors.status_message import StatusMessage
from otel_discord.render.types import Embed
from otel_discord.version import __version__

if TYPE_CHECKING:
    from otel_discord.delivery.stats import DeliveryStats
    from otel_discord.pipeline import Pipeline

FULL_CHECK_CADENCE: Final = (
    "in full on status changes and hourly; the status message shows every check"
)
"""The health embed's footer when the status message carries the checks in between."""
RSS_SAMPLE_EVERY_NS: Final = 60_000_000_000
"""One RSS sample a minute at most, whatever the export interval."""
RSS_SAMPLES: Final = 240
"""Four hours of RSS history at one sample a minute: enough to see a slow leak."""


def active_instrumentations() -> list[str]:
    """Names of OpenTelemetry instrumentors that are loaded and active in this process.

    Looks only at modules already imported (never imports one: that could patch
    libraries as a side effect).
    """
    names = []
    for ep in entry_points(group="opentelemetry_instrumentor"):
        module = sys.modules.get(ep.module)
        cls = getattr(module, ep.attr or "", None) if module is not None else None
        instance = getattr(cls, "_instance", None)
        if instance is not None and getattr(instance, "is_instrumented_by_opentelemetry", False):
            names.append(ep.name)
    return sorted(set(names))


class Monitors:
    """Alert rules and health checks for one pipeline. Thread-safe."""

    def __init__(self, pipeline: Pipeline, rules: Sequence[AlertRule] | None = None) -> None:
        self._pipeline = pipeline
        config = pipeline.config
        self.evaluator = AlertEvaluator(
            default_rules(config) if rules is None else rules,
            repeat_s=config.alert_repeat_interval_ms / 1000,
        )
        self.policy = HealthPolicy.from_config(config)
        self._lock = threading.Lock()
        self._errors = RateWindow()
        self._rss: deque[tuple[int, float]] = deque(maxlen=RSS_SAMPLES)
        self._last_report: HealthReport | None = None
        self._last_delivery: dict[str, DeliveryStats] = {}
        self._last_check = (pipeline._clock_ns(), pipeline.errors_seen)
        self.status = self._status_message()

    def _status_message(self) -> StatusMessage | None:
        pipeline = self._pipeline
        if not pipeline.config.status_message:
            return None
        live = pipeline.engine.live_message(Channel.DIAGNOSTICS)
        if live is None:
            return None
        return StatusMessage(
            live,
            clock_ns=pipeline._clock_ns,
            identity=lambda: (pipeline.service, pipeline.host),
            health_interval_s=pipeline.config.health_interval_ms / 1000,
        )

    def status_started(self) -> None:
        """Post the status message (the pipeline starts)."""
        if self.status is not None:
            self.status.start(self._pipeline.errors_seen)

    def status_stopped(self) -> None:
        """Edit the status message to "Stopped" (the pipeline shuts down cleanly)."""
        if self.status is not None:
            self.status.stopped(self._pipeline.errors_seen)

    @property
    def rules(self) -> tuple[AlertRule, ...]:
        return self.evaluator.rules

    def set_rules(self, rules: Sequence[AlertRule]) -> None:
        """Replace the alert rules (a rule keeping its name keeps its state)."""
        self.evaluator.set_rules(rules)

    def install(self) -> Monitors:
        """Schedule checks and listen to metric exports."""
        config = self._pipeline.config
        scheduler = self._pipeline.scheduler
        scheduler.every("alerts", config.alert_interval_ms / 1000, self._scheduled_alerts)
        scheduler.every("health", config.health_interval_ms / 1000, self._scheduled_health)
        self._pipeline.metric_listeners.append(self.on_metrics)
        return self

    def _scheduled_alerts(self) -> None:
        self.evaluate()

    def _scheduled_health(self) -> None:
        self.check_health()

    # -- readings --------------------------------------------------------------------------

    def _values(self) -> dict[str, float]:
        pipeline = self._pipeline
        with pipeline._lock:  # the history is written under this lock on export threads
            values = {key: r.now for key, r in pipeline.history.readings().items()}
        down = disconnected_shards(values)
        if down is not None:
            values[keys.DISCONNECTED] = down
        return values

    def on_metrics(self, data: MetricsData) -> None:
        """After each export: note RSS and evaluate rules at metric resolution."""
        now = self._pipeline._clock_ns()
        values = self._values()
        rss = values.get(keys.RSS)
        with self._lock:
            if rss is not None and (not self._rss or now - self._rss[-1][0] >= RSS_SAMPLE_EVERY_NS):
                self._rss.append((now, rss))
        self._evaluate(now, values)

    # -- alerts ----------------------------------------------------------------------------

    def evaluate(self, now_ns: int | None = None) -> list[AlertEvent]:
        """Run the rules now; send what fired, repeated or resolved to the logs channel."""
        now = self._pipeline._clock_ns() if now_ns is None else now_ns
        return self._evaluate(now, self._values())

    def _evaluate(self, now: int, values: dict[str, float]) -> list[AlertEvent]:
        with self._lock:
            rate = self._errors.observe(now, self._pipeline.errors_seen)
        if rate is not None:
            values[keys.ERRORS_PER_MIN] = rate
        events = self.evaluator.evaluate(values, now)
        for event in events:
            if self.status is not None:
                self.status.note_alert(event)
            embed = render_alert(event, service=self._pipeline.service, host=self._pipeline.host)
            priority = Priority.WARNING if event.kind == "resolved" else Priority.ERROR
            self._pipeline.submit(Channel.LOGS, StaticItem([embed], priority=priority, urgent=True))
        return events

    # -- health ----------------------------------------------------------------------------

    def check_health(self, now_ns: int | None = None) -> HealthReport:
        """Score health now and send the check to diagnostics."""
        pipeline = self._pipeline
        now = pipeline._clock_ns() if now_ns is None else now_ns
        values = self._values()
        delivery = {ch.value: s for ch, s in pipeline.engine.stats().items()}
        with self._lock:
            since_ns, errors_before = self._last_check
            errors = pipeline.errors_seen
            rate = (
                max(0, errors - errors_before) * NS_PER_MIN / (now - since_ns)
                if now > since_ns
                else None
            )
            inputs = HealthInputs(
                values=values,
                errors_per_min=rate,
                rss_samples=tuple(self._rss),
                delivery=delivery,
                delivery_before=self._last_delivery,
                max_queue_size=pipeline.config.max_queue_size,
                firing=tuple(rule.title for rule in self.evaluator.firing()),
            )
            report = assess(inputs, self.policy, self._last_report)
            self._last_report = report
            self._last_delivery = delivery
            self._last_check = (now, errors)
        full = self.status is None or self.status.after_health(
            report, values, pipeline.errors_seen, now
        )
        if full:  # with a status message, only changes and an hourly check post in full
            interval_s = pipeline.config.health_interval_ms / 1000
            embed = render_health(
                report,
                service=pipeline.service,
                host=pipeline.host,
                time_ns=now,
                interval_s=interval_s,
                cadence=None if self.status is None else FULL_CHECK_CADENCE,
            )
            pipeline.submit(Channel.DIAGNOSTICS, LatestItem([embed], key="monitors:health"))
        return report

    # -- start-up --------------------------------------------------------------------------

    def startup_embed(self) -> Embed:
        """The start-up notice: version, service, channels, intervals, thresholds."""
        pipeline = self._pipeline
        return render_startup(
            pipeline.config.describe(),
            version=__version__,
            service=pipeline.service,
            host=pipeline.host,
            rules=self.rules,
            instrumentations=active_instrumentations(),
            notes=pipeline.config.notes,
            time_ns=pipeline._clock_ns(),
        )
