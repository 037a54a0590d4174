"""The default alert rules, with thresholds from the configuration, and derived reading keys.

Most rules read keys of ``MetricHistory``; two read values the monitors derive
themselves: the error rate (from the pipeline's count of error-level problems)
and how many shards are disconnected (shards minus connected shards).
"""

from __future__ import annotations

import dataclasses
from typing import Final

from otel_discord.config import DiscordConfig
from otel_discord.monitors.rules import AlertRule
from otel_discord.state import reading_keys

CPU: Final = reading_keys.CPU
MEMORY: Final = reading_keys.MEMORY
DISK: Final = reading_keys.DISK
LATENCY: Final = reading_keys.LATENCY
LOOP_LAG: Final = reading_keys.LOOP_LAG
PROCESS_CPU: Final = reading_keys.PROCESS_CPU
RSS: Final = reading_keys.RSS
CONNECTED: Final = reading_keys.CONNECTED
SHARDS: Final = reading_keys.SHARDS
"""The history's readings the rules watch (names from :mod:`otel_discord.state.reading_keys`)."""
ERRORS_PER_MIN: Final = "errors.per_min"
"""Derived: error-level problems per minute over the last ``ERROR_RATE_WINDOW_S``."""
DISCONNECTED: Final = "discord.disconnected_shards"
"""Derived: shards not connected to the gateway (0 when all are)."""

LOOP_LAG_ALERT_MS: Final = 250.0
"""Event-loop lag that makes a bot feel slow (heartbeats and commands wait behind it)."""
ERROR_RATE_FLOOR_PER_MIN: Final = 10.0
ERROR_SPIKE_FACTOR: Final = 3.0
ERROR_RATE_WINDOW_S: Final = 60.0
DISCONNECTED_FOR_S: Final = 60.0
THRESHOLD_RULES: Final = frozenset({"cpu", "memory", "disk", "latency", "event_loop_lag"})
"""Rules on a plain threshold, whose ``for`` ``OTEL_EXPORTER_DISCORD_ALERT_FOR`` sets.

Unset, each keeps its own: CPU and memory 3 minutes, disk and gateway latency 2,
event-loop lag 1. The error-rate spike (at once) and disconnection (1 minute) keep theirs.
"""


def default_rules(config: DiscordConfig) -> list[AlertRule]:
    """CPU, memory, disk, latency, event-loop lag, error spikes and disconnection."""
    rules = _rules(config)
    if config.alert_for_ms is None:
        return rules
    for_s = config.alert_for_ms / 1000
    return [
        dataclasses.replace(rule, for_s=for_s) if rule.name in THRESHOLD_RULES else rule
        for rule in rules
    ]


def _rules(config: DiscordConfig) -> list[AlertRule]:
    return [
        AlertRule(
            "cpu",
            "CPU usage",
            CPU,
            config.alert_cpu_percent,
            unit="%",
            for_s=180.0,
            hysteresis=5.0,
            hint="Sustained CPU starves the event loop; see the health check for the top user.",
        ),
        AlertRule(
            "memory",
            "Memory usage",
            MEMORY,
            config.alert_memory_percent,
            unit="%",
            for_s=180.0,
            hysteresis=3.0,
            hint="Near the limit the OOM killer picks a process; check the bot's RSS trend.",
        ),
        AlertRule(
            "disk",
            "Disk space",
            DISK,
            config.alert_disk_percent,
            unit="%",
            for_s=120.0,
            hysteresis=2.0,
            hint="The fullest filesystem; free space (logs, caches) before writes fail.",
        ),
        AlertRule(
            "latency",
            "Gateway latency",
            LATENCY,
            float(config.alert_latency_ms),
            unit="ms",
            for_s=120.0,
            hysteresis=config.alert_latency_ms * 0.2,
            hint="Heartbeat ACKs are slow: network trouble, an overloaded host or a busy loop.",
        ),
        AlertRule(
            "event_loop_lag",
            "Event-loop lag",
            LOOP_LAG,
            LOOP_LAG_ALERT_MS,
            unit="ms",
            for_s=60.0,
            hysteresis=50.0,
            hint="A blocking call in a handler (sync I/O, time.sleep, heavy CPU).",
        ),
        AlertRule(
            "error_rate",
            "Error-rate spike",
            ERRORS_PER_MIN,
            ERROR_RATE_FLOOR_PER_MIN,
            unit="/min",
            for_s=0.0,
            hysteresis=2.0,
            clear_for_s=300.0,
            spike_factor=ERROR_SPIKE_FACTOR,
            hint="See the grouped errors above in this channel.",
        ),
        AlertRule(
            "disconnected",
            "Bot disconnected",
            DISCONNECTED,
            0.0,
            unit="shards",
            for_s=DISCONNECTED_FOR_S,
            clear_for_s=0.0,
            hint="discord.py reconnects on its own; if it does not, check the token and network.",
        ),
    ]
