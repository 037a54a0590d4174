"""Charts through the whole pipeline: SDK exports in, a PNG in #performance of the local Discord."""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest
from PIL import Image

from otel_discord import Channel
from otel_discord.pipeline import Pipeline
from otel_discord.render.charts import draw, theme
from otel_discord.render.charts.spec import Chart, Panel, Series
from tests.conftest import FourChannels

from .support import T0, bot_export

END = T0 + 15 * 10


def fed_pipeline(four_channels: FourChannels, **settings: Any) -> Pipeline:
    """A pipeline that has seen 11 exports, 15 s apart, CPU rising 10 % → 60 %."""
    pipeline = Pipeline(four_channels.config(**settings), clock_ns=lambda: round(END * 1e9))
    for i in range(11):
        pipeline.add_metrics(
            bot_export(T0 + 15 * i, cpu=10.0 + 5 * i, memory=50.0, latency_s=0.040 + 0.002 * i)
        )
    return pipeline


def rounded(series: Series) -> list[tuple[float, float]]:
    """Points with values to 9 places (CPU % is 100 × (1 - idle), not exact in binary)."""
    return [(t, round(v, 9)) for t, v in series.points]


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert "PNG" == image.format
    return image


class TestPerformanceChart:
    """Each performance snapshot carries its chart; the table beside it is shorter."""

    def test_snapshot_arrives_with_its_chart(self, four_channels: FourChannels) -> None:
        """One message: the embed shows attachment://performance.png, the PNG is 800 px wide."""
        pipeline = fed_pipeline(four_channels)
        pipeline.send_performance()
        assert pipeline.flush(5.0)
        (message,) = four_channels.server.messages("performance")
        (embed,) = message.payload["embeds"]
        assert {"url": "attachment://performance.png"} == embed["image"]
        assert [
            {
                "id": 0,
                "filename": "performance.png",
                "description": "last 3 min · 13:00 to 13:02 UTC",
            }
        ] == message.payload["attachments"]
        image = decoded(message.file("performance.png").data)
        assert 800 == image.width
        assert 300 < image.height < 800
        assert [] == four_channels.server.violations

    def test_the_chart_shows_what_was_exported(self, four_channels: FourChannels) -> None:
        """Series points equal the exported values at their export times, in display units."""
        pipeline = fed_pipeline(four_channels)
        chart = pipeline.charts.chart("performance", round(END * 1e9))
        assert chart is not None
        usage, latency = chart.panels
        assert isinstance(usage, Panel)
        assert isinstance(latency, Panel)
        times = [T0 + 15 * i for i in range(11)]
        assert ("host CPU", theme.BLUE) == (usage.series[0].label, usage.series[0].colour)
        assert [(t, 10.0 + 5 * i) for i, t in enumerate(times)] == rounded(usage.series[0])
        assert [(t, 50.0) for t in times] == rounded(usage.series[2])
        assert [(t, 40.0 + 2 * i) for i, t in enumerate(times)] == rounded(latency.series[0])
        assert (0.0, 100.0) == latency.y_range
        assert 1000.0 == latency.thresholds[0].value

    def test_the_table_is_shorter_beside_a_chart(self, four_channels: FourChannels) -> None:
        """No sparkline column with a chart; with charts off, the full table and no file."""
        with_chart = fed_pipeline(four_channels)
        with_chart.send_performance()
        assert with_chart.flush(5.0)
        Pipeline.shutdown_all(2.0)
        without = fed_pipeline(four_channels, charts=False)
        without.send_performance()
        assert without.flush(5.0)
        charted, plain = four_channels.server.messages("performance")
        assert "history" not in charted.payload["embeds"][0]["description"]
        assert "history" in plain.payload["embeds"][0]["description"]
        assert () == plain.files
        assert "image" not in plain.payload["embeds"][0]
        assert "attachments" not in plain.payload

    def test_413_sends_the_snapshot_as_text_and_tells_diagnostics(
        self, four_channels: FourChannels
    ) -> None:
        """A chart over the upload limit: the table still arrives, diagnostics says why."""
        four_channels.server.max_upload_bytes = 1_000
        pipeline = fed_pipeline(four_channels)
        pipeline.send_performance()
        assert pipeline.flush(5.0)
        (message,) = four_channels.server.messages("performance")
        assert () == message.files
        assert "image" not in message.payload["embeds"][0]
        assert "⚡ Performance snapshot" == message.payload["embeds"][0]["title"]
        notices = [
            e for e in four_channels.embeds(Channel.DIAGNOSTICS) if "files_refused" in e["title"]
        ]
        assert 1 == len(notices)
        assert "performance.png" in notices[0]["description"]


class TestSystemChart:
    """The system snapshot has a chart of its own."""

    def test_system_snapshot_shows_system_png(self, four_channels: FourChannels) -> None:
        """Per-core heatmap chart attached to the first (host) embed."""
        pipeline = fed_pipeline(four_channels)
        pipeline.send_system()
        assert pipeline.flush(5.0)
        (message,) = four_channels.server.messages("performance")
        host, *rest = message.payload["embeds"]
        assert {"url": "attachment://system.png"} == host["image"]
        assert all("image" not in e for e in rest)
        assert 800 == decoded(message.file("system.png").data).width


class TestOffTheBotsThread:
    """The PNG is drawn on the sender thread, at packing time, never where the snapshot is made."""

    def test_drawn_on_the_sender_thread(
        self, four_channels: FourChannels, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The snapshot is made on this thread; the drawing happens on an otel-discord thread."""
        threads: list[str] = []
        real = draw.render_png

        def spy(chart: Chart) -> bytes:
            threads.append(threading.current_thread().name)
            return real(chart)

        monkeypatch.setattr(draw, "render_png", spy)
        pipeline = fed_pipeline(four_channels)
        pipeline.send_performance()
        assert [] == threads  # queued with its data, not drawn yet
        assert pipeline.flush(5.0)
        (name,) = threads
        assert name.startswith("otel-discord ")
        assert threading.current_thread().name != name
