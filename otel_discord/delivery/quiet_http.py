"""Keep our own HTTP requests off the bot's console.

httpx logs every request at INFO ("HTTP Request: POST .../webhooks/...") and
httpcore every step at DEBUG. A bot that configured INFO logging would print a
line per Discord post we make, and the bridge would feed them back as records.
Records logged while *we* are posting are dropped; the bot's own httpx use logs
as before.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Final

HTTP_LOGGERS: Final = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)

_posting = threading.local()


class _OwnRequestsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(_posting, "active", False)


_FILTER: Final = _OwnRequestsFilter()


def install() -> None:
    """Put the filter on the HTTP client's loggers (idempotent)."""
    for name in HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


@contextlib.contextmanager
def own_request() -> Iterator[None]:
    """Mark the current thread as posting for otel-discord."""
    previous = getattr(_posting, "active", False)
    _posting.active = True
    try:
        yield
    finally:
        _posting.active = previous
