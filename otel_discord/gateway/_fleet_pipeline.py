"""``FleetPipeline``: the package's pipeline fed by many processes instead of one.

It is a :class:`~otel_discord.pipeline.Pipeline` (same routing, grouping,
summaries, monitors and delivery) with three differences:

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
from otel_discord.exporters._convert import (
    event_from_log,
    log_name,
    log_scope,
    log_severity,
    occurrence_from_log,
    occurrence_from_span,
    span_is_error,
)
from otel_discord.exporters.logs import is_own_chatter
from otel_discord.gateway._fleet import Fleet, SenderState
from otel_discord.gateway._render import (
    IngestFigures,
    annotate_activity,
    render_roster,
)
from otel_discord.gateway._settings import GatewaySettings
from otel_discord.gateway._silence import silence_embeds
from otel_discord.monitors.defaults import default_rules
from otel_discord.monitors.render import render_alert
from otel_discord.monitors.rules import AlertEvent
from otel_discord.pipeline import Pipeline
from otel_discord.render.analytics import render_activity
from otel_discord.render.events import SUMMARISED_EVENTS
from otel_discord.routing import Router, severity_from_level

_logger = logging.getLogger("otel_discord.gateway")

INSTANCE_RULES: Final = frozenset(
    {"cpu", "memory", "disk", "latency", "event_loop_lag", "disconnected"}
)
"""Default alert rules evaluated per process (the alert names the process)."""


class FleetPipeline(Pipeline):
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
        super().__init__(config, engine=engine, clock_ns=clock_ns)
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
        self.service = self.fleet.describe()
        self.host = None
        self._monotonic = clock
        self._figures = figures
        self.scheduler.every("gateway.merge", settings.merge_interval_s, self.merge_metrics)
        self.scheduler.every("gateway.roster", config.health_interval_ms / 1000, self.send_roster)

    def learn_resource(self, resource: Resource) -> None:
        """Nothing to learn: footers describe the fleet, and records name their own process."""

    # -- intake (the gateway's worker thread) ------------------------------------------------

    def ingest_spans(self, resource: Resource, spans: Sequence[ReadableSpan]) -> None:
        """Spans of one process: into the summary, errors to the logs channel naming it."""
        state = self.fleet.sender(resource)
        self.add_spans(spans)
        errors = 0
        for span in spans:
            error = span_is_error(span)
            scope = span.instrumentation_scope.name if span.instrumentation_scope else ""
            channel = self.router.route(
                "spans", scope=scope, name=span.name, attributes=span.attributes, is_error=error
            )
            if channel is not None:
                errors += error
                occurrence = occurrence_from_span(span, *self._origin(state, resource))
                self.submit_error(channel, occurrence, from_span=True)
        if state is not None:
            self.fleet.note(state, spans=len(spans), errors=errors)

    def ingest_logs(self, resource: Resource, records: Sequence[ReadableLogRecord]) -> None:
        """Log records of one process, routed as the log exporter routes them."""
        state = self.fleet.sender(resource)
        service, host = self._origin(state, resource)
        errors = 0
        for record in records:
            scope = log_scope(record)
            if is_own_chatter(scope):
                continue
            severity = log_severity(record)
            channel = self.router.route(
                "logs",
                severity=severity,
                scope=scope,
                name=log_name(record),
                attributes=record.log_record.attributes,
            )
            if channel is None:
                continue
            if channel is Channel.ANALYTICS or (log_name(record) and severity < 13):
                notice = event_from_log(record, service, host)
                if channel is Channel.ANALYTICS and notice.name in SUMMARISED_EVENTS:
                    self.add_member_event(notice)
                else:
                    self.submit_event(channel, notice)
            else:
                errors += severity >= 17
                self.submit_error(
                    channel, occurrence_from_log(record, service, host), from_span=False
                )
        if state is not None:
            self.fleet.note(state, logs=len(records), errors=errors)

    def ingest_metrics(
        self, state: SenderState, metrics: Sequence[Metric], export: MetricsData
    ) -> None:
        """One process's metric export: into its state (merged later) and its own alerts."""
        events = self.fleet.add_metrics(state, metrics, export, self._clock_ns())
        self._send_alerts(state, events)

    def _origin(self, state: SenderState | None, resource: Resource) -> tuple[str, str | None]:
        if state is not None:
            return state.sender.service, state.label
        service = resource.attributes.get("service.name")
        return str(service or "unknown_service"), None

    def _send_alerts(self, state: SenderState, events: list[AlertEvent]) -> None:
        for event in events:
            embed = render_alert(event, service=state.sender.service, host=state.label)
            priority = Priority.WARNING if event.kind == "resolved" else Priority.ERROR
            self.submit(Channel.LOGS, StaticItem([embed], priority=priority, urgent=True))

    # -- schedules ---------------------------------------------------------------------------

    def merge_metrics(self) -> None:
        """Announce silent/returning processes, then feed the merged fleet export."""
        for kind, embed in silence_embeds(self.fleet.check_silence(), time_ns=self._clock_ns()):
            priority = Priority.ERROR if kind == "silent" else Priority.WARNING
            self.submit(Channel.LOGS, StaticItem([embed], priority=priority, urgent=True))
        self.service = self.fleet.describe()
        merged = self.fleet.merged()
        if merged.resource_metrics:
            self.add_metrics(merged)

    def send_activity(self) -> None:
        """The analytics summary with exact fleet totals and a line per process."""
        now = self._clock_ns()
        with self._lock:
            activity = self.activity.close(now)
        per_process = self.fleet.close_window()
        embeds = render_activity(activity, service=self.service, host=self.host)
        if embeds:
            live = sum(1 for s in self.fleet.views() if not s.silent)
            embeds[0] = annotate_activity(embeds[0], activity, per_process, max(live, 1))
            self.submit(Channel.ANALYTICS, StaticItem(embeds))

    def send_roster(self) -> None:
        """Every process, its shards and when it was last heard from, to diagnostics."""
        views = self.fleet.views()
        if not views:
            return
        embed = render_roster(
            views,
            description=self.fleet.describe(),
            now_s=self._monotonic(),
            time_ns=self._clock_ns(),
            figures=self._figures(),
        )
        self.submit(Channel.DIAGNOSTICS, LatestItem([embed], key="gateway:roster"))

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        """Merge what arrived since the last merge, then the usual last summary and flush."""
        if self._started and not self._closed:
            try:
                self.merge_metrics()
            except Exception:
                _logger.exception("otel-discord gateway: final merge failed")
        return super().shutdown(timeout_s)
