"""``StatusMessage``: keeps the live status message in diagnostics current.

Posted at start-up, edited after every health check, edited to "Stopped" on a
clean shutdown. It also decides when the full health embed is still worth a
message of its own: when the status changes band (Good, Degraded, Critical) and
otherwise once an hour; the status message carries the rest.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import Final

from otel_discord.delivery.live import LiveMessage
from otel_discord.monitors import defaults as keys
from otel_discord.monitors.health import HealthReport
from otel_discord.monitors.render import score_label
from otel_discord.monitors.rules import AlertEvent
from otel_discord.monitors.status_render import (
    NS_PER_S,
    LastAlert,
    StatusView,
    render_status,
    render_stopped,
)

FULL_HEALTH_EVERY_NS: Final = 3600 * NS_PER_S
"""With the status message on, an unchanged health check is posted in full this often."""
ERROR_WINDOW_NS: Final = 3600 * NS_PER_S
_SAMPLES: Final = 256


class StatusMessage:
    """The status message of one pipeline. Thread-safe."""

    def __init__(
        self,
        live: LiveMessage,
        *,
        clock_ns: Callable[[], int],
        identity: Callable[[], tuple[str, str | None]],
        health_interval_s: float,
    ) -> None:
        self.live = live
        self._clock_ns = clock_ns
        self._identity = identity
        self._interval_s = health_interval_s
        self._lock = threading.Lock()
        self._started_ns: int | None = None
        self._errors: deque[tuple[int, int]] = deque(maxlen=_SAMPLES)
        self._last_alert: LastAlert | None = None
        self._report: HealthReport | None = None
        self._values: Mapping[str, float] = {}
        self._last_full: tuple[str, int] | None = None

    def start(self, errors_total: int) -> None:
        """Post the first version (once)."""
        now = self._clock_ns()
        with self._lock:
            if self._started_ns is not None:
                return
            self._started_ns = now
            self._errors.append((now, errors_total))
            view = self._view(now, errors_total)
        self.live.update([render_status(view)])

    def note_alert(self, event: AlertEvent) -> None:
        """Remember the newest alert that fired (shown until a newer one fires)."""
        if event.kind == "firing":
            with self._lock:
                self._last_alert = LastAlert(event.rule.title, event.at_ns)

    def after_health(
        self, report: HealthReport, values: Mapping[str, float], errors_total: int, now_ns: int
    ) -> bool:
        """Edit the message with this check; True if the full health embed should be posted."""
        with self._lock:
            if self._started_ns is None:
                self._started_ns = now_ns
            self._report = report
            self._values = dict(values)
            self._errors.append((now_ns, errors_total))
            view = self._view(now_ns, errors_total)
            label = score_label(report.score)
            post = (
                self._last_full is None
                or self._last_full[0] != label
                or now_ns - self._last_full[1] >= FULL_HEALTH_EVERY_NS
            )
            if post:
                self._last_full = (label, now_ns)
        self.live.update([render_status(view)])
        return post

    def stopped(self, errors_total: int) -> None:
        """Edit the message to say the process stopped cleanly, and how long it ran."""
        now = self._clock_ns()
        with self._lock:
            if self._started_ns is None:
                return
            view = self._view(now, errors_total)
        self.live.update([render_stopped(view)])

    def _view(self, now_ns: int, errors_total: int) -> StatusView:
        service, host = self._identity()
        values = self._values
        return StatusView(
            service=service,
            host=host,
            started_ns=self._started_ns if self._started_ns is not None else now_ns,
            now_ns=now_ns,
            health_interval_s=self._interval_s,
            report=self._report,
            shards_connected=values.get(keys.CONNECTED),
            shards=values.get(keys.SHARDS),
            latency_ms=values.get(keys.LATENCY),
            last_alert=self._last_alert,
            errors_last_hour=self._errors_in_window(now_ns, errors_total),
        )

    def _errors_in_window(self, now_ns: int, total: int) -> int:
        """Errors since the newest sample at least an hour old (or since start)."""
        cutoff = now_ns - ERROR_WINDOW_NS
        while len(self._errors) > 1 and self._errors[1][0] <= cutoff:
            self._errors.popleft()
        return max(0, total - self._errors[0][1]) if self._errors else 0
