"""The running bot's token, for channel-ID destinations configured without one.

When the bot is instrumented in the same process, ``OTEL_EXPORTER_DISCORD_BOT_TOKEN``
may be left unset: the instrumentation offers the token of the client that
connected, so there is no second copy of the secret. Messages wait (in bounded
memory) until it is known.
"""

from __future__ import annotations

import threading

from otel_discord.delivery.redaction import REDACTOR

_lock = threading.Lock()
_token: str | None = None


def offer_bot_token(token: object) -> bool:
    """Remember the first usable token offered; True if it was taken."""
    global _token  # noqa: PLW0603 - one process, one bot identity to borrow
    if not isinstance(token, str) or not token.strip():
        return False
    with _lock:
        if _token is not None:
            return False
        _token = token.strip()
        REDACTOR.add(_token)
    return True


def current_bot_token() -> str | None:
    """The borrowed token, if a client has connected."""
    return _token


def forget_bot_token() -> None:
    """Drop the borrowed token (tests, and uninstrumenting)."""
    global _token  # noqa: PLW0603
    with _lock:
        _token = None
