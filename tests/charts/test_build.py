"""The charts' data: what goes on each panel, with which thresholds and axis ranges."""

from __future__ import annotations

from typing import ClassVar

import pytest

from otel_discord.render.charts import theme
from otel_discord.render.charts.build import (
    PERFORMANCE_FILE,
    SYSTEM_FILE,
    Thresholds,
    caption,
    nice_ceiling,
    performance_chart,
    system_chart,
    wants,
    x_range,
)
from otel_discord.render.charts.spec import Chart, Heatmap, Panel, Series, Threshold
from otel_discord.state.timeline import Timeline

from .support import T0, feed, timeline_of

DEFAULTS = Thresholds(cpu_percent=90.0, memory_percent=90.0, latency_ms=1000.0)
MIB = 1024 * 1024


class TestTimeline:
    """The last hour of each chart reading, bounded, with the time of each point."""

    def test_keeps_only_chart_readings_with_their_times(self) -> None:
        """Chart keys and per-core CPU are kept with their export time; others are not."""
        timeline = timeline_of(
            {
                T0: {"system.cpu.percent": 10.0, "process.threads": 12.0},
                T0 + 15: {"system.cpu.percent": 20.0, "system.cpu.core.0.percent": 30.0},
            }
        )
        assert ((T0, 10.0), (T0 + 15, 20.0)) == timeline.series("system.cpu.percent")
        assert ((T0 + 15, 30.0),) == timeline.series("system.cpu.core.0.percent")
        assert () == timeline.series("process.threads")
        assert ("system.cpu.percent", "system.cpu.core.0.percent") == timeline.names()

    def test_a_reading_not_renewed_is_not_recorded_again(self) -> None:
        """The same reading (same timestamp) offered twice is one point."""
        timeline = Timeline(lambda _: True)
        feed(timeline, T0, {"k": 1.0})
        feed(timeline, T0, {"k": 1.0})
        assert ((T0, 1.0),) == timeline.series("k")

    def test_exports_in_one_bucket_are_averaged(self) -> None:
        """Points closer than span/max_points share a bucket: one point, their mean, last time."""
        timeline = Timeline(lambda _: True, span_s=3600, max_points=360)
        for offset, value in ((0, 10.0), (3, 20.0), (6, 60.0), (10, 5.0)):
            feed(timeline, T0 + offset, {"k": value})
        assert ((T0 + 6, 30.0), (T0 + 10, 5.0)) == timeline.series("k")

    def test_points_older_than_the_span_are_forgotten(self) -> None:
        """After an hour and a half, only the last hour is kept; a silent key goes away."""
        timeline = Timeline(lambda _: True, span_s=3600, max_points=360)
        for minute in range(91):
            values = {"k": float(minute)}
            if minute < 10:
                values["gone"] = 1.0
            feed(timeline, T0 + 60 * minute, values)
        points = timeline.series("k")
        assert 61 == len(points)
        assert (T0 + 30 * 60, 30.0) == points[0]
        assert (T0 + 90 * 60, 90.0) == points[-1]
        assert () == timeline.series("gone")
        assert T0 + 30 * 60 == timeline.first_s()

    def test_keys_are_capped(self) -> None:
        """A host with more cores than the cap keeps the first ``max_keys`` keys only."""
        timeline = Timeline(lambda _: True, max_keys=3)
        feed(timeline, T0, {f"system.cpu.core.{n}.percent": 1.0 for n in range(5)})
        assert 3 == len(timeline.names())

    def test_bad_sizes_are_refused(self) -> None:
        """A span of zero or fewer than two points is a programming error."""
        with pytest.raises(ValueError, match="span_s"):
            Timeline(lambda _: True, span_s=0)
        with pytest.raises(ValueError, match="max_points"):
            Timeline(lambda _: True, max_points=1)


class TestAxes:
    """Axis tops that read well, and the time range the chart covers."""

    @pytest.mark.parametrize(
        ("value", "top"),
        [
            (0.0, 1.0),
            (0.7, 0.8),
            (1.0, 1.0),
            (1.1, 1.2),
            (2.2, 2.5),
            (3.0, 3.0),
            (7.0, 8.0),
            (11.0, 12.0),
            (110.0, 120.0),
            (1_100.0, 1_200.0),
            (9_000.0, 10_000.0),
            (240.0, 250.0),
            (float("nan"), 1.0),
        ],
    )
    def test_nice_ceiling(self, value: float, top: float) -> None:
        """A round step times a power of ten, at or above the value."""
        assert top == nice_ceiling(value)

    def test_x_range_is_the_last_hour_or_since_the_first_point(self) -> None:
        """Ten minutes of data: ten minutes shown; two hours: the last hour."""
        short = timeline_of({T0 + 600 * i: {"system.cpu.percent": 1.0} for i in range(2)})
        assert (T0, T0 + 900) == x_range(short, T0 + 900)
        long = Timeline(lambda _: True, span_s=7200)
        for i in range(3):
            feed(long, T0 + 3600 * i, {"k": 1.0})
        assert (T0 + 3600, T0 + 7200) == x_range(long, T0 + 7200)

    def test_x_range_of_nothing_is_the_last_hour(self) -> None:
        """An empty timeline still has a valid range (the chart will be None anyway)."""
        assert (T0 - 3600, T0) == x_range(Timeline(lambda _: True), T0)

    def test_caption_names_the_window_in_utc(self) -> None:
        """Minutes covered and the clock times at both ends."""
        assert "last 60 min · 13:00 to 14:00 UTC" == caption(T0, T0 + 3600)


