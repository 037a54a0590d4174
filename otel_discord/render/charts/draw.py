"""Draw a :class:`~otel_discord.render.charts.spec.Chart` as PNG bytes, in memory, with Pillow.

Pillow is imported here on first use, on whichever thread renders (the sender's),
so ``import otel_discord`` stays light and the bot's thread never pays for it.
Layout is in display pixels (an embed image is shown 400 px wide) times
``theme.SCALE``. Only Pillow's built-in font is used: no font files, no cache, no
disk.
"""

from __future__ import annotations

import io
import itertools
import math
import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from otel_discord.render.charts import theme
from otel_discord.render.charts.spec import Chart, Heatmap, Panel, Point
from otel_discord.render.style import utc_seconds

if TYPE_CHECKING:
    from PIL import ImageDraw, ImageFont

S: Final = theme.SCALE
_TICK_STEPS_S: Final = (10, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200)
_MAX_X_TICKS: Final = 6
_GAP_FACTOR: Final = 2.5
"""A gap this many times the usual spacing breaks the line (a restart, missed exports)."""
_DASH: Final = (5, 4)


class _Fonts:
    def __init__(self) -> None:
        from PIL import ImageFont

        self.normal = _font(ImageFont, theme.FONT * S)
        self.small = _font(ImageFont, theme.FONT_SMALL * S)


def _font(module: object, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont, features

    if features.check("freetype2"):
        return ImageFont.load_default(size=size)
    return ImageFont.load_default()  # pragma: no cover - wheels always have FreeType


def _rgb(colour: int) -> tuple[int, int, int]:
    return (colour >> 16) & 0xFF, (colour >> 8) & 0xFF, colour & 0xFF


def render_png(chart: Chart) -> bytes:
    """The chart as a PNG (``theme.WIDTH * theme.SCALE`` pixels wide)."""
    from PIL import Image, ImageDraw

    heights = [_panel_height(p) for p in chart.panels]
    body = sum(theme.HEADER + h for h in heights) + theme.GAP * (len(heights) - 1)
    height = theme.MARGIN + body + theme.X_AXIS + (theme.CAPTION if chart.caption else 0) + 4
    image = Image.new("RGB", (theme.WIDTH * S, height * S), _rgb(theme.BACKGROUND))
    draw = ImageDraw.Draw(image)
    fonts = _Fonts()
    left, right = theme.AXIS_LEFT, theme.WIDTH - theme.MARGIN
    ticks = _time_ticks(chart.x_range)
    y = theme.MARGIN
    for panel, panel_height in zip(chart.panels, heights, strict=True):
        _header(draw, fonts, panel, right, y)
        y += theme.HEADER
        box = (left, y, right, y + panel_height)
        for tick in ticks:
            x = _x(tick, chart.x_range, box)
            draw.line([(x * S, box[1] * S), (x * S, box[3] * S)], fill=_rgb(theme.GRID), width=S)
        if isinstance(panel, Heatmap):
            _heatmap(draw, fonts, panel, chart.x_range, box)
        else:
            _lines(draw, fonts, panel, chart.x_range, box)
        y += panel_height + theme.GAP
    y -= theme.GAP
    _time_labels(draw, fonts, ticks, chart.x_range, y=y)
    if chart.caption:
        draw.text(
            (right * S, (y + theme.X_AXIS) * S),
            chart.caption,
            fill=_rgb(theme.MUTED),
            font=fonts.small,
            anchor="rt",
        )
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=3)  # 6 costs 40 % more CPU for 12 % less size
    return out.getvalue()


def _time_labels(
    draw: ImageDraw.ImageDraw,
    fonts: _Fonts,
    ticks: Sequence[float],
    x_range: tuple[float, float],
    *,
    y: int,
) -> None:
    """Clock times under the last panel; a label that would overlap the previous one is left out."""
    clock = "%H:%M:%S" if len(ticks) > 1 and ticks[1] - ticks[0] < 60 else "%H:%M"
    previous_end = -math.inf
    for tick in ticks:
        label = utc_seconds(tick).strftime(clock)
        half = draw.textlength(label, font=fonts.small) / S / 2
        box = (theme.AXIS_LEFT, 0, theme.WIDTH - theme.MARGIN, 0)
        x = min(_x(tick, x_range, box), theme.WIDTH - 2 - half)
        if x - half < previous_end + 6:
            continue
        previous_end = x + half
        draw.text(
            (x * S, (y + 3) * S), label, fill=_rgb(theme.MUTED), font=fonts.small, anchor="mt"
        )


