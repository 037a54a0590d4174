"""``FleetPipeline``: the package's pipeline fed by many processes instead of one.

It composes a :class:`~otel_discord.pipeline.Pipeline` (same routing through
:mod:`otel_discord.intake.route`, grouping, summaries, monitors and delivery) and
adds three things:

- metrics reach the history and analytics only through the fleet merge, once per
  ``merge_interval_s``, so snapshots see one coherent export of the whole fleet;
- errors and alerts name the process they came from (footer ``host ...``);
- threshold alerts (CPU, memory, disk, latency, loop lag, disconnected shards) run
  per process on its own readings; the fleet keeps the error-rate alert, and the
  health check and roster cover every process.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Final

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk.metrics.export import Metric, MetricsData
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan

from otel_discord.channels import Channel
from otel_discord.config import DiscordConfig
from otel_discord.delivery import DeliveryEngine
from otel_discord.delivery.item import LatestItem, Priority, StaticItem
from otel_discord.gateway._fleet import Fleet, SenderState
from otel_discord.gateway._render import (
    IngestFigures,
    annotate_activity,
    render_roster,
)
from otel_discord.gateway._settings import GatewaySettings
from otel_discord.gateway._silence import silence_embeds
from otel_discord.intake.route import take_logs, take_spans
from otel_discord.monitors import Monitors, alert_item
from otel_discord.monitors.defaults import default_rules
from otel_discord.monitors.rules import AlertEvent
from otel_discord.pipeline import Pipeline
from otel_discord.render.types import Embed
from otel_discord.routing import Router
from otel_discord.scheduler import Scheduler
from otel_discord.severity import severity_from_level
from otel_discord.state.activity import Activity

_logger = logging.getLogger("otel_discord.gateway")

INSTANCE_RULES: Final = frozenset(
    {"cpu", "memory", "disk", "latency", "event_loop_lag", "disconnected"}
)
"""Default alert rules evaluated per process (the alert names the process)."""


class FleetPipeline:
    """A pipeline for the merged stream of a fleet of processes. Thread-safe."""

    def __init__(
        self,
        config: DiscordConfig,
        settings: GatewaySettings,
        *,
        engine: DeliveryEngine | None = None,
        clock_ns: Callable[[], int] = time.time_ns,
        clock: Callable[[], float] = time.monotonic,
        figures: Callable[[], IngestFigures] = IngestFigures,
    ) -> None:
        self.pipeline = Pipeline(
            config, engine=engine, clock_ns=clock_ns, annotate_activity=self._per_process
        )
        rules = default_rules(config)
        self.monitors.set_rules([r for r in rules if r.name not in INSTANCE_RULES])
        self.fleet = Fleet(
            instance_rules=[r for r in rules if r.name in INSTANCE_RULES],
            repeat_s=config.alert_repeat_interval_ms / 1000,
            silence_after_s=settings.silence_after_s,
            max_senders=settings.max_senders,
            since_ns=clock_ns(),
            clock=clock,
        )
        self.router = Router((), min_log_severity=severity_from_level(config.log_level))
        # Footers describe the fleet; records name their own process (see _origin).
        self.pipeline.service = self.fleet.describe()
        self.pipeline.host = None
        self._monotonic = clock
        self._figures = figures
        self.scheduler.every("gateway.merge", settings.merge_interval_s, self.merge_metrics)
        self.scheduler.every("gateway.roster", config.health_interval_ms / 1000, self.send_roster)

    # -- the composed pipeline's handles ------------------------------------------------------

    @property
    def scheduler(self) -> Scheduler:
        return self.pipeline.scheduler

    @property
    def monitors(self) -> Monitors:
        return self.pipeline.monitors

    @property
    def engine(self) -> DeliveryEngine:
        return self.pipeline.engine

    def start(self) -> None:
        self.pipeline.start()

    def flush(self, timeout_s: float) -> bool:
        return self.pipeline.flush(timeout_s)

    # -- intake (the gateway's worker thread) ------------------------------------------------

    def ingest_spans(self, resource: Resource, spans: Sequence[ReadableSpan]) -> None:
        """Spans of one process: into the summary, errors to the logs channel naming it."""
        state = self.fleet.sender(resource)
        origin = self._origin(state, resource)
        errors = take_spans(self.pipeline, self.router, spans, lambda _resource: origin)
        if state is not None:
            self.fleet.note(state, spans=len(spans), errors=errors)

    def ingest_logs(self, resource: Resource, records: Sequence[ReadableLogRecord]) -> None:
        """Log records of one process, routed as the log exporter routes them."""
        state = self.fleet.sender(resource)
        origin = self._origin(state, resource)
        errors = take_logs(self.pipeline, self.router, records, lambda _resource: origin)
        if state is not None:
            self.fleet.note(state, logs=len(records), errors=errors)

    def ingest_metrics(
        self, state: SenderState, metrics: Sequence[Metric], export: MetricsData
    ) -> None:
        """One process's metric export: into its state (merged later) and its own alerts."""
        events = self.fleet.add_metrics(state, metrics, export, self.pipeline.now_ns())
        self._send_alerts(state, events)

    def _origin(self, state: SenderState | None, resource: Resource) -> tuple[str, str | None]:
        if state is not None:
            return state.sender.service, state.label
        service = resource.attributes.get("service.name")
        return str(service or "unknown_service"), None

    def _send_alerts(self, state: SenderState, events: list[AlertEvent]) -> None:
        for event in events:
            item = alert_item(event, service=state.sender.service, host=state.label)
            self.pipeline.submit(Channel.LOGS, item)

    # -- schedules ---------------------------------------------------------------------------

    def merge_metrics(self) -> None:
        """Announce silent/returning processes, then feed the merged fleet export."""
        for kind, embed in silence_embeds(
            self.fleet.check_silence(), time_ns=self.pipeline.now_ns()
        ):
            priority = Priority.ERROR if kind == "silent" else Priority.WARNING
            self.pipeline.submit(Channel.LOGS, StaticItem([embed], priority=priority, urgent=True))
        self.pipeline.service = self.fleet.describe()
        merged = self.fleet.merged()
        if merged.resource_metrics:
            self.pipeline.add_metrics(merged)

    def _per_process(self, embeds: list[Embed], activity: Activity) -> list[Embed]:
        """The analytics summary with exact fleet totals and a line per process."""
        per_process = self.fleet.close_window()
        if embeds:
            live = sum(1 for s in self.fleet.views() if not s.silent)
            embeds[0] = annotate_activity(embeds[0], activity, per_process, max(live, 1))
        return embeds

    def send_activity(self) -> None:
        self.pipeline.send_activity()

    def send_roster(self) -> None:
        """Every process, its shards and when it was last heard from, to diagnostics."""
        views = self.fleet.views()
        if not views:
            return
        embed = render_roster(
            views,
            description=self.fleet.describe(),
            now_s=self._monotonic(),
            time_ns=self.pipeline.now_ns(),
            figures=self._figures(),
        )
        self.pipeline.submit(Channel.DIAGNOSTICS, LatestItem([embed], key="gateway:roster"))

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        """Merge what arrived since the last merge, then the usual last summary and flush."""
        if self.pipeline.started and not self.pipeline.closed:
            try:
                self.merge_metrics()
            except Exception:
                _logger.exception("otel-discord gateway: final merge failed")
        return self.pipeline.shutdown(timeout_s)