class TestPerformanceChart:
    """CPU and memory %, gateway latency and events/min, thresholds from the settings."""

    ROWS: ClassVar[dict[float, dict[str, float]]] = {
        T0: {
            "system.cpu.percent": 20.0,
            "process.cpu.percent": 5.0,
            "system.memory.percent": 60.0,
            "discord.latency_ms": 40.0,
            "discord.events_per_min": 300.0,
        },
        T0 + 15: {
            "system.cpu.percent": 95.0,
            "process.cpu.percent": 50.0,
            "system.memory.percent": 61.0,
            "discord.latency_ms": 180.0,
            "discord.events_per_min": 1_500.0,
        },
    }

    def test_every_series_threshold_and_range(self) -> None:
        """The whole chart, compared by equality."""
        chart = performance_chart(timeline_of(self.ROWS), end_s=T0 + 20, thresholds=DEFAULTS)
        expected = Chart(
            PERFORMANCE_FILE,
            (T0, T0 + 20),
            (
                Panel(
                    "CPU and memory",
                    "%",
                    (
                        Series("host CPU", theme.BLUE, ((T0, 20.0), (T0 + 15, 95.0))),
                        Series("bot CPU", theme.GREEN, ((T0, 5.0), (T0 + 15, 50.0))),
                        Series("memory", theme.YELLOW, ((T0, 60.0), (T0 + 15, 61.0))),
                    ),
                    (0.0, 100.0),
                    (Threshold("alert", 90.0),),
                ),
                Panel(
                    "Gateway latency",
                    "ms",
                    (Series("gateway latency", theme.FUCHSIA, ((T0, 40.0), (T0 + 15, 180.0))),),
                    (0.0, 200.0),
                    (Threshold("alert", 1000.0),),
                ),
                Panel(
                    "Gateway events",
                    "/min",
                    (Series("events", theme.CYAN, ((T0, 300.0), (T0 + 15, 1_500.0))),),
                    (0.0, 2_000.0),
                ),
            ),
            "last 1 min · 13:00 to 13:00 UTC",
        )
        assert expected == chart

    def test_thresholds_come_from_the_settings(self) -> None:
        """Different CPU and memory thresholds are two lines; equal ones are one."""
        chart = performance_chart(
            timeline_of(self.ROWS),
            end_s=T0 + 20,
            thresholds=Thresholds(cpu_percent=80.0, memory_percent=70.0, latency_ms=250.0),
        )
        assert chart is not None
        usage, latency, _ = chart.panels
        assert isinstance(usage, Panel)
        assert isinstance(latency, Panel)
        assert (Threshold("alert", 80.0), Threshold("memory alert", 70.0)) == usage.thresholds
        assert (Threshold("alert", 250.0),) == latency.thresholds

    def test_latency_axis_reaches_the_threshold_once_it_is_near(self) -> None:
        """Far below the alert, the axis fits the data; at half the alert, it shows the line."""
        low = timeline_of({T0: {"discord.latency_ms": 40.0}})
        near = timeline_of({T0: {"discord.latency_ms": 600.0}})
        (low_panel,) = _panels(low)
        (near_panel,) = _panels(near)
        assert (0.0, 100.0) == low_panel.y_range
        assert (0.0, 1_200.0) == near_panel.y_range

    def test_a_clock_behind_the_data_still_shows_the_newest_export(self) -> None:
        """Made at T0+10 (our clock) with an export stamped T0+15: the range ends at T0+15."""
        chart = performance_chart(timeline_of(self.ROWS), end_s=T0 + 10, thresholds=DEFAULTS)
        assert chart is not None
        assert (T0, T0 + 15) == chart.x_range
        for panel in chart.panels:
            assert isinstance(panel, Panel)
            assert all(len(s.points) == 2 for s in panel.series)

    def test_points_older_than_the_hour_are_left_out(self) -> None:
        """An export 61 minutes before the snapshot is outside the chart."""
        timeline = timeline_of(
            {T0: {"system.cpu.percent": 1.0}, T0 + 3660: {"system.cpu.percent": 2.0}}
        )
        chart = performance_chart(timeline, end_s=T0 + 3661, thresholds=DEFAULTS)
        assert chart is not None
        (panel,) = chart.panels
        assert isinstance(panel, Panel)
        assert ((T0 + 3660, 2.0),) == panel.series[0].points

    def test_no_data_no_chart(self) -> None:
        """Nothing to draw: None (the snapshot goes as text only)."""
        assert performance_chart(Timeline(lambda _: True), end_s=T0, thresholds=DEFAULTS) is None

    def test_panels_only_for_what_is_measured(self) -> None:
        """A service that is not a bot has no latency or events panels."""
        timeline = timeline_of({T0: {"system.cpu.percent": 10.0}})
        chart = performance_chart(timeline, end_s=T0 + 5, thresholds=DEFAULTS)
        assert chart is not None
        assert ["CPU and memory"] == [p.title for p in chart.panels]


