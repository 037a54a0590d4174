"""Which flavour a ``discord`` module is, and a flavour whose hook points moved."""

from __future__ import annotations

import asyncio
from types import ModuleType

import discord

from otel_discord.instrumentation import _safety
from otel_discord.instrumentation._errors import ErrorKinds
from otel_discord.instrumentation._library import Library, command_kind, merge
from otel_discord.instrumentation._patching import MARKER, Patcher
from otel_discord.instrumentation._targets import (
    DISCORD_PY,
    installed_libraries,
    library_of,
    patch_library,
)


class TestLibraryOf:
    """Flavours are told apart by where their Client lives."""

    def test_discord_py(self) -> None:
        """discord.py (with app_commands) is DISCORD_PY."""
        assert DISCORD_PY is library_of(discord)

    def test_installed_once_each(self) -> None:
        """Each installed Client appears once (nextcord's ``discord`` alias would repeat it)."""
        found = installed_libraries()
        clients = [module.Client for module, _ in found]
        assert len(set(clients)) == len(clients)
        assert (discord, DISCORD_PY) in found


class TestMovedHookPoints:
    """A release that moved a command hook point keeps the shared hooks."""

    def test_shared_hooks_stay_and_the_failure_is_reported_once(self) -> None:
        """The library's own patch fails: dispatch is still wrapped, the bot unaffected."""

        def moved(patcher: Patcher, module: ModuleType) -> None:
            msg = "module 'discord.bot' has no attribute 'ApplicationCommandMixin'"
            raise AttributeError(msg)

        patcher = Patcher()
        try:
            patch_library(patcher, discord, Library("py-cord", moved, ErrorKinds))
            assert getattr(vars(discord.Client)["dispatch"], MARKER, False)
        finally:
            patcher.restore()
        failures = list(_safety.RECENT_FAILURES)
        _safety.RECENT_FAILURES.clear()
        assert [AttributeError] == [type(exc) for exc in failures]


class TestHelpers:
    """Small shared pieces of the flavour table."""

    def test_command_kind(self) -> None:
        """Interaction data type 1/2/3 is slash/user/message; missing data is slash."""
        assert ["slash", "user", "message", "slash"] == [
            command_kind({"type": 1}),
            command_kind({"type": 2}),
            command_kind({"type": 3}),
            command_kind(None),
        ]

    def test_merge_keeps_each_class_once(self) -> None:
        """Merged error kinds list every class once, cancellation always a user error."""
        merged = merge(
            [
                ErrorKinds(user_errors=(KeyError,), not_found=(LookupError,)),
                ErrorKinds(user_errors=(KeyError, ValueError), not_found=(LookupError,)),
            ]
        )
        assert (asyncio.CancelledError, KeyError, ValueError) == merged.user_errors
        assert (LookupError,) == merged.not_found
