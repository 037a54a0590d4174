"""What the outbox holds: items that render to embeds when they are sent.

Items render late, at packing time, so that identical items queued while
Discord is slow merge into one (a count goes up) instead of piling up.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from otel_discord.delivery.attachments import Attachment
from otel_discord.render.types import Embed


class Priority(enum.IntEnum):
    """Importance of an item; overflow drops the lowest first."""

    LOW = 0
    INFO = 1
    WARNING = 2
    ERROR = 3


class Item:
    """Base class of everything that can be queued for a channel.

    Subclasses set ``priority`` and, to allow merging, ``key``; they implement
    ``embeds()`` and, if keyed, ``absorb()``.
    """

    priority: Priority = Priority.INFO
    key: str | None = None
    urgent: bool = False
    """Send at the next opportunity rather than waiting for a fuller message."""
    source: str | None = None
    """Who it came from (a process under the gateway): when the outbox overflows, the
    source holding the most items of the lowest priority loses one first."""

    def embeds(self) -> list[Embed]:
        """Render this item; called on the sender thread, possibly more than once."""
        raise NotImplementedError

    @property
    def weight(self) -> int:
        """How many submissions (occurrences) this item stands for: a merged group of
        repeats counts each of them, so a dropped group is reported as all it held."""
        return 1

    def absorb(self, other: Item) -> bool:
        """Merge ``other`` (same key) into self; False if they cannot merge."""
        return False

    def files(self) -> Sequence[Attachment]:
        """Files the embeds show (``attachment://``); rendered on the sender thread."""
        return ()


@dataclass
class StaticItem(Item):
    """An item whose embeds are already rendered."""

    rendered: Sequence[Embed]
    priority: Priority = Priority.INFO
    key: str | None = None
    urgent: bool = False
    extra: dict[str, object] = field(default_factory=dict)

    def embeds(self) -> list[Embed]:
        return list(self.rendered)


@dataclass
class LatestItem(StaticItem):
    """A snapshot where only the newest matters: a queued older one is replaced, not added."""

    def absorb(self, other: Item) -> bool:
        if not isinstance(other, LatestItem) or other.key != self.key:
            return False
        self.rendered = other.rendered
        return True
