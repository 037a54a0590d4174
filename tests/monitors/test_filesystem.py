"""Filesystem space gauges through the real SDK, with a fake source and with psutil."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from otel_discord.monitors.filesystem import (
    PSEUDO_FILESYSTEMS,
    FilesystemUsage,
    psutil_filesystems,
    register_filesystem_gauges,
)
from otel_discord.state.history import MetricHistory

GIB = 2**30


def collect(source: Any) -> tuple[MeterProvider, InMemoryMetricReader]:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    register_filesystem_gauges(provider, source=source)
    return provider, reader


def points(reader: InMemoryMetricReader) -> dict[str, list[tuple[dict[str, Any], float]]]:
    data = reader.get_metrics_data()
    out: dict[str, list[tuple[dict[str, Any], float]]] = {}
    for rm in data.resource_metrics if data is not None else []:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                out[f"{metric.name} {metric.unit}"] = [
                    (dict(p.attributes or {}), p.value) for p in metric.data.data_points
                ]
    return out


class TestGauges:
    """Each real mountpoint becomes used/free usage and a used utilization."""

    def test_points_and_attributes(self) -> None:
        root = FilesystemUsage("/dev/vda1", "/", "ext4", 60 * GIB, 40 * GIB)
        data = FilesystemUsage("/dev/vdb", "/data", "xfs", 1 * GIB, 3 * GIB, read_only=True)
        provider, reader = collect(lambda: [root, data])
        try:
            got = points(reader)
        finally:
            provider.shutdown()
        attrs = {
            "system.device": "/dev/vda1",
            "system.filesystem.mountpoint": "/",
            "system.filesystem.type": "ext4",
            "system.filesystem.mode": "rw",
        }
        assert [
            ({**attrs, "system.filesystem.state": "used"}, 60 * GIB),
            ({**attrs, "system.filesystem.state": "free"}, 40 * GIB),
        ] == got["system.filesystem.usage By"][:2]
        assert [
            ({**attrs, "system.filesystem.state": "used"}, 0.6),
            (
                {
                    "system.device": "/dev/vdb",
                    "system.filesystem.mountpoint": "/data",
                    "system.filesystem.type": "xfs",
                    "system.filesystem.mode": "ro",
                    "system.filesystem.state": "used",
                },
                0.25,
            ),
        ] == got["system.filesystem.utilization 1"]

    def test_history_reads_the_fullest(self) -> None:
        """The pipeline's history turns the gauges into the disk reading alert rules use."""
        source = [
            FilesystemUsage("/dev/vda1", "/", "ext4", 60 * GIB, 40 * GIB),
            FilesystemUsage("/dev/vdb", "/data", "xfs", 93 * GIB, 7 * GIB),
        ]
        provider, reader = collect(lambda: source)
        history = MetricHistory()
        data = reader.get_metrics_data()
        assert data is not None
        history.ingest(data)
        provider.shutdown()
        assert 93.0 == history.value("system.filesystem.percent")

    def test_pseudo_and_empty_filesystems_skipped(self) -> None:
        source = [
            FilesystemUsage("tmpfs", "/run", "tmpfs", 1, 1),
            FilesystemUsage("overlay", "/", "overlay", 3, 1),
            FilesystemUsage("/dev/loop0", "/snap/core", "squashfs", 5, 0),
            FilesystemUsage("/dev/vdc", "/empty", "ext4", 0, 0),
        ]
        provider, reader = collect(lambda: source)
        got = points(reader)
        provider.shutdown()
        assert [("/", 0.75)] == [
            (a["system.filesystem.mountpoint"], v)
            for a, v in got["system.filesystem.utilization 1"]
        ]

    def test_failing_source_exports_nothing(self, caplog: pytest.LogCaptureFixture) -> None:
        """The gauge swallows the failure itself: the SDK logs no callback error."""

        def broken() -> list[FilesystemUsage]:
            raise PermissionError("statfs denied")

        provider, reader = collect(broken)
        with caplog.at_level(logging.WARNING):
            got = points(reader)
        provider.shutdown()
        assert ({}, []) == (got, [r.getMessage() for r in caplog.records])

    def test_registered_once_per_provider(self) -> None:
        reader = InMemoryMetricReader()
        provider = MeterProvider(metric_readers=[reader])
        source = [FilesystemUsage("/dev/vda1", "/", "ext4", 1, 1)]
        assert register_filesystem_gauges(provider, source=lambda: source)
        assert not register_filesystem_gauges(provider, source=lambda: source)
        assert 1 == len(points(reader)["system.filesystem.utilization 1"])
        provider.shutdown()


class TestPsutilSource:
    """The default source lists this machine's real filesystems (read only)."""

    def test_real_filesystems(self) -> None:
        found = psutil_filesystems()
        assert all(fs.fstype.lower() not in PSEUDO_FILESYSTEMS for fs in found)
        assert all(fs.used >= 0 and fs.free >= 0 for fs in found)
        assert len({fs.device for fs in found}) == len(found)
