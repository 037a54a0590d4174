"""The shared core behind the three exporters: state, schedules and delivery for one config.

Under ``opentelemetry-instrument`` the span, log and metric exporters are built
separately with no arguments; they find each other here (one pipeline per
distinct configuration) so that they share one delivery engine, one set of rate
limits and one view of the bot.
"""

from __future__ import annotations

import atexit
import logging
import platform
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import ClassVar, Final

from opentelemetry.sdk.metrics.export import MetricsData
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan

from otel_discord.channels import Channel
from otel_discord.config import DiscordConfig
from otel_discord.delivery import DeliveryEngine, DeliveryStats, StatusEvent
from otel_discord.delivery.grouped import ErrorGroup, EventItem
from otel_discord.delivery.item import Item, Priority, StaticItem
from otel_discord.delivery.live import LiveMessage
from otel_discord.fingerprint import error_kind
from otel_discord.fork_safety import in_forked_child, reset_after_fork
from otel_discord.monitors import Monitors, install_monitors
from otel_discord.records import EventNotice, Occurrence
from otel_discord.render import style
from otel_discord.render.analytics import render_activity
from otel_discord.render.events import render_notice
from otel_discord.render.performance import render_performance, render_system
from otel_discord.render.stopped import RunTotals, render_stopped
from otel_discord.render.storm import render_storm
from otel_discord.render.types import Embed
from otel_discord.scheduler import Scheduler
from otel_discord.severity import is_error
from otel_discord.snapshot_charts import SnapshotCharts, snapshot_item
from otel_discord.state.activity import Activity, ActivityWindow
from otel_discord.state.history import MetricHistory
from otel_discord.state.kind_tally import KindTally
from otel_discord.state.repeat_hold import MAX_KINDS, RepeatHold
from otel_discord.state.sightings import Sightings
from otel_discord.state.storm import StormWindow

_logger = logging.getLogger("otel_discord.pipeline")

REPEAT_HOLD_S: Final = 10.0
"""Repeats of an error kind are first merged for this long; a kind that keeps recurring
backs off, doubling up to the flush interval (30 s by default)."""
DRAIN_TIMEOUT_MS: Final = 2000
"""How long a provider's force_flush may take before an analytics summary."""
STORM_WINDOW_S: Final = 60.0
"""Errors are tallied per minute for the storm summary."""
REPORTED_SPANS: Final = 4096
"""Exceptions (and span errors) already shown, remembered so their other records are skipped."""


ActivityAnnotator = Callable[[list[Embed], Activity], list[Embed]]
"""Turns a closed analytics window's embeds into the ones to send."""


