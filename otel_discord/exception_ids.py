"""One exception, one embed: a token per exception object, carried on every record of it.

The same exception reaches the exporters up to three times: on the command's
span, as the instrumentation's "Unhandled exception in ..." record and as the
library's own "Ignoring exception in ..." log record. Span ids cannot tell them
apart from a *different* error logged in the same span, so each record carries
the identity of the exception object instead (``ATTR_EXCEPTION_ID``), and the
pipeline shows the first record of a token and counts every other token.

Wrapper exceptions (discord.py's ``CommandInvokeError`` and friends, which keep
the real one in ``.original``) share the token of what they wrap.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Final

from otel_discord.fork_safety import in_forked_child

ATTR_EXCEPTION_ID: Final = "otel_discord.exception.id"
"""Record/span-event attribute: the token of the exception object it reports."""
ATTR_TYPE: Final = "otel_discord.exception.type"
"""Log-record attribute: the fully qualified type of the exception the code raised (unwrapped),
named as the instrumentation names it, so both kinds of record of one error group together."""
ATTR_MESSAGE: Final = "otel_discord.exception.message"
"""Log-record attribute: ``str()`` of that exception."""
ATTR_USER_ERROR: Final = "otel_discord.exception.user_error"
"""Log-record attribute: the exception was a user's mistake (its reason), reported by the
library's default command-error handler rather than escaping the bot's own handlers."""

_MAX_UNWRAP: Final = 8
_lock = threading.Lock()
_counter = itertools.count(1)
_USER_ATTRIBUTE: Final = "_otel_discord_user_error"
_ESCAPED_ATTRIBUTE: Final = "_otel_discord_escaped"
_TOKEN_ATTRIBUTE: Final = "_otel_discord_exception_id"  # noqa: S105  (an attribute name)


def _after_fork_in_child() -> None:
    global _lock  # noqa: PLW0603 - another thread may have held it at the fork
    _lock = threading.Lock()


in_forked_child(_after_fork_in_child)


def innermost(exc: BaseException) -> BaseException:
    """Follow ``.original`` (discord.py's wrappers) to the exception the code raised.

    A ``TransformerError`` raised ``from`` another exception wraps a bug in a
    transformer's own code (discord.py's ``raise TransformerError(...) from e``); one
    without a cause is the user's bad input.
    """
    for _ in range(_MAX_UNWRAP):
        inner = getattr(exc, "original", None)
        if inner is None and type(exc).__name__ == "TransformerError":
            inner = exc.__cause__
        if not isinstance(inner, BaseException) or inner is exc:
            break
        exc = inner
    return exc


def qualified_type(exc: BaseException) -> str:
    """The exception's fully qualified class name, builtins bare (``error.type``'s choice)."""
    cls = type(exc)
    module = cls.__module__
    if module == "builtins":
        return cls.__qualname__
    return f"{module}.{cls.__qualname__}"


def exception_id(exc: BaseException) -> str:
    """The token of ``exc`` (unwrapped): equal for the same object, unique across processes.

    Kept on the exception itself: built-in exceptions take no weak references, and an
    ``id()`` is reused as soon as the object is gone (a later error would look the same).
    """
    exc = innermost(exc)
    token = getattr(exc, _TOKEN_ATTRIBUTE, None)
    if isinstance(token, str):
        return token
    with _lock:
        token = f"{os.getpid():x}-{next(_counter)}"
    try:
        setattr(exc, _TOKEN_ATTRIBUTE, token)
    except (AttributeError, TypeError):  # an exception type that takes no attributes
        return f"{os.getpid():x}-i{id(exc):x}"
    return token


def mark_user_error(exc: BaseException, reason: str) -> None:
    """Remember on ``exc`` that it is a user's mistake (``reason``), not a bug."""
    with contextlib.suppress(AttributeError, TypeError):
        setattr(innermost(exc), _USER_ATTRIBUTE, reason)


def mark_escaped(exc: BaseException) -> None:
    """Remember on ``exc`` that it escaped into ``on_error``: the bot's unhandled error."""
    with contextlib.suppress(AttributeError, TypeError):
        setattr(innermost(exc), _ESCAPED_ATTRIBUTE, True)


def user_error_reason(exc: BaseException) -> str | None:
    """The reason of a user's mistake that did not escape the bot's handlers, else None."""
    inner = innermost(exc)
    if getattr(inner, _ESCAPED_ATTRIBUTE, False):
        return None
    reason = getattr(inner, _USER_ATTRIBUTE, None)
    return reason if isinstance(reason, str) else None


RECORD_CONTEXT: Final[list[Callable[[], Mapping[str, object]]]] = []
"""Attributes for the record being logged, from what is running (the instrumentation adds
the command in flight: the bot's own ``log.exception`` in its handler then names it)."""


class ExceptionIdFilter(logging.Filter):
    """Adds ``ATTR_EXCEPTION_ID`` to records with ``exc_info`` (put it on the bridge handler).

    It also keeps records from the bridge once the interpreter is finalizing: the
    pipeline has flushed by then, and the SDK's batch processor raises (it imports
    ``copy`` after ``sys.meta_path`` is gone) into whoever logged. asyncio logs
    "Task exception was never retrieved" exactly then, from a failed task's
    ``__del__``; the console's own handlers still print it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if sys.is_finalizing():
            return False
        for provide in RECORD_CONTEXT:
            with contextlib.suppress(Exception):  # the bot's logging comes first
                for key, value in provide().items():
                    if not hasattr(record, key):
                        setattr(record, key, value)
        exc_info = record.exc_info
        if exc_info and isinstance(exc_info[1], BaseException):
            with contextlib.suppress(Exception):  # the bot's logging comes first
                setattr(record, ATTR_EXCEPTION_ID, exception_id(exc_info[1]))
                inner = innermost(exc_info[1])
                setattr(record, ATTR_TYPE, qualified_type(inner))
                setattr(record, ATTR_MESSAGE, str(inner))
                reason = user_error_reason(exc_info[1])
                if reason is not None:
                    setattr(record, ATTR_USER_ERROR, reason)
        return True


def tag_bridges(root: logging.Logger | None = None) -> list[tuple[logging.Handler, logging.Filter]]:
    """Put one :class:`ExceptionIdFilter` on every OpenTelemetry bridge of the root logger.

    Returns the (handler, filter) pairs it added, so that whoever tagged can untag.
    """
    from otel_discord.console import is_bridge

    tagged: list[tuple[logging.Handler, logging.Filter]] = []
    for handler in (root or logging.getLogger()).handlers:
        if is_bridge(handler) and not any(
            isinstance(f, ExceptionIdFilter) for f in handler.filters
        ):
            added = ExceptionIdFilter()
            handler.addFilter(added)
            tagged.append((handler, added))
    return tagged
