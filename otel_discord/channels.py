"""The four Discord channels telemetry is streamed to."""

from __future__ import annotations

import enum


class Channel(str, enum.Enum):
    """A destination channel; the value is the name used in settings."""

    ANALYTICS = "analytics"
    DIAGNOSTICS = "diagnostics"
    LOGS = "logs"
    PERFORMANCE = "performance"

    @property
    def env_prefix(self) -> str:
        """The part of this channel's environment variable names, e.g. ``LOGS``."""
        return self.value.upper()