class Pipeline:
    """State and schedules for one configuration. Thread-safe; every entry point is cheap.

    Args:
        config: the settings (routes, intervals, thresholds).
        engine: the delivery engine (default: one built from ``config``).
        clock_ns: wall clock in ns (tests inject their own).
        annotate_activity: called with each closed analytics window's embeds (possibly
            none) before they are queued; returns the embeds to send (the gateway adds
            a line per process).
    """

    _registry: ClassVar[dict[object, Pipeline]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        config: DiscordConfig,
        *,
        engine: DeliveryEngine | None = None,
        clock_ns: Callable[[], int] = time.time_ns,
        annotate_activity: ActivityAnnotator | None = None,
    ) -> None:
        self.config = config
        self._clock_ns = clock_ns
        self.engine = engine or DeliveryEngine(
            config.routes,
            timeout_s=config.timeout_ms / 1000,
            max_queue_size=config.max_queue_size,
            max_queue_bytes=config.max_queue_bytes,
            username=config.username,
            on_status=self._on_status,
        )
        self._annotate_activity = annotate_activity
        self.history = MetricHistory()
        self.charts = SnapshotCharts(config)
        self.activity = ActivityWindow(clock_ns())
        self.scheduler = Scheduler()
        self.service = "unknown_service"
        self.host: str | None = platform.node() or None
        self.metric_listeners: list[Callable[[MetricsData], None]] = []
        self.errors_seen = 0
        """Error-level problems submitted so far (monitors derive error rates from it)."""
        self.totals = RunTotals()
        self.started_ns = clock_ns()
        self.drains: list[Callable[[], object]] = [global_flush]
        """Called before an analytics window closes (the SDK providers' force_flush)."""
        self._lock = threading.Lock()
        self._users = 0
        self._started = False
        self._closed = False
        self._stopping = False
        self._forked = False
        """A forked child of a started pipeline: the parent said hello (and says stopped)."""
        self._reported = Sightings(REPORTED_SPANS)
        self.tally = KindTally(MAX_KINDS)
        """Running count per kind: a repeat says "seen 14× since …"."""
        self._notices = 0
        """Status notices queued for diagnostics so far (flush waits for new ones too)."""
        now = clock_ns()
        self._windows = {"performance": now, "system": now}
        flush_s = config.flush_interval_ms / 1000
        self.repeats: RepeatHold[ErrorGroup] = RepeatHold(min(REPEAT_HOLD_S, flush_s), flush_s)
        self.each_second: list[Callable[[], object]] = [self.release_repeats]
        """Run by the scheduler every second, in one job: one wake-up of its thread a
        second while the bot's loop may be busy (the span processor's hand-over is here)."""
        self.scheduler.every("repeats", 1.0, self._run_each_second)
        self.storm = StormWindow(clock_ns())
        self.scheduler.every("storm", STORM_WINDOW_S, self.send_storm)
        self.scheduler.every("analytics", config.analytics_interval_ms / 1000, self.send_activity)
        # One #performance message per tick: the system snapshot (a superset of the
        # performance table) takes the place of the table on the ticks it is due.
        self.scheduler.every(
            "performance", config.performance_interval_ms / 1000, self.send_minute_snapshot
        )
        self.monitors: Monitors = install_monitors(self)
        reset_after_fork(self)

    def after_fork_in_child(self) -> None:
        """In a forked child: new locks, none of the parent's held or counted items.

        What the parent held (merged repeats, the storm and analytics windows, the
        running tallies) it still sends itself; the child counts from the fork. The
        scheduler's thread starts again on the next export (without a second hello if
        the parent had said it).
        """
        self._lock = threading.Lock()
        self.scheduler.after_fork_in_child()
        if self._closed:
            return
        now = self._clock_ns()
        self._reported = Sightings(REPORTED_SPANS)
        self.tally = KindTally(MAX_KINDS)
        held = self.repeats
        self.repeats = RepeatHold(held.hold_s, held.cap_s, max_bytes=held.max_bytes)
        self.storm = StormWindow(now)
        self.activity = ActivityWindow(now)
        self.totals = RunTotals()
        self.errors_seen = 0
        self.started_ns = now
        self._forked = self._started
        self._started = False
        self.monitors.after_fork_in_child()  # after errors_seen: rates count from here

    # -- sharing ---------------------------------------------------------------------------

    @classmethod
    def acquire(cls, config: DiscordConfig) -> Pipeline:
        """The pipeline for ``config``, created on first use; pair with :meth:`release`."""
        with cls._registry_lock:
            pipeline = cls._registry.get(config.key())
            if pipeline is None or pipeline._closed:
                pipeline = cls(config)
                cls._registry[config.key()] = pipeline
            pipeline._users += 1
            return pipeline

    def users(self) -> int:
        """How many exporters share this pipeline now."""
        with self._registry_lock:
            return self._users

    def release(self, timeout_s: float = 5.0) -> bool:
        """Drop one user; the last one flushes and stops everything within ``timeout_s``."""
        with self._registry_lock:
            self._users -= 1
            last = self._users <= 0
            if last and self._registry.get(self.config.key()) is self:
                del self._registry[self.config.key()]
        return self.shutdown(timeout_s) if last else True

    # -- intake (called on the SDK's export threads) ----------------------------------------

    def start(self) -> None:
        """Start schedules and say hello in diagnostics, once."""
        if self._started:  # every export calls this: no lock once started
            return
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
        self.scheduler.start()
        if self._forked:  # the parent said hello
            return
        self._submit(Channel.DIAGNOSTICS, StaticItem([self._startup_notice()]))
        self.monitors.status_started()

    def learn_resource(self, resource: Resource) -> None:
        """Take service and host names from the first resource seen."""
        attrs = resource.attributes
        service = attrs.get("service.name")
        if isinstance(service, str) and service and self.service == "unknown_service":
            self.service = service
        host = attrs.get("host.name")
        if isinstance(host, str) and host:
            self.host = host

    def origin(self, resource: Resource) -> tuple[str, str | None]:
        """Learn from ``resource``, then the service and host this process reports as."""
        self.learn_resource(resource)
        return self.service, self.host

    def submit_error(
        self, channel: Channel, occurrence: Occurrence, *, from_span: bool = False
    ) -> None:
        """Queue a problem, unless another record of the same exception was queued already."""
        with self._lock:
            if self._reported.seen_before(occurrence, from_span=from_span):
                return
        kind = error_kind(occurrence)  # once: the hold, the outbox and the storm share it
        if is_error(occurrence.severity_number):
            self.errors_seen += 1
            with self._lock:
                self.storm.add(occurrence, kind)
        group = ErrorGroup(occurrence, kind)
        with self._lock:
            self.tally.add((channel, kind), group)
        sent = self.repeats.offer(channel, kind, group)
        if sent is not None:
            with self._lock:
                self.tally.annotate((channel, kind), sent)
            self._submit(channel, sent)
        for lost_in, lost in self.repeats.take_dropped().items():
            detail = (
                f"repeats held for merging passed their budget of {self.repeats.max_bytes:,} "
                "bytes; the least important (then the oldest) were dropped"
            )
            self._on_status(StatusEvent(lost_in, "dropped", detail, lost))

    def _run_each_second(self) -> None:
        for job in list(self.each_second):
            try:
                job()
            except Exception:
                _logger.exception("otel-discord per-second job failed")

    def release_repeats(self, *, everything: bool = False) -> None:
        """Send the merged repeats whose hold has passed (all of them when flushing)."""
        for channel, group in self.repeats.release(everything=everything):
            with self._lock:
                self.tally.annotate((channel, (group.key or "").removeprefix("error:")), group)
            self._submit(channel, group)

    def submit_event(self, channel: Channel, notice: EventNotice) -> None:
        """Queue an activity event (guild join, members joining, ...)."""
        self._submit(channel, EventItem(notice))

    def add_member_event(self, notice: EventNotice) -> None:
        """Count a member join/leave per guild for the next analytics summary."""
        guild_id = notice.attributes.get("discord.guild.id")
        guild = notice.attributes.get("discord.guild.name") or guild_id or "?"
        joined = notice.name.endswith(".join")
        with self._lock:
            self.activity.add_member_change(
                str(guild), joined, None if guild_id is None else str(guild_id)
            )

    def add_spans(
        self, spans: Iterable[ReadableSpan], ok_spans: Sequence[ReadableSpan] = ()
    ) -> None:
        """Count ``ok_spans`` (found not errors by the caller: no status read) and ``spans``."""
        with self._lock:
            if ok_spans:
                self.activity.add_spans(ok_spans, none_failed=True)
            self.activity.add_spans(spans)

    def try_add_spans(
        self, spans: Iterable[ReadableSpan], ok_spans: Sequence[ReadableSpan] = ()
    ) -> bool:
        """``add_spans`` unless the lock is held (a snapshot's chart, metric history): never waits.

        Returns whether the spans were counted.
        """
        if not self._lock.acquire(blocking=False):
            return False
        try:
            if ok_spans:
                self.activity.add_spans(ok_spans, none_failed=True)
            self.activity.add_spans(spans)
        finally:
            self._lock.release()
        return True

    def add_metrics(self, data: MetricsData) -> None:
        with self._lock:
            self.history.ingest(data)
            self.charts.record(self.history)
            self.activity.add_metrics(data)
        for listener in list(self.metric_listeners):
            try:
                listener(data)
            except Exception:
                _logger.exception("otel-discord metric listener failed")

    # -- schedules (scheduler thread) -----------------------------------------------------

    def send_activity(self) -> None:
        """Close the analytics window and send its summary (if anything happened).

        The SDK's queues are drained first, so the span table and the counters beside
        it describe the same minutes (spans wait up to 5 s, counters up to 15 s).
        """
        if not self._stopping:
            drain_sdk(self.drains)
        now = self._clock_ns()
        with self._lock:
            activity = self.activity.close(now)
            self.totals.add(activity)
        embeds = render_activity(activity, service=self.service, host=self.host)
        if self._annotate_activity is not None:
            embeds = self._annotate_activity(embeds, activity)
        if embeds:
            self._submit(Channel.ANALYTICS, StaticItem(embeds))

    def send_storm(self) -> None:
        """Close the error window; if it was a storm, summarise it in the logs channel."""
        now = self._clock_ns()
        with self._lock:
            storm = self.storm.close(now)
        embeds = render_storm(storm, service=self.service, host=self.host)
        if embeds:
            self._submit(Channel.LOGS, StaticItem(embeds, priority=Priority.ERROR))

    def send_minute_snapshot(self) -> None:
        """This tick's one message: the system snapshot when it is due, else the table.

        Due means a system interval has passed since the last one, give or take half
        a performance interval (so scheduling jitter never skips or doubles it).
        """
        config = self.config
        slack_ns = config.performance_interval_ms * 1_000_000 // 2
        due_ns = config.system_interval_ms * 1_000_000 - slack_ns
        with self._lock:
            due = self._clock_ns() - self._windows["system"] >= due_ns
        if due:
            self.send_system()
        else:
            self.send_performance()

    def send_performance(self) -> None:
        self._send_snapshot("performance", render_performance)

    def send_system(self) -> None:
        """The full system snapshot; it also covers the performance table's window."""
        self._send_snapshot("system", render_system, also=("performance",))

    def _send_snapshot(
        self,
        name: str,
        render: Callable[..., list[dict[str, object]]],
        also: tuple[str, ...] = (),
    ) -> None:
        now = self._clock_ns()
        with self._lock:
            window = (self._windows[name], now)
            for covered in (name, *also):
                self._windows[covered] = now
            chart = self.charts.chart(name, now)
            embeds = render(
                self.history,
                window=window,
                service=self.service,
                host=self.host,
                chart=chart.filename if chart else None,
                thresholds=self.charts.thresholds,
            )
        if embeds:
            self._submit(Channel.PERFORMANCE, snapshot_item(embeds, chart, key=f"snapshot:{name}"))

    # -- what monitors read ---------------------------------------------------------------

    def now_ns(self) -> int:
        """The pipeline's clock (wall time in ns; tests inject their own)."""
        return self._clock_ns()

    def readings(self) -> dict[str, float]:
        """The latest value of every reading in the metric history."""
        with self._lock:  # the history is written under this lock on export threads
            return {key: reading.now for key, reading in self.history.readings().items()}

    def delivery_stats(self) -> dict[Channel, DeliveryStats]:
        """Delivery counters per channel."""
        return self.engine.stats()

    def live_message(self, channel: Channel) -> LiveMessage | None:
        """A message in ``channel`` edited in place (the status message), if it is routed."""
        return self.engine.live_message(channel)

    @property
    def started(self) -> bool:
        return self._started

    @property
    def closed(self) -> bool:
        return self._closed

    # -- delivery ---------------------------------------------------------------------------

    def submit(self, channel: Channel, item: Item) -> None:
        """Queue an item for a channel (monitors and notices use this)."""
        if not self._closed:
            self.engine.submit(channel, item)

    _submit = submit

    def _on_status(self, event: StatusEvent) -> None:
        if event.channel is Channel.DIAGNOSTICS and event.kind == "disabled":
            return
        colour = style.GREEN if event.kind == "recovered" else style.YELLOW
        if event.kind in ("disabled", "bad_request"):
            colour = style.RED
        title = f"Delivery · {event.channel.value} · {event.kind}"
        lines = [event.detail]
        if event.count > 1:
            lines.append(f"count: {event.count}")
        embed = render_notice(
            title,
            lines,
            service=self.service,
            host=self.host,
            time_ns=self._clock_ns(),
            colour=colour,
        )
        if self.engine.submit(Channel.DIAGNOSTICS, StaticItem([embed], priority=Priority.WARNING)):
            self._notices += 1

    def announce_stop(self) -> None:
        """Say in diagnostics that monitoring stopped (replace to edit a status message instead).

        Skipped while Discord is pushing back (429s, failing destinations): at exit a
        courtesy notice must not make the process wait out a rate limit.
        """
        if any(stats.rate_limited or stats.state != "ok" for stats in self.engine.stats().values()):
            return
        self.totals.errors = self.errors_seen
        embed = render_stopped(
            self.totals,
            started_ns=self.started_ns,
            stopped_ns=self._clock_ns(),
            service=self.service,
            host=self.host,
        )
        self._submit(Channel.DIAGNOSTICS, StaticItem([embed], priority=Priority.WARNING))

    def _startup_notice(self) -> dict[str, object]:
        return self.monitors.startup_embed()

    def flush(self, timeout_s: float) -> bool:
        """Deliver what is queued (held repeats included) within ``timeout_s``."""
        self.release_repeats(everything=True)
        return self._flush_engine(time.monotonic() + timeout_s)

    def _flush_engine(self, deadline: float) -> bool:
        """Flush the engine, and again while delivering raised new status notices.

        Delivering is what reveals a recovery, a loss or a refusal, and the notice
        about it is queued for diagnostics after the flush took its snapshot; without
        another round it would not be out when flush returns (or would be lost at exit).
        """
        while True:
            notices = self._notices
            settled = self.engine.flush(max(0.0, deadline - time.monotonic()))
            if not settled or self._notices == notices:
                return settled

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        """Send the last summary, flush within the deadline, stop threads. Idempotent."""
        with self._lock:
            if self._closed:
                return True
            was_started = self._started
        deadline = time.monotonic() + timeout_s
        self.scheduler.stop(min(1.0, timeout_s))
        self.release_repeats(everything=True)
        if was_started:
            # The last word of a process: what happened since the last summary, and its state.
            self._stopping = True  # at exit the providers were flushed already
            for final in (self.send_activity, self.send_performance):
                try:
                    final()
                except Exception:
                    _logger.exception("otel-discord final summary failed")
            try:
                if self._forked:
                    pass  # the parent says when monitoring stops
                elif self.monitors.status is not None:
                    self.monitors.status_stopped()  # the live status message says it
                else:
                    self.announce_stop()
            except Exception:
                _logger.exception("otel-discord stopped notice failed")
        self._closed = True
        self._flush_engine(deadline)
        return self.engine.shutdown(max(0.0, deadline - time.monotonic()))

    @classmethod
    def shutdown_all(cls, timeout_s: float = 5.0) -> None:
        """Stop every pipeline (tests, and the CLI on exit)."""
        with cls._registry_lock:
            pipelines = list(cls._registry.values())
            cls._registry.clear()
        for pipeline in pipelines:
            pipeline.shutdown(timeout_s)


