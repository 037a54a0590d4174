"""OpenTelemetry severity numbers the package acts on (WARN 13-16, ERROR 17-20, FATAL 21-24)."""

from __future__ import annotations

from typing import Final

SEVERITY_WARN: Final = 13
"""WARN: the lowest severity that reaches the logs channel by default."""
SEVERITY_ERROR: Final = 17
"""ERROR: counts as an error (error rate, storm window, red embeds, urgent delivery)."""
SEVERITY_FATAL: Final = 21
"""FATAL: shown darker than an error."""


def is_error(severity_number: int) -> bool:
    """True from ERROR (17) up; spans that failed are reported at 17."""
    return severity_number >= SEVERITY_ERROR


def severity_from_level(level: int) -> int:
    """Map a Python logging level to an OpenTelemetry severity number."""
    if level >= 50:
        return SEVERITY_FATAL
    if level >= 40:
        return SEVERITY_ERROR
    if level >= 30:
        return SEVERITY_WARN
    if level >= 20:
        return 9
    return 5 if level >= 10 else 1
