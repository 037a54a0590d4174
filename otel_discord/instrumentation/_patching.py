"""Install wrappers on classes/modules and put the originals back exactly.

Each wrapper carries a marker and ``__wrapped__``; a second ``instrument()`` finds
the marker and skips, so nothing is wrapped twice. ``restore`` only puts the
original back where our wrapper is still the attribute: if a third party patched
over us, their wrapper stays (ours inside it falls through once instrumentation
is off).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from otel_discord.instrumentation._safety import swallow

MARKER: Final = "__otel_discord_wrapper__"
SHIM: Final = "__otel_discord_on_error__"
"""Marks a shim set on an instance (a bot's, a view's or a modal's ``on_error``, a
view's ``interaction_check``) whose class has one of its own; its ``__wrapped__`` is
what the instance had before, or None."""


def class_handler(owner: Any, name: str = "on_error") -> Any:
    """``owner``'s class ``name`` (``on_error``), bound as the class defines it (a plain
    function, a ``classmethod`` or a ``staticmethod``), past any shim on the instance."""
    for klass in type(owner).__mro__:
        raw = vars(klass).get(name)
        if raw is not None:
            get = getattr(raw, "__get__", None)
            return get(owner, type(owner)) if get is not None else raw
    raise AttributeError(name)


def remove_shim(owner: Any, found: Any, name: str = "on_error") -> None:
    """If ``found`` (``owner``'s own ``name``) is a shim, put back what it wrapped."""
    if found is None or not getattr(found, SHIM, False):
        return
    registered = found.__wrapped__
    if registered is None:
        delattr(owner, name)
    else:
        setattr(owner, name, registered)


@dataclass(frozen=True, slots=True)
class Patch:
    """One replaced attribute."""

    owner: Any
    attribute: str
    original: Any
    wrapper: Any


class Patcher:
    """Applies patches and undoes them in reverse order."""

    def __init__(self) -> None:
        self.applied: list[Patch] = []

    def wrap(self, owner: Any, attribute: str, factory: Callable[[Any], Any]) -> bool:
        """Replace ``owner.attribute`` (defined on ``owner`` itself) with ``factory(original)``."""
        original = vars(owner).get(attribute)
        if original is None or not callable(original) or getattr(original, MARKER, False):
            return False
        wrapper = factory(original)
        _keep_coroutine_function(original, wrapper)
        setattr(wrapper, MARKER, True)
        wrapper.__wrapped__ = original
        for name in ("__name__", "__qualname__", "__doc__", "__module__"):
            with contextlib.suppress(AttributeError, TypeError):
                setattr(wrapper, name, getattr(original, name))
        setattr(owner, attribute, wrapper)
        self.applied.append(Patch(owner, attribute, original, wrapper))
        return True

    def restore(self) -> None:
        """Put every original back (identity preserved)."""
        while self.applied:
            patch = self.applied.pop()
            try:
                if vars(patch.owner).get(patch.attribute) is patch.wrapper:
                    setattr(patch.owner, patch.attribute, patch.original)
            except Exception as exc:
                swallow(f"restore {patch.attribute}", exc)


def _keep_coroutine_function(original: Any, wrapper: Any) -> None:
    """Hot-path wrappers are plain functions returning the coroutine (one frame less);
    on Python 3.12+ they still pass ``inspect.iscoroutinefunction`` as the original did."""
    mark = getattr(inspect, "markcoroutinefunction", None)
    if (
        mark is not None
        and inspect.iscoroutinefunction(original)
        and not inspect.iscoroutinefunction(wrapper)
    ):
        mark(wrapper)
