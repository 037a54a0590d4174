"""``Gateway``: the receiver, the intake queue and the fleet pipeline, run together."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Final

from google.protobuf.message import Message

from otel_discord.config import DiscordConfig
from otel_discord.delivery import DeliveryEngine
from otel_discord.delivery.redaction import REDACTOR
from otel_discord.gateway._auth import bearer_matches
from otel_discord.gateway._decode import (
    METRICS,
    TRACES,
    Answer,
    Encoding,
    SignalKind,
    encode_response,
    encode_status,
)
from otel_discord.gateway._fleet_pipeline import FleetPipeline
from otel_discord.gateway._intake import IngestStats, Intake, Work, new_stats
from otel_discord.gateway._metrics_in import as_metrics_data, metrics_from, point_count
from otel_discord.gateway._records import logs_from, spans_from
from otel_discord.gateway._server import Endpoint, Receiver
from otel_discord.gateway._settings import GatewaySettings
from otel_discord.gateway._values import Interner

RETRY_AFTER_FULL_S: Final = 2
"""Retry-After of a 429: the queue drains thousands of items a second."""
RETRY_AFTER_STOPPING_S: Final = 5
"""Retry-After of a 503 while shutting down (a restarted gateway will be back by then)."""


class Gateway:
    """An OTLP/HTTP receiver in front of one Discord pipeline for a whole fleet.

    Args:
        config: Discord destinations and intervals (``DiscordConfig.resolve()``).
        settings: Where to listen and what to accept.
        engine: Delivery engine (tests and benchmarks may pass their own).
    """

    def __init__(
        self,
        config: DiscordConfig,
        settings: GatewaySettings | None = None,
        *,
        engine: DeliveryEngine | None = None,
        clock_ns: Callable[[], int] = time.time_ns,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings or GatewaySettings()
        if self.settings.token is not None:
            # Senders' telemetry may quote their exporter headers: masked before Discord.
            REDACTOR.add(self.settings.token)
        self.stats: IngestStats = new_stats()
        self.pipeline = FleetPipeline(
            config,
            self.settings,
            engine=engine,
            clock_ns=clock_ns,
            clock=clock,
            figures=self.stats.figures,
        )
        self.intake = Intake(self.settings.queue_items, self.settings.queue_bytes)
        self._interner = Interner()
        self._receiver = Receiver(
            self.settings, Endpoint(self.authorized, self.accept, self.stats.add)
        )
        self._started = False

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Gateway:
        """Start the listener, the pipeline and the intake worker; returns self.

        Raises:
            ConfigError: the address cannot be bound (in use, or not this machine's).
        """
        if not self._started:
            self._receiver.start()  # binds first: a bind error leaves nothing running
            self._started = True
            self.pipeline.start()
            self.intake.start()
        return self

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` the receiver listens on (the real port when 0 was asked)."""
        return self._receiver.url

    @property
    def port(self) -> int:
        return self._receiver.port

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Feed what arrived to the pipeline, merge metrics now, deliver within the deadline."""
        deadline = time.monotonic() + timeout_s
        drained = self.intake.drain(timeout_s)
        self.pipeline.merge_metrics()
        return self.pipeline.flush(max(0.0, deadline - time.monotonic())) and drained

    def stop(self, timeout_s: float = 5.0) -> bool:
        """Stop listening, finish the queue, send the last summaries. Idempotent."""
        deadline = time.monotonic() + timeout_s
        self._receiver.stop()
        drained = self.intake.close(timeout_s / 2)
        done = self.pipeline.shutdown(max(0.5, deadline - time.monotonic()))
        return drained and done

    def __enter__(self) -> Gateway:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- requests (receiver threads) ---------------------------------------------------------

    def authorized(self, header: str | None) -> bool:
        return bearer_matches(header, self.settings.token)

    def accept(self, kind: SignalKind, request: Message, encoding: Encoding) -> Answer:
        """Convert a decoded request and queue it; the OTLP answer (200, 429 or 503)."""
        work: list[Work] = []
        if kind is METRICS:
            metrics = metrics_from(request, self._interner)  # type: ignore[arg-type]
            size = point_count(metrics)
            rejected, reason = metrics.rejected, metrics.reason
            for index, (resource, items) in enumerate(metrics.groups):
                state = self.pipeline.fleet.sender(resource)
                if state is None:
                    refused = sum(len(m.data.data_points) for m in items)
                    rejected, size = rejected + refused, size - refused
                    reason = reason or "too many distinct senders; raise the gateway's max_senders"
                    continue
                export = as_metrics_data(metrics, index)
                work.append(functools.partial(self.pipeline.ingest_metrics, state, items, export))
        else:
            converted: Any = (
                spans_from(request, self._interner)  # type: ignore[arg-type]
                if kind is TRACES
                else logs_from(request, self._interner)  # type: ignore[arg-type]
            )
            ingest = self.pipeline.ingest_spans if kind is TRACES else self.pipeline.ingest_logs
            work = [functools.partial(ingest, r, items) for r, items in converted.groups]
            size, rejected, reason = converted.count, converted.rejected, converted.reason
        if work and not self.intake.offer(size, work, request.ByteSize()):
            return self._busy(encoding)
        self.stats.add(items=size, rejected=rejected)
        body = encode_response(kind, encoding, rejected=rejected, message=reason)
        return Answer(200, body, encoding)

    def _busy(self, encoding: Encoding) -> Answer:
        self.stats.add(throttled=1)
        if self.intake.closed:
            body = encode_status(503, "gateway is shutting down", encoding)
            return Answer(503, body, encoding, {"Retry-After": str(RETRY_AFTER_STOPPING_S)})
        body = encode_status(429, "gateway queue is full; retry later", encoding)
        return Answer(429, body, encoding, {"Retry-After": str(RETRY_AFTER_FULL_S)})
