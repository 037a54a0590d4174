"""The one switch every patched callable reads.

Patched callables fall straight through to the original when ``current`` is None,
so a bot keeps working even if a third party re-patched over us and we could not
restore the original on uninstrument.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from otel_discord.instrumentation._telemetry import Recorder

current: Recorder | None = None
