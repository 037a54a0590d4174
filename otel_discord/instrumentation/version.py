"""Version reported as the instrumentation scope version."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("otel-discord")
except PackageNotFoundError:  # running from a source tree without metadata
    __version__ = "0.0.0"
