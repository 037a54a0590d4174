"""The names of the readings the metric history derives, defined once.

:class:`~otel_discord.state.history.MetricHistory` produces them, the snapshots
(:mod:`otel_discord.render.performance`) lay them out and the alert rules
(:mod:`otel_discord.monitors.defaults`) watch them.
"""

from __future__ import annotations

from typing import Final

CPU: Final = "system.cpu.percent"
CORE_PREFIX: Final = "system.cpu.core."
"""``system.cpu.core.<n>.percent``: one reading per logical CPU."""
LOAD_1M: Final = "system.load1"
MEMORY: Final = "system.memory.percent"
SWAP: Final = "system.swap.percent"
DISK: Final = "system.filesystem.percent"
DISK_READ: Final = "system.disk.read_bps"
DISK_WRITE: Final = "system.disk.write_bps"
NET_RX: Final = "system.network.rx_bps"
NET_TX: Final = "system.network.tx_bps"

PROCESS_CPU: Final = "process.cpu.percent"
RSS: Final = "process.memory.rss_bytes"
THREADS: Final = "process.threads"
OPEN_FDS: Final = "process.open_fds"
GC_PER_MIN: Final = "process.gc.collections_per_min"

LATENCY: Final = "discord.latency_ms"
SHARD_PREFIX: Final = "discord.shard."
"""``discord.shard.<id>.latency_ms``: one latency reading per shard."""
SHARD_LATENCY_SUFFIX: Final = ".latency_ms"
LOOP_LAG: Final = "discord.event_loop.lag_ms"
EVENTS_PER_MIN: Final = "discord.events_per_min"
GUILDS: Final = "discord.guilds"
USERS_CACHED: Final = "discord.users.cached"
SHARDS: Final = "discord.shards"
CONNECTED: Final = "discord.connected"


def core(cpu: str) -> str:
    """The reading key of one logical CPU."""
    return f"{CORE_PREFIX}{cpu}.percent"


def shard_latency(shard: str) -> str:
    """The reading key of one shard's latency."""
    return f"{SHARD_PREFIX}{shard}{SHARD_LATENCY_SUFFIX}"