def _registry_after_fork_in_child() -> None:
    Pipeline._registry_lock = threading.Lock()  # another thread may have held it at the fork


in_forked_child(_registry_after_fork_in_child)


def global_flush() -> None:
    """Export what the global tracer and meter providers hold (no-op providers have nothing)."""
    from opentelemetry import metrics, trace

    for provider in (trace.get_tracer_provider(), metrics.get_meter_provider()):
        flush: Callable[[int], object] | None = getattr(provider, "force_flush", None)
        if callable(flush):
            flush(DRAIN_TIMEOUT_MS)


def drain_sdk(drains: Iterable[Callable[[], object]]) -> None:
    """Run each drain; a failing one is logged and skipped (never stops the summary)."""
    for drain in drains:
        try:
            drain()
        except Exception:
            _logger.debug("otel-discord drain before the summary failed", exc_info=True)


def _flush_at_exit() -> None:
    """At interpreter exit: drain the SDK's queues into us, then send everything we hold.

    Registered after the delivery engine's own hook (this module imports it), so it
    runs before it whatever order the user created providers and exporters in.
    """
    from opentelemetry import metrics, trace
    from opentelemetry._logs import get_logger_provider

    for provider in (
        trace.get_tracer_provider(),
        get_logger_provider(),
        metrics.get_meter_provider(),
    ):
        flush = getattr(provider, "force_flush", None)
        if callable(flush):
            try:
                flush(2000)
            except Exception:
                _logger.debug("force_flush at exit failed", exc_info=True)
    Pipeline.shutdown_all(5.0)


atexit.register(_flush_at_exit)
