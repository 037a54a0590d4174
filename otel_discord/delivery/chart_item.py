"""The outbox item of a snapshot with a chart: embeds now, the PNG when it is sent.

The chart's data is taken when the snapshot is made; the PNG is drawn on the
sender thread at packing time (Pillow is imported there on first use), and a
snapshot replaced in the queue by a newer one is never drawn at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from otel_discord.delivery.attachments import Attachment
from otel_discord.delivery.item import Item, LatestItem
from otel_discord.render.charts.spec import Chart


@dataclass
class ChartItem(LatestItem):
    """A :class:`LatestItem` whose first embed shows ``chart`` (``attachment://``)."""

    chart: Chart | None = None
    _png: bytes | None = field(default=None, init=False, repr=False)

    def absorb(self, other: Item) -> bool:
        if not isinstance(other, LatestItem) or other.key != self.key:
            return False
        self.rendered = other.rendered
        self.chart = other.chart if isinstance(other, ChartItem) else None
        self._png = None
        return True

    def files(self) -> Sequence[Attachment]:
        if self.chart is None:
            return ()
        if self._png is None:
            from otel_discord.render.charts.draw import render_png

            self._png = render_png(self.chart)
        return (Attachment(self.chart.filename, self._png, "image/png", self.chart.caption),)