def _panels(timeline: Timeline) -> list[Panel]:
    chart = performance_chart(timeline, end_s=T0 + 1, thresholds=DEFAULTS)
    assert chart is not None
    return [p for p in chart.panels if isinstance(p, Panel)]


class TestSystemChart:
    """Per-core CPU as a heatmap, disk and network rates in a binary unit."""

    def test_heatmap_rows_in_core_order_and_rates_scaled(self) -> None:
        """Cores 0, 2, 10 in numeric order; 3 MiB/s reads in MiB/s; kilobytes in KiB/s."""
        rows = {
            T0 + 15 * i: {
                "system.cpu.core.10.percent": 10.0 + i,
                "system.cpu.core.2.percent": 20.0,
                "system.cpu.core.0.percent": 30.0,
                "system.disk.read_bps": 3.0 * MIB * (i + 1),
                "system.disk.write_bps": 0.5 * MIB,
                "system.network.rx_bps": 2048.0,
                "system.network.tx_bps": 512.0,
            }
            for i in range(2)
        }
        chart = system_chart(timeline_of(rows), end_s=T0 + 15)
        assert chart is not None
        assert SYSTEM_FILE == chart.filename
        heat, disk, net = chart.panels
        assert (
            Heatmap(
                "CPU per core",
                "%",
                (
                    Series("core 0", theme.BLUE, ((T0, 30.0), (T0 + 15, 30.0))),
                    Series("core 2", theme.BLUE, ((T0, 20.0), (T0 + 15, 20.0))),
                    Series("core 10", theme.BLUE, ((T0, 10.0), (T0 + 15, 11.0))),
                ),
                (0.0, 100.0),
            )
            == heat
        )
        assert (
            Panel(
                "Disk",
                "MiB/s",
                (
                    Series("read", theme.GREEN, ((T0, 3.0), (T0 + 15, 6.0))),
                    Series("write", theme.YELLOW, ((T0, 0.5), (T0 + 15, 0.5))),
                ),
                (0.0, 8.0),
            )
            == disk
        )
        assert (
            Panel(
                "Network",
                "KiB/s",
                (
                    Series("received", theme.CYAN, ((T0, 2.0), (T0 + 15, 2.0))),
                    Series("sent", theme.FUCHSIA, ((T0, 0.5), (T0 + 15, 0.5))),
                ),
                (0.0, 2.5),
            )
            == net
        )

    def test_without_cores_the_host_cpu_line(self) -> None:
        """No per-core readings: host CPU as a line panel instead of the heatmap."""
        chart = system_chart(timeline_of({T0: {"system.cpu.percent": 42.0}}), end_s=T0)
        assert chart is not None
        assert (
            Panel("CPU", "%", (Series("host CPU", theme.BLUE, ((T0, 42.0),)),), (0.0, 100.0)),
        ) == chart.panels

    def test_no_data_no_chart(self) -> None:
        """Nothing measured: None."""
        assert system_chart(Timeline(lambda _: True), end_s=T0) is None


class TestWants:
    """Which readings the timeline keeps."""

    @pytest.mark.parametrize(
        ("key", "kept"),
        [
            ("system.cpu.percent", True),
            ("discord.events_per_min", True),
            ("system.cpu.core.0.percent", True),
            ("system.cpu.core.63.percent", True),
            ("system.cpu.core.64.percent", False),
            ("system.cpu.core.cpu-a.percent", True),
            ("process.threads", False),
        ],
    )
    def test_chart_keys_and_at_most_64_cores(self, key: str, kept: bool) -> None:
        """A 128-core host cannot crowd memory or latency out of the timeline."""
        assert kept == wants(key)
