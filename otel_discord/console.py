"""Keep the bot's console output exactly as it is without the logging bridge.

The OpenTelemetry logging bridge is a handler on the root logger. Python only
prints through ``logging.lastResort`` while *no* handler is found for a record,
so the bridge alone would silence a script's warnings and tracebacks; adding
``lastResort`` as a real handler instead prints everything twice once the bot
(or ``bot.run()``) adds its own, and prints what a library's ``NullHandler``
keeps quiet (discord.py's "PyNaCl is not installed").

:class:`LastResortStandIn` does what Python does: it prints through
``logging.lastResort`` only when the record would have found no handler other
than the bridge. ``logging.basicConfig`` configures only a root without
handlers, so it is wrapped to look past the bridge and the stand-in (and keep
them through ``force=True``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Final

_install_lock = threading.Lock()
_ORIGINAL_BASIC_CONFIG: Final = logging.basicConfig


def is_bridge(handler: logging.Handler) -> bool:
    """An OpenTelemetry logging bridge (the SDK's or opentelemetry-instrumentation-logging's)."""
    return type(handler).__module__.startswith("opentelemetry.")


def _ours(handler: logging.Handler) -> bool:
    return isinstance(handler, LastResortStandIn) or is_bridge(handler)


class LastResortStandIn(logging.Handler):
    """Prints a record through ``logging.lastResort`` exactly when Python would."""

    def handle(self, record: logging.LogRecord) -> bool:
        resort = logging.lastResort
        if resort is None or record.levelno < resort.level or _has_own_handler(record.name):
            return False
        resort.handle(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:  # pragma: no cover - handle() decides
        self.handle(record)


def _has_own_handler(name: str) -> bool:
    """Would ``Logger.callHandlers`` find a handler that is not the bridge nor the stand-in?"""
    root = logging.getLogger()
    found = logging.Logger.manager.loggerDict.get(name)
    logger: logging.Logger | None = found if isinstance(found, logging.Logger) else root
    while logger is not None:
        if any(not _ours(h) for h in logger.handlers):
            return True
        logger = logger.parent if logger.propagate else None
    return False


_saved: dict[str, Callable[..., None]] = {}
"""The original ``logging.basicConfig`` while ours is installed."""


def _basic_config(**kwargs: Any) -> None:
    """``logging.basicConfig`` as if the bridge and stand-in were not on the root logger."""
    original = _saved.get("basicConfig", _ORIGINAL_BASIC_CONFIG)
    root = logging.getLogger()
    kept = [h for h in root.handlers if _ours(h)]
    for handler in kept:
        root.removeHandler(handler)
    try:
        original(**kwargs)
    finally:
        for handler in kept:
            root.addHandler(handler)


def keep_console_output() -> LastResortStandIn | None:
    """Install the stand-in on the root logger (once) and make ``basicConfig`` see past it.

    Returns the handler when this call added it (remove it with :func:`release_console`).
    """
    with _install_lock:
        root = logging.getLogger()
        if "basicConfig" not in _saved:
            _saved["basicConfig"] = logging.basicConfig
            logging.basicConfig = _basic_config
        if any(isinstance(h, LastResortStandIn) for h in root.handlers):
            return None
        stand_in = LastResortStandIn()
        root.addHandler(stand_in)
        return stand_in


def release_console(stand_in: logging.Handler | None) -> None:
    """Undo :func:`keep_console_output`: remove the stand-in, restore ``basicConfig``."""
    with _install_lock:
        if stand_in is not None:
            logging.getLogger().removeHandler(stand_in)
        original = _saved.pop("basicConfig", None)
        if original is not None and logging.basicConfig is _basic_config:
            logging.basicConfig = original
