"""Keep telemetry bugs out of the bot.

Every piece of instrumentation code that runs inside the bot's call paths goes
through :func:`swallow`: a failure is logged once per site to a logger that does
not propagate (so an OTel logging bridge on the root logger never sees it and
cannot loop it back into our own exporters), and the bot carries on.
"""

from __future__ import annotations

import contextlib
import logging
from collections import deque
from typing import Final

from otel_discord.instrumentation._names import INTERNAL_LOGGER

_logger: Final = logging.getLogger(INTERNAL_LOGGER)
# Not propagated: a bridge (LoggingHandler) on the root logger would otherwise turn
# our own failure reports into telemetry, which can fail again, and so on.
_logger.propagate = False

_reported_sites: set[str] = set()

RECENT_FAILURES: Final[deque[BaseException]] = deque(maxlen=32)
"""The last telemetry failures swallowed; tests assert it stays empty."""


def swallow(site: str, exc: BaseException) -> None:
    """Record a telemetry failure at ``site`` without raising into the bot."""
    RECENT_FAILURES.append(exc)
    if site in _reported_sites:
        return
    _reported_sites.add(site)
    with contextlib.suppress(Exception):  # reporting must not fail either
        _logger.warning(
            "otel-discord instrumentation failed in %s; the bot is unaffected",
            site,
            exc_info=exc,
        )
