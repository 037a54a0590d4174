"""Discord's dark theme, as the chart is drawn: colours and sizes in display pixels.

An embed image is shown 400 px wide; the PNG is drawn at ``SCALE`` × that so it is
sharp on high-density screens, and every size below is in display pixels.
"""

from __future__ import annotations

from typing import Final

SCALE: Final = 2
WIDTH: Final = 400
"""Display width; the PNG is ``WIDTH * SCALE`` pixels wide."""

BACKGROUND: Final = 0x2B2D31
"""An embed's background in the dark theme: the chart blends into it."""
GRID: Final = 0x404249
TEXT: Final = 0xDBDEE1
MUTED: Final = 0x949BA4
ALERT: Final = 0xF23F43

BLUE: Final = 0x7289FF
GREEN: Final = 0x3BD67F
YELLOW: Final = 0xFEE75C
FUCHSIA: Final = 0xEB459E
CYAN: Final = 0x00B0F4

HEAT_STOPS: Final = ((0.0, 0x313338), (0.35, 0x3C4FC8), (0.7, 0xE8A33D), (1.0, 0xF23F43))
"""Heatmap colours from idle (nearly the background) through blue and amber to red."""

FONT: Final = 12
FONT_SMALL: Final = 11
LINE: Final = 1.5
PANEL_HEIGHT: Final = 62
HEATMAP_ROW_MAX: Final = 10
HEATMAP_HEIGHT_MAX: Final = 80
HEADER: Final = 17
AXIS_LEFT: Final = 36
MARGIN: Final = 8
GAP: Final = 8
X_AXIS: Final = 17
CAPTION: Final = 15
