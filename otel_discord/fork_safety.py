"""After ``os.fork()``: the child's copy of each registered object drops what the parent held.

A forked child has only the thread that forked: the senders, the scheduler and the
live-message threads are gone, a lock another thread held at that moment would stay
held for ever, and outboxes and buffers hold the parent's items (the parent sends
and counts them itself). Each registered object's ``after_fork_in_child`` renews its
locks and events and drops the parent's items; threads start again on first use, as
after ``configure()``. Weak references: an object collected needs nothing.
Module-level state (a module's lock) registers a function with ``in_forked_child``.
The one place that calls ``os.register_at_fork``.
"""

from __future__ import annotations

import contextlib
import os
import weakref
from collections.abc import Callable
from typing import Protocol


class ForkAware(Protocol):
    def after_fork_in_child(self) -> None: ...


_registered: weakref.WeakSet[ForkAware] = weakref.WeakSet()
_module_hooks: list[Callable[[], None]] = []


def reset_after_fork(obj: ForkAware) -> None:
    """Call ``obj.after_fork_in_child()`` in every forked child while ``obj`` lives."""
    _registered.add(obj)


def in_forked_child(hook: Callable[[], None]) -> None:
    """Run ``hook`` in every forked child (module-level state: a lock, a registry's)."""
    _module_hooks.append(hook)


def _after_fork_in_child() -> None:
    for hook in _module_hooks:
        with contextlib.suppress(Exception):
            hook()
    for obj in list(_registered):
        with contextlib.suppress(Exception):  # the child's own code runs next: never break it
            obj.after_fork_in_child()


if hasattr(os, "register_at_fork"):  # POSIX only
    os.register_at_fork(after_in_child=_after_fork_in_child)
