"""Traceback paths as a reader wants them: short, and without this package's own frames.

``/home/bot/.venv/lib/python3.12/site-packages/discord/ext/commands/core.py``
becomes ``discord/ext/commands/core.py``, a standard-library file
``asyncio/tasks.py``, and the bot's own file is shown relative to its working
directory (``cogs/moderation.py``). Frames of otel_discord itself (the hooks a
handler ran through) say nothing about the bot's error and are left out. Pure.
"""

from __future__ import annotations

import re
from typing import Final

from otel_discord.fingerprint import is_own_frame

__all__ = ["display_path", "is_own_frame"]

_LIBRARY_ROOT: Final = re.compile(
    r"^.*?[\\/](?:site-packages|dist-packages|lib[\\/]python\d+(?:\.\d+)?t?)[\\/](?P<rest>.+)$"
)


def display_path(path: str, base_dir: str | None = None) -> str:
    """``path`` relative to its library root, else to ``base_dir``, else unchanged."""
    library = _LIBRARY_ROOT.match(path)
    if library:
        # a library inside the standard library's tree (site-packages) keeps its own root
        rest = library["rest"]
        inner = _LIBRARY_ROOT.match("/" + rest)
        return inner["rest"] if inner else rest
    if base_dir:
        prefix = base_dir.rstrip("\\/")
        if path.startswith(prefix) and path[len(prefix) : len(prefix) + 1] in ("/", "\\"):
            return path[len(prefix) + 1 :]
    return path