def _panel_height(panel: Panel | Heatmap) -> int:
    if isinstance(panel, Heatmap):
        return min(theme.HEATMAP_HEIGHT_MAX, max(24, len(panel.rows) * theme.HEATMAP_ROW_MAX))
    return theme.PANEL_HEIGHT


def _header(
    draw: ImageDraw.ImageDraw, fonts: _Fonts, panel: Panel | Heatmap, right: int, y: int
) -> None:
    """Title and unit on the left, the legend on the right."""
    title = f"{panel.title} · {panel.unit}" if panel.unit else panel.title
    draw.text((4 * S, (y + 1) * S), title, fill=_rgb(theme.TEXT), font=fonts.normal)
    title_end = 4 + draw.textlength(title, font=fonts.normal) / S
    x = float(right)
    entries: list[tuple[str, int, bool]] = []
    if isinstance(panel, Panel):
        # One line needs no legend: the panel's title names it.
        if len(panel.series) > 1:
            entries = [(s.label, s.colour, False) for s in panel.series]
        entries += [
            (f"{t.label} {_number(t.value)} {panel.unit}".rstrip(), theme.ALERT, True)
            for t in panel.thresholds
        ]
    for label, colour, dashed in reversed(entries):
        width = draw.textlength(label, font=fonts.small) / S
        if x - width - 20 < title_end + 6:
            break  # never over the title: the leftmost entries give way
        x -= width
        draw.text((x * S, (y + 2) * S), label, fill=_rgb(theme.MUTED), font=fonts.small)
        x -= 12
        mid = (y + 9) * S
        if dashed:
            draw.line([(x * S, mid), ((x + 3) * S, mid)], fill=_rgb(colour), width=S * 2)
            draw.line([((x + 6) * S, mid), ((x + 9) * S, mid)], fill=_rgb(colour), width=S * 2)
        else:
            draw.line([(x * S, mid), ((x + 9) * S, mid)], fill=_rgb(colour), width=S * 3)
        x -= 8
    if isinstance(panel, Heatmap):
        _heat_legend(draw, fonts, panel, right, y)


def _heat_legend(
    draw: ImageDraw.ImageDraw, fonts: _Fonts, panel: Heatmap, right: int, y: int
) -> None:
    low, high = panel.value_range
    high_label = f"{_number(high)} {panel.unit}".strip()
    x = right - draw.textlength(high_label, font=fonts.small) / S
    draw.text((x * S, (y + 2) * S), high_label, fill=_rgb(theme.MUTED), font=fonts.small)
    bar_right, bar_left = x - 4, x - 64
    for i in range(int(bar_left * S), int(bar_right * S)):
        share = (i / S - bar_left) / (bar_right - bar_left)
        draw.line([(i, (y + 5) * S), (i, (y + 12) * S)], fill=_rgb(_heat(share)))
    low_label = f"{_number(low)}"
    x = bar_left - 4 - draw.textlength(low_label, font=fonts.small) / S
    draw.text((x * S, (y + 2) * S), low_label, fill=_rgb(theme.MUTED), font=fonts.small)


def _x(t: float, x_range: tuple[float, float], box: tuple[float, float, float, float]) -> float:
    start, end = x_range
    return box[0] + (t - start) / (end - start) * (box[2] - box[0])


def _y(v: float, y_range: tuple[float, float], box: tuple[float, float, float, float]) -> float:
    low, high = y_range
    share = (min(max(v, low), high) - low) / (high - low) if high > low else 0.0
    return box[3] - share * (box[3] - box[1])


def _lines(
    draw: ImageDraw.ImageDraw,
    fonts: _Fonts,
    panel: Panel,
    x_range: tuple[float, float],
    box: tuple[float, float, float, float],
) -> None:
    low, high = panel.y_range
    for value in (low, (low + high) / 2, high):
        y = _y(value, panel.y_range, box)
        draw.line([(box[0] * S, y * S), (box[2] * S, y * S)], fill=_rgb(theme.GRID), width=S)
        draw.text(
            ((box[0] - 4) * S, y * S),
            _number(value),
            fill=_rgb(theme.MUTED),
            font=fonts.small,
            anchor="rm",
        )
    for threshold in panel.thresholds:
        if threshold.value <= high:
            _dashed(draw, _y(threshold.value, panel.y_range, box), box)
        else:
            # Above the axis: a small up-pointing triangle and the value, at the top right.
            label = _number(threshold.value)
            width = draw.textlength(label, font=fonts.small) / S
            tip_x, tip_y = box[2] - width - 8, box[1] + 3
            draw.polygon(
                [
                    ((tip_x - 4) * S, (tip_y + 7) * S),
                    ((tip_x + 4) * S, (tip_y + 7) * S),
                    (tip_x * S, tip_y * S),
                ],
                fill=_rgb(theme.ALERT),
            )
            draw.text(
                ((box[2] - 2) * S, (box[1] + 2) * S),
                label,
                fill=_rgb(theme.ALERT),
                font=fonts.small,
                anchor="rt",
            )
    for series in panel.series:
        for run in _runs(series.points):
            xy = [(_x(t, x_range, box) * S, _y(v, panel.y_range, box) * S) for t, v in run]
            if len(xy) == 1:
                x, y = xy[0]
                draw.ellipse([x - 2 * S, y - 2 * S, x + 2 * S, y + 2 * S], fill=_rgb(series.colour))
            else:
                draw.line(xy, fill=_rgb(series.colour), width=round(theme.LINE * S), joint="curve")


