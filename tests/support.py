"""Small helpers shared by test packages (imported as ``tests.support``)."""

from __future__ import annotations

import re
from typing import Any, Final

QUIET_INTERVALS: Final[dict[str, Any]] = {
    "performance_interval_ms": 3_600_000,
    "system_interval_ms": 3_600_000,
    "analytics_interval_ms": 3_600_000,
    "health_interval_ms": 3_600_000,
    "alert_interval_ms": 3_600_000,
}
"""Schedules far in the future: tests trigger jobs with ``scheduler.run_now``."""

KINDS: Final = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "sierra",
    "tango",
]
"""Twenty error kinds that differ in words (digits are blanked when errors are grouped)."""

_OCCURRENCES: Final = re.compile(r"\*\*([\d,]+) occurrences\*\*")


def occurrences(embed: dict[str, Any]) -> int:
    """How many errors an error embed stands for (1 unless it says otherwise)."""
    match = _OCCURRENCES.search(str(embed.get("description", "")))
    return int(match.group(1).replace(",", "")) if match else 1
