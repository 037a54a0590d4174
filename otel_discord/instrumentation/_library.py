"""What a Discord library contributes beyond the shared hooks: its own hook points and errors.

discord.py and each fork name their command entry points and exception classes
differently; one :class:`Library` per flavour says where, so ``_targets`` stays a
table and each flavour's names live in a small module of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Final

from otel_discord.instrumentation import _names as n
from otel_discord.instrumentation._errors import ErrorKinds
from otel_discord.instrumentation._patching import Patcher

APPLICATION_COMMAND: Final = 2
"""``InteractionType.application_command`` in every flavour (autocomplete is 4)."""

_KINDS: Final = {1: n.KIND_SLASH, 2: n.KIND_USER, 3: n.KIND_MESSAGE}


def command_kind(data: Any) -> str:
    """slash/user/message from an application-command interaction's raw ``data``."""
    return _KINDS.get((data or {}).get("type", 1), n.KIND_SLASH)


@dataclass(frozen=True, slots=True)
class Library:
    """One flavour of discord.py: its distribution name and what it adds."""

    distribution: str
    patch: Callable[[Patcher, ModuleType], None]
    error_kinds: Callable[[], ErrorKinds]


def prefix_user_errors(commands: Any) -> tuple[type[BaseException], ...]:
    """The ``ext.commands`` user-input errors every flavour shares by name."""
    return (
        commands.UserInputError,
        commands.CheckFailure,
        commands.CommandOnCooldown,
        commands.MaxConcurrencyReached,
        commands.DisabledCommand,
        commands.CommandNotFound,
    )


def merge(kinds: Iterable[ErrorKinds]) -> ErrorKinds:
    """One :class:`ErrorKinds` covering every installed library."""
    user: list[type[BaseException]] = [asyncio.CancelledError]
    not_found: list[type[BaseException]] = []
    for kind in kinds:
        user.extend(cls for cls in kind.user_errors if cls not in user)
        not_found.extend(cls for cls in kind.not_found if cls not in not_found)
    return ErrorKinds(user_errors=tuple(user), not_found=tuple(not_found))