def _dashed(draw: ImageDraw.ImageDraw, y: float, box: tuple[float, float, float, float]) -> None:
    on, off = _DASH
    x = box[0]
    while x < box[2]:
        end = min(x + on, box[2])
        draw.line([(x * S, y * S), (end * S, y * S)], fill=_rgb(theme.ALERT), width=S)
        x += on + off


def _runs(points: Sequence[Point]) -> list[list[Point]]:
    """Split where a gap is much longer than the usual spacing, so no line bridges it."""
    if len(points) < 3:
        return [list(points)] if points else []
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(points)]
    limit = statistics.median(gaps) * _GAP_FACTOR
    runs: list[list[Point]] = [[points[0]]]
    for gap, point in zip(gaps, points[1:], strict=True):
        if gap > limit:
            runs.append([])
        runs[-1].append(point)
    return runs


def _heatmap(
    draw: ImageDraw.ImageDraw,
    fonts: _Fonts,
    panel: Heatmap,
    x_range: tuple[float, float],
    box: tuple[float, float, float, float],
) -> None:
    count = len(panel.rows)
    row_h = (box[3] - box[1]) / count
    low, high = panel.value_range
    for i, row in enumerate(panel.rows):
        top, bottom = box[1] + i * row_h, box[1] + (i + 1) * row_h
        points = row.points
        for j, (t, value) in enumerate(points):
            start = points[j - 1][0] if j else t - _spacing(points)
            x0, x1 = _x(max(start, x_range[0]), x_range, box), _x(t, x_range, box)
            share = (value - low) / (high - low) if high > low else 0.0
            draw.rectangle(
                [x0 * S, top * S, x1 * S, bottom * S - (S if row_h > 4 else 0)],
                fill=_rgb(_heat(share)),
            )
    labelled = range(count) if row_h >= 8 else sorted({0, count - 1})
    for i in labelled:
        label = panel.rows[i].label.removeprefix("core ")
        y = box[1] + (i + 0.5) * row_h
        draw.text(
            ((box[0] - 4) * S, y * S), label, fill=_rgb(theme.MUTED), font=fonts.small, anchor="rm"
        )


def _spacing(points: Sequence[Point]) -> float:
    if len(points) < 2:
        return 15.0
    return statistics.median(b[0] - a[0] for a, b in itertools.pairwise(points))


def _heat(share: float) -> int:
    share = min(max(share, 0.0), 1.0)
    stops = theme.HEAT_STOPS
    for (p0, c0), (p1, c1) in itertools.pairwise(stops):
        if share <= p1:
            f = (share - p0) / (p1 - p0)
            return _mix(c0, c1, f)
    return stops[-1][1]


def _mix(a: int, b: int, f: float) -> int:
    out = 0
    for shift in (16, 8, 0):
        ca, cb = (a >> shift) & 0xFF, (b >> shift) & 0xFF
        out |= round(ca + (cb - ca) * f) << shift
    return out


def _time_ticks(x_range: tuple[float, float]) -> list[float]:
    """Round clock times (every 1, 2, 5, 10... minutes) inside the range, at most 6."""
    start, end = x_range
    span = end - start
    most = _MAX_X_TICKS if span >= 5 * 60 else _MAX_X_TICKS - 2  # HH:MM:SS labels are wider
    step = next((s for s in _TICK_STEPS_S if span / s <= most), _TICK_STEPS_S[-1])
    first = math.ceil(start / step) * step
    ticks: list[float] = []
    t = float(first)
    while t <= end:
        ticks.append(t)
        t += step
    return ticks


def _number(value: float) -> str:
    """Axis label: ``0``, ``2.5``, ``750``, ``1,000``, ``12k``, ``1.5M``."""
    value = float(value)
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if abs(value) >= 10_000:
        return f"{value / 1000:g}k"
    if value.is_integer():
        return f"{value:,.0f}"
    return f"{value:,.1f}".rstrip("0").rstrip(".")
