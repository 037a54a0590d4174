"""How a command ended: success, a user's mistake (with a reason), or a bug.

A user typing a bad argument, hitting a cooldown or lacking a permission fails
the command, but nothing in the bot is broken: such failures carry a short
reason (``bad argument``, ``on cooldown`` ...) that the analytics summary breaks
failures down by, and ``error.type`` on the span, but no ERROR status, no
exception event and no error log, so they stay out of #logs and the health
score. So does a refusal: a ``CommandError`` the bot's own code raises on purpose
(``raise NotConnected()``, ``class NotConnected(commands.CommandError)``), discord.py's
way for a bot to tell its user "no" through its error handler (reason ``refused``).
Everything else is a bug (reason ``error``).

The table is looked up once against the installed discord.py; a class missing
from a fork is skipped. Order matters: the first matching row wins, so the
specific subclasses come before ``UserInputError`` and ``CheckFailure``.
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from opentelemetry.trace import Span

from otel_discord.exception_ids import innermost, mark_user_error
from otel_discord.instrumentation._names import ATTR_COMMAND_NAME, ATTR_ERROR_TYPE

REASON_ERROR: Final = "error"
"""A bug in the bot's code (or any exception that is not a user's mistake)."""
REASON_REFUSED: Final = "refused"
"""The bot's own code raised a command error on purpose (see ``raised_on_purpose``)."""
REASON_CHECK: Final = "check failed"
"""A check refused the run without an exception (``interaction_check`` returned False)."""

_MODULES: Final = ("discord.ext.commands", "discord.app_commands")

REASONS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("missing argument", ("MissingRequiredArgument", "MissingRequiredAttachment")),
    ("on cooldown", ("CommandOnCooldown",)),
    ("busy", ("MaxConcurrencyReached",)),
    ("unknown command", ("CommandNotFound",)),
    ("disabled", ("DisabledCommand",)),
    ("not owner", ("NotOwner",)),
    (
        "missing permission",
        (
            "MissingPermissions",
            "BotMissingPermissions",
            "MissingRole",
            "MissingAnyRole",
            "BotMissingRole",
            "BotMissingAnyRole",
        ),
    ),
    ("wrong channel", ("NoPrivateMessage", "PrivateMessageOnly", "NSFWChannelRequired")),
    (REASON_CHECK, ("CheckFailure",)),
    ("bad argument", ("UserInputError", "TransformerError")),
)
"""(reason, discord.py exception class names), most specific first."""

REFUSAL_BASES: Final = (
    ("discord.ext.commands", "CommandError"),
    ("discord.app_commands", "AppCommandError"),
    ("discord", "ApplicationCommandError"),  # py-cord's application commands
    ("nextcord.ext.commands", "CommandError"),
    ("nextcord", "ApplicationError"),
    ("disnake.ext.commands", "CommandError"),
)
"""(module, class): the command errors a bot raises to refuse a run, from the library the
bot imported (importing another one on a failing command would block its loop)."""

_LIBRARIES: Final = frozenset({"discord", "nextcord", "disnake", "otel_discord"})
"""Top-level packages whose own raises are never the bot's refusals."""


def raised_on_purpose(exc: BaseException) -> bool:
    """Whether the frame that raised ``exc`` is the bot's, not the library's.

    discord.py passes a ``CommandError`` raised in a command, check or converter on to
    the error handlers as it is (anything else comes wrapped); the library raises bare
    command errors of its own too (``AppCommandError`` for malformed data), from its frames.
    """
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    module = tb.tb_frame.f_globals.get("__name__")
    return isinstance(module, str) and module.partition(".")[0] not in _LIBRARIES


@dataclass(frozen=True, slots=True)
class Outcomes:
    """The reason table resolved against the installed library."""

    rows: Sequence[tuple[type[BaseException], str]] = ()
    refusals: tuple[type[BaseException], ...] = ()

    def reason(self, exc: BaseException | None) -> str:
        """The failure reason of ``exc`` (already unwrapped); ``error`` for a bug."""
        if exc is None:
            return REASON_CHECK
        for cls, reason in self.rows:
            if isinstance(exc, cls):
                return reason
        if isinstance(exc, self.refusals) and raised_on_purpose(exc):
            return REASON_REFUSED
        return REASON_ERROR

    def is_user_error(self, exc: BaseException | None) -> bool:
        """A user's mistake, not a bug (no exception at all counts as a refused check)."""
        return self.reason(exc) != REASON_ERROR


def _import(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def resolve_outcomes(modules: Sequence[str] = _MODULES) -> Outcomes:
    """Build :class:`Outcomes` from the discord.py (or fork) classes that exist."""
    loaded = [m for m in map(_import, modules) if m is not None]
    rows: list[tuple[type[BaseException], str]] = []
    for reason, class_names in REASONS:
        for module in loaded:
            for class_name in class_names:
                cls = getattr(module, class_name, None)
                if isinstance(cls, type) and issubclass(cls, BaseException):
                    rows.append((cls, reason))
    refusals = []
    for module_name, class_name in REFUSAL_BASES:
        cls = getattr(sys.modules.get(module_name), class_name, None)
        if isinstance(cls, type) and issubclass(cls, BaseException) and cls not in refusals:
            refusals.append(cls)
    return Outcomes(tuple(rows), tuple(refusals))


def settled_name(owner: Any, started_as: str) -> str:
    """The command's qualified name once it ran: a group's subcommand is known only then."""
    command = getattr(owner, "command", None)
    name = getattr(command, "qualified_name", None)
    if isinstance(name, str) and name.startswith(started_as + " "):
        return name
    return started_as


def settle_name(probe: Any) -> None:
    """Rename a prefix group's probe and span to the subcommand that ran (``warning add``)."""
    name = settled_name(probe.owner, probe.name)
    if name != probe.name:
        probe.name = name
        probe.span.update_name(name)
        probe.span.set_attribute(ATTR_COMMAND_NAME, name)


@functools.cache
def outcomes() -> Outcomes:
    """The table for the installed library, resolved on first use."""
    return resolve_outcomes()


def mark_user_failure(span: Span, kind: str) -> None:
    """A user's mistake on the span: ``error.type``, no ERROR status, no exception event.

    Like an HTTP 4xx on a server span: the operation failed, the service did not.
    """
    span.set_attribute(ATTR_ERROR_TYPE, kind)


_NAMED_REASONS: Final = (
    ("NotOwner", "not owner"),
    ("Cooldown", "on cooldown"),
    ("Permission", "missing permission"),
    ("Role", "missing permission"),
    ("MissingRequired", "missing argument"),
    ("NotFound", "unknown command"),
    ("Check", REASON_CHECK),
)
"""A fork's user-error class the table does not name, read from its class name."""


def classify(exc: BaseException | None, kinds: Any = None) -> str:
    """The failure reason, the table first, then a fork's own user errors (``ErrorKinds``)."""
    reason = outcomes().reason(exc)
    if reason != REASON_ERROR or exc is None or kinds is None or kinds.is_bug(exc):
        return reason
    name = type(exc).__name__
    return next((r for part, r in _NAMED_REASONS if part in name), "bad argument")


def mark_if_user_error(exc: BaseException, kinds: Any = None) -> None:
    """Tag a user's mistake on the exception, so the library's log record of it is known."""
    raw = innermost(exc)
    reason = classify(raw, kinds)
    if reason != REASON_ERROR:
        mark_user_error(raw, reason)
