"""``Monitors``: the glue between a pipeline and the pure rules, health and render modules.

It reads what a :class:`MonitorSource` offers (readings, error count, delivery
counters, a clock), keeps the little state that needs time (error rate window,
RSS history, the previous health check), and submits alerts to the logs channel
and health checks to diagnostics through the source's ``submit``. It never sees
the pipeline itself, so the pipeline can build its monitors without a cycle.
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import entry_points
from typing import Final, Protocol

from opentelemetry.sdk.metrics.export import MetricsData

from otel_discord.channels import Channel
from otel_discord.config import DiscordConfig
from otel_discord.delivery.item import Item, LatestItem, Priority, StaticItem
from otel_discord.delivery.live import LiveMessage
from otel_discord.delivery.stats import DeliveryStats
from otel_discord.monitors import defaults as keys
from otel_discord.monitors.defaults import default_rules
from otel_discord.monitors.derived import NS_PER_MIN, RateWindow, disconnected_shards
from otel_discord.monitors.health import HealthInputs, HealthPolicy, HealthReport, assess
from otel_discord.monitors.render import render_alert, render_health, render_startup
from otel_discord.monitors.rules import AlertEvaluator, AlertEvent, AlertRule
from otel_discord.monitors.status_message import StatusMessage
from otel_discord.render.types import Embed
from otel_discord.scheduler import Scheduler
from otel_discord.version import __version__

FULL_CHECK_CADENCE: Final = (
    "in full on status changes and hourly; the status message shows every check"
)
"""The health embed's footer when the status message carries the checks in between."""
RSS_SAMPLE_EVERY_NS: Final = 60_000_000_000
"""One RSS sample a minute at most, whatever the export interval."""
RSS_SAMPLES: Final = 240
"""Four hours of RSS history at one sample a minute: enough to see a slow leak."""


class MonitorSource(Protocol):
    """What monitors read, and where they send (a :class:`~otel_discord.pipeline.Pipeline`)."""

    @property
    def config(self) -> DiscordConfig: ...
    @property
    def scheduler(self) -> Scheduler: ...
    @property
    def metric_listeners(self) -> list[Callable[[MetricsData], None]]: ...
    @property
    def service(self) -> str: ...
    @property
    def host(self) -> str | None: ...
    @property
    def errors_seen(self) -> int: ...

    def now_ns(self) -> int: ...
    def readings(self) -> dict[str, float]: ...
    def delivery_stats(self) -> Mapping[Channel, DeliveryStats]: ...
    def submit(self, channel: Channel, item: Item) -> None: ...
    def live_message(self, channel: Channel) -> LiveMessage | None: ...


