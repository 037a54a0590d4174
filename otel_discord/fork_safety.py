"""After ``os.fork()``: the child's copy of each registered object drops what the parent held.

A forked child has only the thread that forked: the senders, the scheduler and the
live-message threads are gone, a lock another thread held at that moment would stay
held for ever, and outboxes and buffers hold the parent's items (the parent sends
and counts them itself). Each registered object's ``after_fork_in_child`` renews its
locks and events and drops the parent's items; threads start again on first use, as
after ``configure()``. Weak references: an object collected needs nothing.
"""

from __future__ import annotations

import contextlib
import os
import weakref
from typing import Protocol


class ForkAware(Protocol):
    def after_fork_in_child(self) -> None: ...


_registered: weakref.WeakSet[ForkAware] = weakref.WeakSet()


def reset_after_fork(obj: ForkAware) -> None:
    """Call ``obj.after_fork_in_child()`` in every forked child while ``obj`` lives."""
    _registered.add(obj)


def _after_fork_in_child() -> None:
    for obj in list(_registered):
        with contextlib.suppress(Exception):  # the child's own code runs next: never break it
            obj.after_fork_in_child()


if hasattr(os, "register_at_fork"):  # POSIX only
    os.register_at_fork(after_in_child=_after_fork_in_child)
