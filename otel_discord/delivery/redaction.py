"""Keep secrets out of every log line, even ones written by httpx.

httpx logs each request's full URL at INFO level, and a webhook URL contains
its token. A filter on the loggers that could see a URL replaces every
registered secret with ``***`` before any handler formats the record.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
from typing import Any, Final

from otel_discord.fork_safety import reset_after_fork

_MASK = "***"
_ESCAPES: Final = re.compile(r"[\\\u200b\n]")
"""What the renderers put inside a secret copied into an embed: markdown escapes
(a backslash before ``_``), the zero-width space that defuses mentions, and the line
breaks that wrap a code block."""
_GAP: Final = r"(?:\\|\u200b|\n)*"
"""Between the characters of a registered secret (all of it must match)."""
_NOISE: Final = r"\\|\u200b"
"""Inside a secret found by its shape (no line breaks: those end it)."""
_UNREGISTERED: Final = (
    # Any Discord webhook URL's token (or what a cut left of it), ours or not.
    re.compile(rf"(webhooks/\d{{15,21}}/)(?:[\w-]|{_NOISE})*[\w-]"),
    # A bot token: base64 user id, timestamp, HMAC.
    re.compile(
        rf"\b[MNO](?:[A-Za-z\d]|{_NOISE}){{17,40}}\\?\.(?:[\w-]|{_NOISE}){{6,12}}"
        rf"\\?\.(?:[\w-]|{_NOISE}){{27,80}}"
    ),
)
"""Secrets no one registered, found by their shape (in escaped text too)."""
LOGGERS_TO_GUARD = ("httpx", "otel_discord.delivery")
"""Loggers whose records may carry a URL or an exception text."""


class SecretRedactor(logging.Filter):
    """Replaces registered secrets in log records and in any text asked to scrub."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset()

    def after_fork_in_child(self) -> None:
        self._lock = threading.Lock()  # another thread may have held it at the fork

    def add(self, secret: str) -> None:
        if secret:
            with self._lock:
                self._secrets = self._secrets | {secret}

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, _MASK)
        return text

    def scrub_rendered(self, text: str) -> str:
        """``scrub`` for text the renderers escaped, plus any webhook or bot token's shape.

        A secret quoted in a log message reaches an embed with ``\\_`` escapes and
        zero-width spaces inside it; they are looked through.
        """
        plain = _ESCAPES.sub("", text)
        for secret in self._secrets:
            if secret in plain:
                text = _tolerant(secret).sub(_MASK, text)
        for pattern in _UNREGISTERED:
            if pattern.search(text):
                text = pattern.sub(_keep_prefix, text)
        return text

    def scrub_payload(self, payload: Any) -> Any:
        """Every string of a JSON payload through ``scrub_rendered`` (a new object)."""
        if isinstance(payload, str):
            return self.scrub_rendered(payload)
        if isinstance(payload, dict):
            clean = {key: self.scrub_payload(value) for key, value in payload.items()}
            if type(payload) is dict:
                return clean
            kept = copy.copy(payload)  # a dict that carries more (a message's files)
            kept.clear()
            kept.update(clean)
            return kept
        if isinstance(payload, list):
            return [self.scrub_payload(value) for value in payload]
        return payload

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's problem, not ours
            return True
        clean = self.scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        return True


_tolerant_cache: dict[str, re.Pattern[str]] = {}


def _tolerant(secret: str) -> re.Pattern[str]:
    """``secret`` with escapes or zero-width spaces allowed between its characters."""
    pattern = _tolerant_cache.get(secret)
    if pattern is None:
        pattern = re.compile(_GAP.join(re.escape(char) for char in secret))
        if len(_tolerant_cache) < 64:
            _tolerant_cache[secret] = pattern
    return pattern


def _keep_prefix(match: re.Match[str]) -> str:
    return (match.group(1) if match.re.groups else "") + _MASK


REDACTOR = SecretRedactor()
reset_after_fork(REDACTOR)
_installed = False
_install_lock = threading.Lock()


def guard_loggers() -> None:
    """Attach the redactor to the loggers that could leak a secret (once)."""
    global _installed  # noqa: PLW0603 - one process-wide installation
    with _install_lock:
        if _installed:
            return
        for name in LOGGERS_TO_GUARD:
            logging.getLogger(name).addFilter(REDACTOR)
        _installed = True
