"""Colours, icons and the footer every embed carries."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Final

from otel_discord.render.text import clip, one_line
from otel_discord.severity import SEVERITY_ERROR, SEVERITY_FATAL, SEVERITY_WARN

GREEN: Final = 0x2ECC71
YELLOW: Final = 0xF1C40F
RED: Final = 0xE74C3C
DARK_RED: Final = 0x992D22
BLUE: Final = 0x3498DB
GREY: Final = 0x95A5A6


def severity_colour(severity_number: int) -> int:
    """Colour of an OpenTelemetry severity: fatal dark red, error red, warn yellow, else blue."""
    if severity_number >= SEVERITY_FATAL:
        return DARK_RED
    if severity_number >= SEVERITY_ERROR:
        return RED
    if severity_number >= SEVERITY_WARN:
        return YELLOW
    return BLUE


def severity_icon(severity_number: int) -> str:
    """An icon that reads as the severity before the words do."""
    if severity_number >= SEVERITY_ERROR:
        return "❌"
    if severity_number >= SEVERITY_WARN:
        return "⚠️"
    return "ℹ️"


_LAST_SECOND: Final = 253_402_300_799
"""9999-12-31 23:59:59 UTC, the last second a ``datetime`` holds."""


def utc_seconds(seconds: float) -> datetime:
    """Unix seconds as an aware UTC time, clamped to 1970..9999: a broken or hostile
    timestamp (a record dated year 14,645) never fails a render."""
    if not math.isfinite(seconds):
        seconds = 0.0
    return datetime.fromtimestamp(min(max(seconds, 0.0), _LAST_SECOND), tz=timezone.utc)


def utc(time_ns: int) -> datetime:
    """``utc_seconds`` of nanoseconds, to the microsecond."""
    seconds, rest = divmod(int(time_ns), 1_000_000_000)
    at = utc_seconds(seconds)
    return at.replace(microsecond=rest // 1000) if 0 <= seconds <= _LAST_SECOND else at


def iso(time_ns: int) -> str:
    """ISO 8601 in UTC, as Discord's embed timestamp expects."""
    return utc(time_ns).isoformat(timespec="seconds")


def clock(time_ns: int) -> str:
    """``14:05:09`` in UTC, for time windows in text."""
    return utc(time_ns).strftime("%H:%M:%S")


def window_text(start_ns: int, end_ns: int) -> str:
    """``14:00:00–14:05:00 UTC``."""
    return f"{clock(start_ns)}–{clock(end_ns)} UTC"


NAME_CHARS: Final = 100
"""A service or host name in a footer: past this it only takes room from the content."""


def footer(service: str, host: str | None, extra: str | None = None) -> dict[str, str]:
    """Every embed says what service it came from."""
    parts = [f"service {clip(one_line(service), NAME_CHARS)}"]
    if host:
        parts.append(f"host {clip(one_line(host), NAME_CHARS)}")
    if extra:
        parts.append(extra)
    return {"text": " · ".join(parts)}