def alert_item(event: AlertEvent, *, service: str, host: str | None) -> StaticItem:
    """An alert event as a queue item for the logs channel (urgent; resolved is a warning)."""
    embed = render_alert(event, service=service, host=host)
    priority = Priority.WARNING if event.kind == "resolved" else Priority.ERROR
    return StaticItem([embed], priority=priority, urgent=True)


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

    def __init__(self, source: MonitorSource, rules: Sequence[AlertRule] | None = None) -> None:
        self._source = source
        config = source.config
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
        self._last_check = (source.now_ns(), source.errors_seen)
        self.status = self._status_message()

    def after_fork_in_child(self) -> None:
        """New locks (another thread may have held one at the fork), error rates counted
        from the fork; the status message is the parent's, so the child keeps none."""
        self._lock = threading.Lock()
        self.evaluator.after_fork_in_child()
        self.status = None
        self._errors = RateWindow()
        self._last_check = (self._source.now_ns(), self._source.errors_seen)

    def _status_message(self) -> StatusMessage | None:
        source = self._source
        if not source.config.status_message:
            return None
        live = source.live_message(Channel.DIAGNOSTICS)
        if live is None:
            return None
        return StatusMessage(
            live,
            clock_ns=source.now_ns,
            identity=lambda: (source.service, source.host),
            health_interval_s=source.config.health_interval_ms / 1000,
        )

    def status_started(self) -> None:
        """Post the status message (the pipeline starts)."""
        if self.status is not None:
            self.status.start(self._source.errors_seen)

    def status_stopped(self) -> None:
        """Edit the status message to "Stopped" (the pipeline shuts down cleanly)."""
        if self.status is not None:
            self.status.stopped(self._source.errors_seen)

    @property
    def rules(self) -> tuple[AlertRule, ...]:
        return self.evaluator.rules

    def set_rules(self, rules: Sequence[AlertRule]) -> None:
        """Replace the alert rules (a rule keeping its name keeps its state)."""
        self.evaluator.set_rules(rules)

    def install(self) -> Monitors:
        """Schedule checks and listen to metric exports."""
        config = self._source.config
        scheduler = self._source.scheduler
        scheduler.every("alerts", config.alert_interval_ms / 1000, self._scheduled_alerts)
        scheduler.every("health", config.health_interval_ms / 1000, self._scheduled_health)
        self._source.metric_listeners.append(self.on_metrics)
        return self

    def _scheduled_alerts(self) -> None:
        self.evaluate()

    def _scheduled_health(self) -> None:
        self.check_health()

    # -- readings --------------------------------------------------------------------------

    def _values(self) -> dict[str, float]:
        values = self._source.readings()
        down = disconnected_shards(values)
        if down is not None:
            values[keys.DISCONNECTED] = down
        return values

    def on_metrics(self, data: MetricsData) -> None:
        """After each export: note RSS and evaluate rules at metric resolution."""
        now = self._source.now_ns()
        values = self._values()
        rss = values.get(keys.RSS)
        with self._lock:
            if rss is not None and (not self._rss or now - self._rss[-1][0] >= RSS_SAMPLE_EVERY_NS):
                self._rss.append((now, rss))
        self._evaluate(now, values)

    # -- alerts ----------------------------------------------------------------------------

    def evaluate(self, now_ns: int | None = None) -> list[AlertEvent]:
        """Run the rules now; send what fired, repeated or resolved to the logs channel."""
        now = self._source.now_ns() if now_ns is None else now_ns
        return self._evaluate(now, self._values())

    def _evaluate(self, now: int, values: dict[str, float]) -> list[AlertEvent]:
        with self._lock:
            rate = self._errors.observe(now, self._source.errors_seen)
        if rate is not None:
            values[keys.ERRORS_PER_MIN] = rate
        events = self.evaluator.evaluate(values, now)
        for event in events:
            if self.status is not None:
                self.status.note_alert(event)
            item = alert_item(event, service=self._source.service, host=self._source.host)
            self._source.submit(Channel.LOGS, item)
        return events

    # -- health ----------------------------------------------------------------------------

    def check_health(self, now_ns: int | None = None) -> HealthReport:
        """Score health now and send the check to diagnostics."""
        source = self._source
        now = source.now_ns() if now_ns is None else now_ns
        values = self._values()
        delivery = {ch.value: s for ch, s in source.delivery_stats().items()}
        with self._lock:
            since_ns, errors_before = self._last_check
            errors = source.errors_seen
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
                max_queue_size=source.config.max_queue_size,
                firing=tuple(rule.title for rule in self.evaluator.firing()),
            )
            report = assess(inputs, self.policy, self._last_report)
            self._last_report = report
            self._last_delivery = delivery
            self._last_check = (now, errors)
        full = self.status is None or self.status.after_health(
            report, values, source.errors_seen, now
        )
        if full:  # with a status message, only changes and an hourly check post in full
            embed = render_health(
                report,
                service=source.service,
                host=source.host,
                time_ns=now,
                interval_s=source.config.health_interval_ms / 1000,
                cadence=None if self.status is None else FULL_CHECK_CADENCE,
            )
            source.submit(Channel.DIAGNOSTICS, LatestItem([embed], key="monitors:health"))
        return report

    # -- start-up --------------------------------------------------------------------------

    def startup_embed(self) -> Embed:
        """The start-up notice: version, service, channels, intervals, thresholds."""
        source = self._source
        return render_startup(
            source.config.describe(),
            version=__version__,
            service=source.service,
            host=source.host,
            rules=self.rules,
            instrumentations=active_instrumentations(),
            notes=source.config.notes,
            time_ns=source.now_ns(),
        )
