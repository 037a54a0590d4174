"""Monitors: threshold alerts to the logs channel and a health score to diagnostics.

The owner should hear of trouble from Discord before users do, and every alert
should be worth reading. A pipeline installs its monitors once::

    monitors = install_monitors(pipeline)            # default rules from the config
    monitors.set_rules([*default_rules(pipeline.config), AlertRule(...)])

Alerts (:class:`AlertRule`) fire once a breach has held for ``for_s``, repeat at
most every ``OTEL_EXPORTER_DISCORD_ALERT_REPEAT_INTERVAL`` while firing, and
resolve with how long they lasted and their peak; hysteresis keeps a wobbling
value from flapping. Rules are evaluated on every metric export and every
``OTEL_EXPORTER_DISCORD_ALERT_INTERVAL``. The health check
(``OTEL_EXPORTER_DISCORD_HEALTH_INTERVAL``) scores CPU, memory, disk, latency,
event-loop lag, error rate and delivery (see :mod:`otel_discord.monitors.health`).
Filesystem space comes from :func:`register_filesystem_gauges`.
"""

from __future__ import annotations

from collections.abc import Sequence

from otel_discord.monitors._monitors import (
    Monitors,
    MonitorSource,
    active_instrumentations,
    alert_item,
)
from otel_discord.monitors.defaults import default_rules
from otel_discord.monitors.filesystem import (
    FilesystemUsage,
    psutil_filesystems,
    register_filesystem_gauges,
)
from otel_discord.monitors.health import HealthPolicy, HealthReport
from otel_discord.monitors.rules import AlertEvaluator, AlertEvent, AlertRule


def install_monitors(source: MonitorSource, rules: Sequence[AlertRule] | None = None) -> Monitors:
    """Attach alert rules (default: :func:`default_rules`) and health checks to a pipeline."""
    return Monitors(source, rules).install()


__all__ = [
    "AlertEvaluator",
    "AlertEvent",
    "AlertRule",
    "FilesystemUsage",
    "HealthPolicy",
    "HealthReport",
    "MonitorSource",
    "Monitors",
    "active_instrumentations",
    "alert_item",
    "default_rules",
    "install_monitors",
    "psutil_filesystems",
    "register_filesystem_gauges",
]
