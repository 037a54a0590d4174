"""Filesystem space as observable gauges (the system-metrics instrumentation has none).

Usage::

    from otel_discord.monitors.filesystem import register_filesystem_gauges

    register_filesystem_gauges(meter_provider)

Gauges (semantic conventions), one series per real mountpoint:

- ``system.filesystem.usage`` (By), ``system.filesystem.state`` = ``used`` / ``free``
- ``system.filesystem.utilization`` (1, 0-1), state ``used`` only (free is 1 - used): the
  share ``df`` shows, used / (used + free), so blocks reserved for root don't hide a full disk

Attributes: ``system.device``, ``system.filesystem.mountpoint``,
``system.filesystem.type``, ``system.filesystem.mode`` (``ro``/``rw``).
Pseudo filesystems (tmpfs, proc, squashfs snaps...) are skipped; ``overlay`` is
kept because it is a container's root. A device mounted twice (bind mounts) is
reported once, at its shortest mountpoint. The source is injectable so tests
feed chosen numbers through the real SDK.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation

from otel_discord.version import __version__

_logger = logging.getLogger("otel_discord.monitors.filesystem")

PSEUDO_FILESYSTEMS: Final = frozenset(
    {
        "autofs",
        "binfmt_misc",
        "bpf",
        "cgroup",
        "cgroup2",
        "configfs",
        "debugfs",
        "devfs",
        "devpts",
        "devtmpfs",
        "efivarfs",
        "fusectl",
        "hugetlbfs",
        "iso9660",
        "mqueue",
        "nsfs",
        "proc",
        "pstore",
        "ramfs",
        "rpc_pipefs",
        "securityfs",
        "squashfs",
        "sysfs",
        "tmpfs",
        "tracefs",
        "udf",
        "fuse.lxcfs",
        "fuse.snapfuse",
        "fuse.gvfsd-fuse",
        "fuse.portal",
        "nullfs",
        "autofs4",
    }
)
"""Filesystem types that hold no user data worth an alert (or are read-only images)."""

METER_NAME: Final = "otel_discord.filesystem"


@dataclass(frozen=True)
class FilesystemUsage:
    """Space on one mounted filesystem, in bytes."""

    device: str
    mountpoint: str
    fstype: str
    used: int
    free: int
    read_only: bool = False


FilesystemSource = Callable[[], Iterable[FilesystemUsage]]
"""Anything that lists filesystems; the default asks psutil."""


def psutil_filesystems() -> list[FilesystemUsage]:
    """Real mounted filesystems with their usage, one per device."""
    import psutil

    found: dict[str, FilesystemUsage] = {}
    for part in psutil.disk_partitions(all=False):
        if part.fstype.lower() in PSEUDO_FILESYSTEMS:
            continue
        try:
            usage = psutil.disk_usage(part.mountpoint)
        except OSError:  # unreadable or vanished mount: skip it, never fail the export
            continue
        fs = FilesystemUsage(
            device=part.device,
            mountpoint=part.mountpoint,
            fstype=part.fstype,
            used=int(usage.used),
            free=int(usage.free),
            read_only="ro" in part.opts.split(","),
        )
        known = found.get(fs.device)
        if known is None or len(fs.mountpoint) < len(known.mountpoint):
            found[fs.device] = fs
    return list(found.values())


class _Gauges:
    """The callbacks; each reads the source afresh (a read costs one statfs per mount)."""

    def __init__(self, source: FilesystemSource) -> None:
        self._source = source

    def _read(self) -> list[FilesystemUsage]:
        try:
            return [
                fs
                for fs in self._source()
                if fs.fstype.lower() not in PSEUDO_FILESYSTEMS and fs.used + fs.free > 0
            ]
        except Exception:  # telemetry must never break the metric export
            _logger.debug("reading filesystems failed", exc_info=True)
            return []

    @staticmethod
    def _attrs(fs: FilesystemUsage, state: str) -> dict[str, Any]:
        return {
            "system.device": fs.device,
            "system.filesystem.mountpoint": fs.mountpoint,
            "system.filesystem.type": fs.fstype,
            "system.filesystem.mode": "ro" if fs.read_only else "rw",
            "system.filesystem.state": state,
        }

    def usage(self, _: CallbackOptions) -> Iterable[Observation]:
        out = []
        for fs in self._read():
            out.append(Observation(fs.used, self._attrs(fs, "used")))
            out.append(Observation(fs.free, self._attrs(fs, "free")))
        return out

    def utilization(self, _: CallbackOptions) -> Iterable[Observation]:
        out = []
        for fs in self._read():
            total = fs.used + fs.free
            out.append(Observation(fs.used / total, self._attrs(fs, "used")))
        return out


_REGISTERED: weakref.WeakSet[Any] = weakref.WeakSet()
_REGISTERED_LOCK = threading.Lock()


def register_filesystem_gauges(
    meter_provider: MeterProvider | None = None,
    *,
    source: FilesystemSource | None = None,
) -> bool:
    """Add the two gauges to ``meter_provider`` (default: the global one).

    Idempotent per provider (a second call would double every point). Returns
    False if the provider already had them.
    """
    provider = meter_provider if meter_provider is not None else metrics.get_meter_provider()
    with _REGISTERED_LOCK:
        try:
            if provider in _REGISTERED:
                return False
            _REGISTERED.add(provider)
        except TypeError:  # a provider that refuses weak references: register without memory
            pass
    gauges = _Gauges(source or psutil_filesystems)
    meter = provider.get_meter(METER_NAME, __version__)
    meter.create_observable_gauge(
        "system.filesystem.usage",
        callbacks=[gauges.usage],
        unit="By",
        description="Filesystem space used and free, per mountpoint.",
    )
    meter.create_observable_gauge(
        "system.filesystem.utilization",
        callbacks=[gauges.utilization],
        unit="1",
        description="Share of filesystem space used and free (0-1), per mountpoint.",
    )
    return True
