"""The preview page's static files, read from package data (never written anywhere)."""

from __future__ import annotations

from importlib.resources import files
from typing import Final

_ASSETS: Final = (
    ("/", "page.html", "text/html; charset=utf-8"),
    ("/page.css", "page.css", "text/css; charset=utf-8"),
    ("/page.js", "page.js", "text/javascript; charset=utf-8"),
)
"""URL path, file in this package, content type."""


def page_assets() -> dict[str, tuple[str, bytes]]:
    """The page and its assets as ``DiscordServer(pages=...)`` takes them."""
    package = files(__package__ or "otel_discord.preview")
    return {path: (ctype, package.joinpath(name).read_bytes()) for path, name, ctype in _ASSETS}
