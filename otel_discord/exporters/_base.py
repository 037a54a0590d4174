"""What the three exporters share: settings, the shared pipeline, never raising into the SDK."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from otel_discord.config import DiscordConfig
from otel_discord.fork_safety import reset_after_fork
from otel_discord.pipeline import Pipeline
from otel_discord.routing import Router, Rule
from otel_discord.severity import severity_from_level

_logger = logging.getLogger("otel_discord.exporters")

R = TypeVar("R")


class ExporterState:
    """Settings, routing and the pipeline handle of one exporter."""

    def __init__(
        self, config: DiscordConfig | None, rules: Sequence[Rule] | None, settings: dict[str, Any]
    ) -> None:
        if config is not None and settings:
            msg = f"pass either config or settings, not both (got {', '.join(sorted(settings))})"
            raise TypeError(msg)
        self.config = config if config is not None else DiscordConfig.resolve(**settings)
        self.router = Router(
            rules or (), min_log_severity=severity_from_level(self.config.log_level)
        )
        self.pipeline = Pipeline.acquire(self.config)
        self._shutdown = False
        self._lock = threading.Lock()
        self._failures = 0
        reset_after_fork(self)

    def after_fork_in_child(self) -> None:
        self._lock = threading.Lock()  # another thread may have held it at the fork

    @property
    def is_shutdown(self) -> bool:
        return self._shutdown

    def guard(self, what: str, work: Callable[[], R], failed: R) -> R:
        """Run ``work``; any exception is logged (once per kind of exporter) and becomes ``failed``.

        The SDK ignores export results, but an exception must never reach it or the app.
        """
        try:
            return work()
        except Exception:
            self._failures += 1
            if self._failures == 1:
                _logger.exception("otel-discord %s failed; telemetry may be incomplete", what)
            return failed

    def shutdown(self, timeout_s: float) -> bool:
        with self._lock:
            if self._shutdown:
                return True
            self._shutdown = True
        return self.pipeline.release(timeout_s)


class DiscordExporterBase:
    """What the span, log and metric exporters have in common beyond their ``export``."""

    _core: ExporterState

    def __init__(
        self,
        config: DiscordConfig | None = None,
        *,
        rules: Sequence[Rule] | None = None,
        **settings: Any,
    ) -> None:
        self._core = ExporterState(config, rules, settings)

    @property
    def pipeline(self) -> Pipeline:
        """The shared pipeline this exporter feeds (monitors, history, delivery stats)."""
        return self._core.pipeline

    def force_flush(self, timeout_millis: float = 30_000) -> bool:
        return self._core.guard(
            "flush", lambda: self._core.pipeline.flush(timeout_millis / 1000), False
        )

    def shutdown(self) -> None:
        self._core.guard("shutdown", lambda: self._core.shutdown(MAX_SHUTDOWN_S), False)


MAX_SHUTDOWN_S = 5.0
"""However long the SDK offers, shutting down never holds the process longer than this."""


def timeout_seconds(timeout_millis: float | None, kwargs: dict[str, Any], default: float) -> float:
    """The shutdown deadline in seconds, capped at ``MAX_SHUTDOWN_S``.

    The SDK's periodic reader passes ``timeout=`` in milliseconds (despite the name);
    direct callers pass ``timeout_millis=``.
    """
    millis = timeout_millis if timeout_millis is not None else kwargs.get("timeout")
    if isinstance(millis, (int, float)):
        return min(MAX_SHUTDOWN_S, max(0.0, float(millis) / 1000))
    return default
