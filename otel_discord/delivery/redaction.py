"""Keep secrets out of every log line, even ones written by httpx.

httpx logs each request's full URL at INFO level, and a webhook URL contains
its token. A filter on the loggers that could see a URL replaces every
registered secret with ``***`` before any handler formats the record.
"""

from __future__ import annotations

import logging
import threading

from otel_discord.fork_safety import reset_after_fork

_MASK = "***"
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
