"""The libraries this instrumentation instruments (read by ``opentelemetry-instrument``).

discord.py and its forks are alternatives (py-cord and discord.py cannot even share
an environment), so they are declared the way OpenTelemetry declares either/or
targets: ``_instruments`` (all required) is empty and ``_instruments_any`` (one is
enough) lists them, mirrored by the ``instruments-any`` extra in ``pyproject.toml``.
"""

from __future__ import annotations

from typing import Final

_instruments_discord_py: Final = "discord.py >= 2.0"
_instruments_py_cord: Final = "py-cord >= 2.0"
_instruments_nextcord: Final = "nextcord >= 2.0"
_instruments_disnake: Final = "disnake >= 2.2"

_instruments: Final[tuple[str, ...]] = ()
_instruments_any: Final = (
    _instruments_discord_py,
    _instruments_py_cord,
    _instruments_nextcord,
    _instruments_disnake,
)
