"""The installed version, read once from the distribution's metadata."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("otel-discord")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"
