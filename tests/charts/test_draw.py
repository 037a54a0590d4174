"""The PNG itself: decoded, it is 800 px wide (400 shown, sharp at 2×) and really drawn."""

from __future__ import annotations

import io
import subprocess
import sys
from collections import Counter

from PIL import Image

from otel_discord.render.charts import theme
from otel_discord.render.charts.build import Thresholds, performance_chart, system_chart
from otel_discord.render.charts.draw import render_png
from otel_discord.render.charts.spec import Chart

from .support import T0, timeline_of

THRESHOLDS = Thresholds(cpu_percent=90.0, memory_percent=80.0, latency_ms=1000.0)


def _rows(minutes: int = 60, cores: int = 4) -> dict[float, dict[str, float]]:
    rows: dict[float, dict[str, float]] = {}
    for i in range(minutes * 4 + 1):
        cpu = 100.0 if 100 <= i < 120 else 20.0 + i % 30
        values = {
            "system.cpu.percent": cpu,
            "process.cpu.percent": cpu / 2,
            "system.memory.percent": 55.0,
            "discord.latency_ms": 45.0 + i % 7,
            "discord.events_per_min": 600.0 + 10 * (i % 20),
            "system.disk.read_bps": 1e6,
            "system.disk.write_bps": 2e6 + 1e4 * i,
            "system.network.rx_bps": 4e5,
            "system.network.tx_bps": 1e5,
        }
        for core in range(cores):
            values[f"system.cpu.core.{core}.percent"] = 100.0 if core == 1 else 10.0
        rows[T0 + 15 * i] = values
    return rows


def _decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert "PNG" == image.format
    return image.convert("RGB")


def _colours(image: Image.Image) -> Counter[tuple[int, int, int]]:
    colours = image.getcolors(maxcolors=image.width * image.height)
    assert colours is not None
    return Counter({colour: count for count, colour in colours})


def _rgb(colour: int) -> tuple[int, int, int]:
    return (colour >> 16) & 0xFF, (colour >> 8) & 0xFF, colour & 0xFF


def _chart(kind: str, minutes: int = 60) -> Chart:
    timeline = timeline_of(_rows(minutes))
    end = T0 + minutes * 60
    chart = (
        performance_chart(timeline, end_s=end, thresholds=THRESHOLDS)
        if kind == "performance"
        else system_chart(timeline, end_s=end)
    )
    assert chart is not None
    return chart


class TestPerformancePng:
    """The performance chart decodes to a sharp, drawn, dark image."""

    def test_size_is_twice_the_shown_width(self) -> None:
        """800 px wide (shown at 400), and no taller than it is wide."""
        image = _decode(render_png(_chart("performance")))
        assert theme.WIDTH * theme.SCALE == image.width
        assert image.width >= 800
        assert 400 <= image.height <= image.width

    def test_background_is_the_embed_colour_and_most_of_the_image(self) -> None:
        """Discord's dark embed background dominates; the chart blends into the embed."""
        image = _decode(render_png(_chart("performance")))
        colour, count = _colours(image).most_common(1)[0]
        assert _rgb(theme.BACKGROUND) == colour
        assert 0.5 < count / (image.width * image.height) < 0.97

    def test_every_series_and_the_threshold_line_are_drawn(self) -> None:
        """Each line's colour and the alert colour cover a real number of pixels."""
        colours = _colours(_decode(render_png(_chart("performance"))))
        for colour in (
            theme.BLUE,
            theme.GREEN,
            theme.YELLOW,
            theme.FUCHSIA,
            theme.CYAN,
            theme.ALERT,
            theme.TEXT,
        ):
            assert colours[_rgb(colour)] > 200, hex(colour)

    def test_a_short_window_and_a_single_point_still_draw(self) -> None:
        """Two minutes of data draw; one point draws as a dot, not nothing."""
        short = _decode(render_png(_chart("performance", minutes=2)))
        assert _colours(short)[_rgb(theme.BLUE)] > 100
        single = timeline_of({T0: {"system.cpu.percent": 50.0}})
        chart = performance_chart(single, end_s=T0, thresholds=THRESHOLDS)
        assert chart is not None
        assert _colours(_decode(render_png(chart)))[_rgb(theme.BLUE)] > 10


class TestSystemPng:
    """The system chart: a heatmap row per core, hot cores in the hot colour."""

    def test_hot_core_is_red_and_idle_cores_are_not(self) -> None:
        """Core 1 at 100 % fills its row with the top colour; idle cores stay dark."""
        image = _decode(render_png(_chart("system")))
        assert 800 == image.width
        hot = _rgb(theme.HEAT_STOPS[-1][1])
        colours = _colours(image)
        assert colours[hot] > 5_000  # a row of about 740 × 18 px
        assert colours[_rgb(theme.GREEN)] > 200  # disk reads
        assert colours[_rgb(theme.CYAN)] > 200  # network received


class TestLazyImport:
    """Pillow is not imported until a chart is drawn."""

    def test_importing_the_package_does_not_import_pillow(self) -> None:
        """``import otel_discord`` and its pipeline leave PIL out of sys.modules."""
        code = (
            "import sys, otel_discord, otel_discord.pipeline, otel_discord.delivery.chart_item;"
            "print('PIL' in sys.modules)"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        )
        assert "False" == done.stdout.strip()
